// Follows a running letter batch on its page: asks for its progress every two seconds, moves
// the progress bar and its text, and reloads the page once the batch is done (so its report
// and PDF links appear). Without JavaScript the page's reload link does the same.
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
  var last = text ? text.textContent : "";
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (p) {
        if (p.state === "done") {
          window.location.reload();
          return;
        }
        if (bar) {
          bar.max = p.total;
          bar.value = p.handled;
          bar.textContent = p.percent + "%";
        }
        // The status region is read out only when its words change.
        if (text && p.text !== last) {
          text.textContent = p.text;
          last = p.text;
        }
        if (state) {
          state.textContent = p.state_text;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        // A hiccup (a restart, the network): try again a little later.
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 2000);
})();
