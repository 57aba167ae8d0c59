-- wrk script: each request submits a different complete draft (POST, with session and CSRF).
-- Arguments: drafts file ("<case id> <version>" per line), number of threads, Cookie header,
-- CSRF token. Thread k takes lines k, k+n, k+2n, ...; a thread that runs out of drafts
-- stops (run_benchmark.py makes enough for the duration).
local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  table.insert(threads, thread)
  count = count + 1
end

function init(args)
  local nthreads = tonumber(args[2])
  drafts = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then table.insert(drafts, line) end
    i = i + 1
  end
  headers = {["Cookie"] = args[3], ["X-CSRFToken"] = args[4],
             ["Content-Type"] = "application/x-www-form-urlencoded"}
  sent, to_case, other, exhausted = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local line = drafts[sent]
  if line == nil then
    exhausted = 1
    wrk.thread:stop()
    line = drafts[#drafts]
  end
  local id, version = line:match("^(%S+) (%d+)$")
  return wrk.format("POST", "/cases/" .. id .. "/submit/", headers, "version=" .. version)
end

function response(status, headers, body)
  -- Success: 302 to the case page (a refused submit goes back to the review step or the login).
  local location = headers["Location"] or ""
  if status == 302 and location:match("^/cases/[0-9a-f%-]+/$") then
    to_case = to_case + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok, bad, out = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("to_case")
    bad = bad + thread:get("other")
    out = out + thread:get("exhausted")
  end
  io.write(string.format("LUA submit_redirects=%d other=%d threads_out_of_drafts=%d\n", ok, bad, out))
end
