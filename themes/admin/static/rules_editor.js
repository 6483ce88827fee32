// The rules console's editor, when JavaScript runs: line numbers beside the textarea and its
// code highlighted behind it (rhai for a script, TOML for a tariff). The textarea stays the
// control that is typed in, read out and sent; what is added is hidden from assistive
// technology. A problem's "regel N" link puts the cursor on that line. Served by the console
// itself (no CDN), within its content security policy (no inline script or style).
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-editor]");
  if (!area) { return; }
  var kind = area.getAttribute("data-editor");

  var RHAI = [
    ["comment", /^\/\/[^\n]*|^\/\*[\s\S]*?\*\//],
    ["string", /^"(?:[^"\\\n]|\\.)*"?|^`[^`]*`?/],
    ["number", /^\d[\d_]*(?:\.\d+)?/],
    ["keyword", /^(?:fn|let|const|if|else|return|true|false|while|loop|for|in|break|continue|switch|throw|try|catch)\b/],
    ["name", /^[A-Za-z_][A-Za-z0-9_]*/]
  ];
  var TOML = [
    ["comment", /^#[^\n]*/],
    ["keyword", /^\[\[?[^\]\n]*\]?\]?/],
    ["string", /^"(?:[^"\\\n]|\\.)*"?|^'[^'\n]*'?/],
    ["number", /^\d[\d_:.-]*/],
    ["name", /^[A-Za-z_][A-Za-z0-9_-]*(?=\s*=)/]
  ];
  var rules = kind === "script" ? RHAI : TOML;

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // The source as HTML: each token that a rule matches in a span of its class.
  function highlight(source) {
    var out = "";
    var rest = source;
    while (rest.length > 0) {
      var matched = false;
      for (var i = 0; i < rules.length; i++) {
        var m = rules[i][1].exec(rest);
        if (m && m[0].length > 0) {
          out += '<span class="cc-tok-' + rules[i][0] + '">' + escape(m[0]) + "</span>";
          rest = rest.slice(m[0].length);
          matched = true;
          break;
        }
      }
      if (!matched) {
        out += escape(rest.charAt(0));
        rest = rest.slice(1);
      }
    }
    // A last empty line still takes its height.
    return out + "\n";
  }

  var frame = document.createElement("div");
  frame.className = "cc-editor";
  var gutter = document.createElement("div");
  gutter.className = "cc-editor__gutter";
  gutter.setAttribute("aria-hidden", "true");
  var shown = document.createElement("pre");
  shown.className = "cc-editor__shown";
  shown.setAttribute("aria-hidden", "true");
  var code = document.createElement("code");
  shown.appendChild(code);
  area.parentNode.insertBefore(frame, area);
  frame.appendChild(gutter);
  frame.appendChild(shown);
  frame.appendChild(area);
  area.classList.add("cc-editor__area");

  function refresh() {
    code.innerHTML = highlight(area.value);
    var lines = area.value.split("\n").length;
    var numbers = "";
    for (var n = 1; n <= lines; n++) { numbers += n + "\n"; }
    gutter.textContent = numbers;
    follow();
  }

  function follow() {
    shown.scrollTop = area.scrollTop;
    shown.scrollLeft = area.scrollLeft;
    gutter.scrollTop = area.scrollTop;
  }

  area.addEventListener("input", refresh);
  area.addEventListener("scroll", follow);
  refresh();

  // "regel N, kolom M": the cursor to that place.
  var links = document.querySelectorAll("a[data-line]");
  for (var k = 0; k < links.length; k++) {
    links[k].addEventListener("click", function (event) {
      var line = parseInt(this.getAttribute("data-line"), 10) || 1;
      var column = parseInt(this.getAttribute("data-column"), 10) || 1;
      var starts = area.value.split("\n").slice(0, line - 1);
      var at = starts.reduce(function (sum, l) { return sum + l.length + 1; }, 0) + column - 1;
      event.preventDefault();
      area.focus();
      area.setSelectionRange(at, at);
    });
  }
})();
