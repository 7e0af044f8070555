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

  // The right-hand "on this page" contents follow the reader. The theme (pydata-sphinx-theme 0.17) moves its
  // highlight from an IntersectionObserver that fires only when a heading crosses the top 30 % of the window:
  // a jump (window.scrollTo, End, a drag of the scroll bar, a fast wheel) carries headings across that band
  // between two frames and fires nothing, and scrolling back up into a long section leaves a later section lit.
  // Here the highlighted section is the last whose heading is above the reading line (30 % of the window below
  // the header that stays on screen), or the last section when the page is scrolled to its end.
  // The line is measured from the sticky article header (.bd-header-article), not #pst-header: in
  // sphinx-book-theme 1.3 #pst-header is static and scrolls away, so its bottom is thousands of px above the
  // window and no heading was ever "above the line" (the highlight stayed on the first entry).
  function contentsTracker() {
    var nav = document.querySelector("#pst-page-toc-nav");
    if (!nav) return;
    var links = Array.from(nav.querySelectorAll("a[href^='#']"));
    if (!links.length) return;
    var targets = links.map(function (a) {
      var el = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      return el ? (el.querySelector("h1, h2, h3, h4, h5, h6") || el) : null;
    });
    var entries = Array.from(nav.querySelectorAll(".toc-entry"));
    var current = -1;
    function topBar() {
      var bottom = 0;
      ["#pst-header", ".bd-header-article"].forEach(function (sel) {
        var el = document.querySelector(sel);
        if (el && el.offsetParent !== null) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
      });
      return Math.min(bottom, 0.5 * window.innerHeight);
    }
    function pick() {
      var line = topBar() + 0.3 * window.innerHeight;
      var atEnd = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2;
      var found = 0;
      targets.forEach(function (t, i) {
        if (t && (atEnd || t.getBoundingClientRect().top <= line)) found = i;
      });
      if (atEnd) {  // several last headings are in view: the one the reader went to (its link), if any
        var hashed = links.findIndex(function (a) { return a.hash === window.location.hash; });
        var t = hashed >= 0 ? targets[hashed] : null;
        var top = t ? t.getBoundingClientRect().top : -1;
        if (top >= 0 && top < window.innerHeight) found = hashed;
      }
      return found;
    }
    function shown() {  // the classes as they are now (the theme may have changed them)
      return links.map(function (a) { return a.classList.contains("active"); });
    }
    function apply() {
      links.forEach(function (a, i) {
        a.classList.toggle("active", i === current);
        if (i === current) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
      });
      entries.forEach(function (e) { e.classList.toggle("active", e.contains(links[current])); });
    }
    function update() {
      current = pick();
      var now = shown();
      if (now.some(function (on, i) { return on !== (i === current); })) apply();
    }
    // the theme's observer (and its hash-link handler) write the same classes later than a scroll event may
    // arrive: whenever they change them, put back the section in view
    if (window.MutationObserver) {
      new MutationObserver(function () {
        if (current < 0) return;
        var now = shown();
        if (now.some(function (on, i) { return on !== (i === current); })) apply();
      }).observe(nav, {attributes: true, attributeFilter: ["class"], subtree: true});
    }
    var pending = false;
    window.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; update(); });
    }, {passive: true});
    window.addEventListener("resize", update);
    document.addEventListener("toggle", update, true);  // an opened fold moves the headings below it
    update();
  }

  // A box that scrolls sideways (a long code line on a phone, a wide equation) must be reachable from the
  // keyboard, or a reader without a mouse cannot see its end (axe: scrollable-region-focusable).
  function focusableScrollers() {
    document.querySelectorAll("article pre, article mjx-container[display='true']").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
    });
  }

  // On a narrow screen (a phone) an equation or table a little wider than the column is set in a smaller font
  // until it fits, down to 60 % of its size; anything wider still scrolls in its own box (and the layout test
  // reports it). Font size, not a transform, so the page's layout is the one the reader sees.
  var FIT_FLOOR = 0.6;
  function fitBox(el) {
    return el.tagName === "TABLE" ? (el.closest(".pst-scrollable-table-container, .table-wrapper") || el.parentElement) : el;
  }
  // the room a box has: its own width, but never past the column's right edge (a table's wrapper can be wider)
  function room(box) {
    var main = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
    var r = box.getBoundingClientRect();
    return Math.min(box.clientWidth, Math.floor(main.getBoundingClientRect().right - r.left));
  }
  function fitOne(el) {
    var box = fitBox(el);
    var have = box ? room(box) : 0;
    if (!box || box.clientWidth === 0 || have === el._unsupFitWidth) return;  // folded, or done
    el._unsupFitWidth = have;
    el.style.fontSize = "";
    // padding and borders do not shrink with the font: a few rounds until it fits or reaches the floor
    for (var round = 0, scale = 1; round < 4 && el.scrollWidth > have + 1 && scale > FIT_FLOOR; round++) {
      scale = Math.max(FIT_FLOOR, scale * (have - 2) / el.scrollWidth);
      el.style.fontSize = Math.floor(scale * 100) + "%";
    }
  }
  var fitObserver = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (e) { if (e.target._unsupFits) fitOne(e.target._unsupFits); });
  }) : null;
  function fitToColumn() {
    document.querySelectorAll("article mjx-container[display='true'], article table").forEach(function (el) {
      var box = fitBox(el);
      if (box && fitObserver && !box._unsupFits) {  // an opened fold gives the box its width: fit it then
        box._unsupFits = el;
        fitObserver.observe(box);
      }
      fitOne(el);
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
    fitToColumn();
    markScrollingTables();
    focusableScrollers();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      // equations have their width once typeset
      MathJax.startup.promise.then(function () { fitToColumn(); markScrollingTables(); focusableScrollers(); });
    }
    contentsTracker();
    // Font Awesome turns <i> icons into titled <svg>s after the page loads
    nameControlsByTheirLabel();
    setTimeout(nameControlsByTheirLabel, 100);
  });
  // a folded box opened shows boxes that may scroll
  document.addEventListener("toggle", function () { fitToColumn(); focusableScrollers(); markScrollingTables(); }, true);
  window.addEventListener("resize", function () { fitToColumn(); markScrollingTables(); focusableScrollers(); });
})();
