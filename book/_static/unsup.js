// The book's fixes to the theme's pages, served by tools/unsup_sphinx.py on every page.
(function () {
  "use strict";

  // A control's accessible name must contain its visible label (WCAG 2.5.3), or voice control cannot call it.
  // The theme names its search buttons "Search" while they read "Search Ctrl+K", names the folding buttons
  // "Toggle hidden content" while they read "Show code cell source", and draws its colour-mode button with an
  // icon titled "Light" under the name "Color mode". Name by content what shows text; hide decorative icons.
  function squash(text) {
    return (text || "").toLowerCase().replace(/[^a-z0-9]/g, "");
  }
  function nameControlsByTheirLabel() {
    document.querySelectorAll("button[aria-label], a[aria-label], summary[aria-label]").forEach(function (el) {
      var shown = squash(el.innerText);
      if (shown && squash(el.getAttribute("aria-label")).indexOf(shown) < 0) {
        el.removeAttribute("aria-label");  // the name is then the text it shows
      } else if (!shown) {
        el.querySelectorAll("svg, i").forEach(function (icon) { icon.setAttribute("aria-hidden", "true"); });
      }
    });
  }

  // A table wider than the column scrolls in its own box; the box says so, for readers who cannot see the cut.
  function markScrollingTables() {
    document.querySelectorAll("article .pst-scrollable-table-container, article .table-wrapper").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("unsup-scrolls", scrolls);
      var next = box.nextElementSibling;
      var hasNote = next && next.classList.contains("unsup-scroll-note");
      if (scrolls && !hasNote) {
        box.setAttribute("tabindex", "0");  // reachable and scrollable from the keyboard
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "wide table, scrolls sideways");
        var note = document.createElement("p");
        note.className = "unsup-scroll-note";
        note.textContent = "The table is wider than the column: scroll it sideways.";
        box.after(note);
      } else if (!scrolls && hasNote) {
        next.remove();
      }
    });
  }

  // The right-hand "on this page" contents follow the reader: the theme moves its highlight only when a heading
  // crosses the top 30 % of the window, so scrolling back up, or through a long section, left it on a later
  // section. Here the highlighted section is the last whose heading is above the reading line (the header's
  // bottom plus 30 % of the window), or the last section when the page is scrolled to its end.
  function contentsTracker() {
    var nav = document.querySelector("#pst-page-toc-nav");
    if (!nav) return;
    var links = Array.from(nav.querySelectorAll("a[href^='#']"));
    var targets = links.map(function (a) {
      var el = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      return el ? (el.querySelector("h1, h2, h3, h4, h5, h6") || el) : null;
    });
    var entries = Array.from(nav.querySelectorAll(".toc-entry"));
    function update() {
      var header = document.querySelector("#pst-header");
      var line = (header ? header.getBoundingClientRect().bottom : 0) + 0.3 * window.innerHeight;
      var atEnd = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
      var current = -1;
      targets.forEach(function (t, i) {
        if (t && (t.getBoundingClientRect().top <= line || atEnd)) current = i;
      });
      if (current < 0) current = 0;
      links.forEach(function (a, i) {
        a.classList.toggle("active", i === current);
        if (i === current) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
      });
      entries.forEach(function (e) { e.classList.toggle("active", e.contains(links[current])); });
    }
    var pending = false;
    window.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      // after the theme's own (IntersectionObserver) update of the same classes, so this one stands
      setTimeout(function () { pending = false; update(); }, 60);
    }, {passive: true});
    window.addEventListener("resize", update);
    update();
  }

  // A box that scrolls sideways (a long code line on a phone, a wide equation) must be reachable from the
  // keyboard, or a reader without a mouse cannot see its end (axe: scrollable-region-focusable).
  function focusableScrollers() {
    document.querySelectorAll("article pre, article mjx-container[display='true']").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
    });
  }

  // Printing shows what is folded on screen.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("article details").forEach(function (d) { d.setAttribute("open", ""); });
  });

  function ready() {
    nameControlsByTheirLabel();
    markScrollingTables();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  window.addEventListener("load", function () {
    markScrollingTables();
    focusableScrollers();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(focusableScrollers);  // equations have their width once typeset
    }
    contentsTracker();
    // Font Awesome turns <i> icons into titled <svg>s after the page loads
    nameControlsByTheirLabel();
    setTimeout(nameControlsByTheirLabel, 100);
  });
  // a folded box opened shows boxes that may scroll
  document.addEventListener("toggle", function () { focusableScrollers(); markScrollingTables(); }, true);
  window.addEventListener("resize", function () { markScrollingTables(); focusableScrollers(); });
})();
