// The book's fixes to the theme's pages, served by tools/unsup_sphinx.py on every page.
(function () {
  "use strict";

  // A control's accessible name must contain its visible label (WCAG 2.5.3), or voice control cannot call it:
  // the theme's search buttons read "Search Ctrl+K" but are named "Search". Name them by what they show.
  function nameControlsByTheirLabel() {
    document.querySelectorAll("button[aria-label], a[aria-label]").forEach(function (el) {
      var shown = (el.innerText || "").replace(/\s+/g, " ").trim();
      var name = el.getAttribute("aria-label");
      if (shown && name.toLowerCase().indexOf(shown.toLowerCase()) < 0) {
        el.setAttribute("aria-label", shown);
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
  window.addEventListener("load", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);
})();
