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
    // Font Awesome turns <i> icons into titled <svg>s after the page loads
    nameControlsByTheirLabel();
    setTimeout(nameControlsByTheirLabel, 100);
  });
  window.addEventListener("resize", markScrollingTables);
})();
