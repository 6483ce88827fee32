// Follows a running letter batch on its page: asks for its progress every two seconds while the
// page is in view, moves the progress bar and its text, and reloads the page once the batch is
// done (so its report and PDF links appear). A screen reader hears the state when it changes and
// the progress at every quarter, not every poll. The polls carry the header
// Parkportal-Background, so they do not keep the staff session from timing out; when the
// session has ended (the answer is a login page, not JSON), after repeated failures, or after
// half an hour, the script stops and the page's reload link remains. Without JavaScript that
// link does the same.
(function () {
  "use strict";
  var section = document.querySelector("[data-voortgang]");
  if (!section) {
    return;
  }
  var url = section.getAttribute("data-voortgang");
  var bar = document.getElementById("batch-voortgang");
  var text = document.getElementById("batch-tekst");
  var state = document.getElementById("batch-staat");
  var announce = document.getElementById("batch-melding");
  var EVERY = 2000;
  var GIVE_UP_AFTER = 30 * 60 * 1000;
  var MAX_FAILURES = 5;
  var started = Date.now();
  var failures = 0;
  var lastState = state ? state.textContent : "";
  var lastQuarter = -1;
  var timer = null;
  var inFlight = false;
  var stopped = false;

  function later(ms) {
    if (Date.now() - started > GIVE_UP_AFTER) {
      stopped = true;
      return;
    }
    timer = window.setTimeout(poll, ms);
  }

  function say(words) {
    if (announce) {
      announce.textContent = words;
    }
  }

  function show(p) {
    if (bar) {
      bar.max = p.total;
      bar.value = p.handled;
      bar.textContent = p.percent + "%";
    }
    if (text) {
      text.textContent = p.text;
    }
    var quarter = Math.floor(p.percent / 25);
    if (p.state_text !== lastState) {
      lastState = p.state_text;
      if (state) {
        state.textContent = p.state_text;
      }
      say(p.state_text + ". " + p.text);
    } else if (quarter !== lastQuarter && lastQuarter !== -1) {
      say(p.text);
    }
    lastQuarter = quarter;
  }

  function poll() {
    timer = null;
    if (stopped || document.hidden) {
      return; // a hidden page is resumed by visibilitychange
    }
    inFlight = true;
    fetch(url, {
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json", "Parkportal-Background": "1" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          // Logged out, timed out or gone: polling on would only fail again.
          throw new Error("stop");
        }
        return response.json();
      })
      .then(function (p) {
        inFlight = false;
        failures = 0;
        if (p.state === "done") {
          window.location.reload();
          return;
        }
        show(p);
        later(EVERY);
      })
      .catch(function (e) {
        inFlight = false;
        failures += 1;
        if (e && e.message !== "stop" && failures < MAX_FAILURES) {
          // A hiccup (a restart, the network): try again a little later.
          later(5000);
        } else {
          stopped = true;
        }
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !inFlight && !stopped) {
      later(0);
    }
  });
  later(EVERY);
})();
