// "Toon meer" in Historie without leaving the page: the next rows are fetched from the same link
// (with deel=1) and appended. On a phone they also load by themselves as the end of the list
// scrolls into view. Without this script the link simply opens the next page.
(function () {
  "use strict";
  var list = document.querySelector("[data-history-list]");
  var status = document.querySelector("[data-history-status]");
  if (!list || !window.fetch || !("content" in document.createElement("template"))) {
    return;
  }
  var phone = window.matchMedia("(max-width: 699px)").matches;

  function wire(more) {
    if (!more) {
      return;
    }
    var link = more.querySelector("a");
    var busy = false;
    var observer = null;

    function load(byClick) {
      if (busy) {
        return;
      }
      busy = true;
      var url = link.href + (link.href.indexOf("?") < 0 ? "?" : "&") + "deel=1";
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          // A session that timed out answers with the login page: open the link instead.
          if (!response.ok || response.redirected) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html;
          var rows = template.content.querySelectorAll("[data-history-row]");
          if (rows.length === 0) {
            throw new Error("no rows");
          }
          var first = null;
          Array.prototype.forEach.call(rows, function (row) {
            first = first || row;
            list.appendChild(row);
          });
          if (observer) {
            observer.disconnect();
          }
          var next = template.content.querySelector("[data-history-more]");
          if (next) {
            more.parentNode.replaceChild(next, more);
          } else {
            more.parentNode.removeChild(more);
          }
          if (status) {
            // The number makes each announcement differ, so screen readers read every one.
            status.textContent = status
              .getAttribute("data-loaded")
              .replace("{count}", String(list.querySelectorAll("[data-history-row]").length));
          }
          // A keyboard user who pressed the button continues at the first new row.
          if (byClick && first) {
            first.setAttribute("tabindex", "-1");
            first.focus();
          }
          wire(next);
        })
        .catch(function () {
          window.location.href = link.href;
        });
    }

    link.addEventListener("click", function (event) {
      event.preventDefault();
      load(true);
    });
    if (phone && "IntersectionObserver" in window) {
      observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          load(false);
        }
      }, { rootMargin: "200px" });
      observer.observe(more);
    }
  }

  wire(document.querySelector("[data-history-more]"));
})();
