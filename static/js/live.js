// The live session (templates/meetings/live.html): keyboard steps through the agenda and a timer
// per case against the meeting's planned minutes. Progressive enhancement only: without it the
// page reads the same and next/previous/the agenda list are plain links and a plain form.
// Leaving a changed advice form asks first: static/js/unsaved.js warns on beforeunload, and every
// step below is an ordinary navigation, so that warning covers it.
(function () {
  "use strict";

  var bar = document.querySelector("[data-live-item]");
  if (!bar) { return; }

  function go(link) {
    if (link) { window.location.assign(link.href); }
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "ArrowRight" || key === "n" || key === "N") {
      event.preventDefault();
      go(document.querySelector("[data-live-next]"));
    } else if (key === "ArrowLeft" || key === "p" || key === "P") {
      event.preventDefault();
      go(document.querySelector("[data-live-previous]"));
    } else if (key === "g" || key === "G") {
      var jump = document.querySelector("[data-live-jump]");
      if (jump) { event.preventDefault(); jump.focus(); }
    }
  });

  // Choosing a case in the agenda list goes there (the button does the same without script).
  var jump = document.querySelector("[data-live-jump]");
  if (jump) {
    jump.addEventListener("change", function () { jump.form.requestSubmit(); });
  }

  // The timer: from the first time this case was opened in this tab (a saved advice reloads the
  // page, and the clock runs on), against the planned minutes per case.
  var elapsed = bar.querySelector("[data-live-elapsed]");
  var timer = bar.querySelector(".live-timer");
  var over = bar.querySelector("[data-live-over]");
  var planned = parseInt(bar.getAttribute("data-planned-minutes"), 10) * 60;
  if (!elapsed || !planned) { return; }
  var key = "mdo-live-started-" + bar.getAttribute("data-live-item");
  var started = null;
  try {
    started = parseInt(window.sessionStorage.getItem(key), 10);
    if (!started) {
      started = Date.now();
      window.sessionStorage.setItem(key, String(started));
    }
  } catch (e) {
    started = Date.now();  // storage refused: the clock starts with the page
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    elapsed.textContent = two(Math.floor(seconds / 60)) + ":" + two(seconds % 60);
    timer.classList.toggle("over", seconds > planned);
    if (over) { over.hidden = seconds <= planned; }
  }
  elapsed.hidden = false;
  tick();
  window.setInterval(tick, 1000);
})();
