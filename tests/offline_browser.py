"""A reader's view of a page, for the browser tests: Debian's Chromium, headless, with every http(s) request
blocked and recorded, so a page that works here works for a reader with no network. The `browser` fixture
that launches it lives in conftest.py."""

import pathlib
import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def open_offline(browser, path, viewport=None):
    """Open the file ``path`` with the network blocked. Returns ``(page, remote, errors, missing)``: the page,
    and lists that fill as it runs: the http(s) URLs it tried to fetch, its JavaScript errors, and the local
    files it asked for that do not exist."""
    page = browser.new_page(viewport=viewport or {"width": 1200, "height": 900})
    remote, errors, missing = [], [], []

    def block(route):
        if route.request.url.startswith(("http://", "https://")):
            remote.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: missing.append(r.url) if r.url.startswith("file:") else None)
    page.goto(pathlib.Path(path).as_uri())
    page.wait_for_load_state("load")
    return page, remote, errors, missing


def book_pages(root):
    """Every page of the book at ``root`` in the order of its ``_toc.yml``, as paths relative to the HTML root
    without ``.html`` (``book/intro``, ``book/01_autoencoders_pca``, ...)."""
    import yaml

    toc = yaml.safe_load((pathlib.Path(root) / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


# Formulas are typeset asynchronously, some inside folded boxes: wait until every math span holds a rendering.
UNTYPESET_JS = """[...document.querySelectorAll('span.math, div.math')]
                    .filter(e => !e.querySelector('mjx-container')).length"""


def settle(page, unfold=True, timeout=15000):
    """Let a page finish what changes its layout: MathJax typesetting, and (``unfold``) every folded box
    (``<details>``, hidden cell inputs and outputs) opened, since a reader may open any of them."""
    try:
        page.wait_for_function(f"() => ({UNTYPESET_JS}) === 0", timeout=timeout)
    except Exception:  # noqa: BLE001  (a page whose math never typesets is test_browser_book's failure, not ours)
        pass
    if unfold:
        page.evaluate("""() => {
            document.querySelectorAll('details').forEach(d => { d.open = true; });
            document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
        }""")
    page.wait_for_timeout(200)


# What a reader sees cut off: an element of the main column whose content is wider than its box
# (scrollWidth > clientWidth: clipped, or hidden behind a sideways scroll bar), or whose box sticks out of
# the column. Each is reported as {kind, text, scroll, client}; `kind` is one of
#   code (a code cell's input or a literal block), output (printed output), table, math (display math).
OVERFLOW_JS = r"""() => {
  const main = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const right = main.getBoundingClientRect().right;
  const kinds = [
    ['output', '.cell_output pre, .output pre, .cell_output .output_html, div.output'],
    ['code', '.cell_input pre, div.highlight pre, pre.literal-block'],
    ['table', 'table, .pst-scrollable-table-container, .table-wrapper'],
    ['math', 'div.math, mjx-container[display="true"], .math-wrapper'],
  ];
  const seen = new Set(), found = [];
  for (const [kind, sel] of kinds) {
    for (const el of main.querySelectorAll(sel)) {
      if (seen.has(el)) continue;
      seen.add(el);
      if (el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;  // not rendered
      if (kind === 'table' && el.closest('.cell_input')) continue;
      if (kind === 'output' && el.closest('.cell_input')) continue;
      const box = el.getBoundingClientRect();
      const over = el.scrollWidth - el.clientWidth;
      const out = box.right - right;
      if (over > 1 || out > 1) found.push({el, kind, over, out});
    }
  }
  // one report per place: an overflowing box that holds another overflowing box is left to the inner one
  return found.filter(f => !found.some(g => g !== f && f.el.contains(g.el))).map(f => ({
    kind: f.kind, scroll: f.el.scrollWidth, client: f.el.clientWidth, out: Math.round(f.out),
    // by code points, so a character outside the BMP (MathJax's italic letters) is not cut in half
    text: Array.from((f.el.innerText || f.el.textContent || '').replace(/\s+/g, ' ').trim()).slice(0, 70).join('')}));
}"""


def overflows(page):
    """The elements of the main column of ``page`` whose content overflows (see OVERFLOW_JS)."""
    return page.evaluate(OVERFLOW_JS)
