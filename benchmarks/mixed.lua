-- wrk script for the memory run: rotate over GET pages and stop after a fixed number of responses.
-- Arguments: responses per thread, then one "path|cookie" per page. Counts non-200 responses.
local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  table.insert(threads, thread)
  count = count + 1
end

function init(args)
  limit = tonumber(args[1])
  pages = {}
  for i = 2, #args do
    local path, cookie = args[i]:match("^(.-)|(.*)$")
    table.insert(pages, wrk.format("GET", path, {["Cookie"] = cookie}))
  end
  sent, responses, non200 = 0, 0, 0
end

function request()
  sent = sent + 1
  return pages[(sent + tid) % #pages + 1]
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then non200 = non200 + 1 end
  if responses >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("responses")
    bad = bad + thread:get("non200")
  end
  io.write(string.format("LUA responses=%d non200=%d\n", total, bad))
end
