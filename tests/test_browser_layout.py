"""A reader's layout rule: nothing in a page's main column is wider than the column.

Every built page is opened in headless Chromium (offline), its math typeset and every folded box opened; then
each code block, printed output, table and display equation of the main column is measured. One whose content
is wider than its box (scrollWidth > clientWidth + 1 px: clipped, or behind a sideways scroll bar) or whose box
sticks out of the column fails the test, named by page, kind and the start of its text.
- At 1280 px (a laptop) nothing may overflow.
- At 390 px (a phone) code cells may scroll sideways (code cannot be folded without changing it); printed
  output, tables and equations may not.

Needs the built book (`make book`) and Debian's chromium. The current failures per page:
`python tools/page_report.py` (writes the overflow report and the page heights)."""

import os
import pathlib

import pytest
from offline_browser import book_pages, open_offline, overflows, settle

ROOT = pathlib.Path(__file__).resolve().parents[1]
# the built book to test: the full build, or another built folder (a chapter build, an earlier clone's build)
# named by UNSUP_HTML; a page that folder does not hold is skipped
HTML = pathlib.Path(os.environ.get("UNSUP_HTML") or ROOT / "_build" / "html").resolve()  # file URIs need it absolute
pytestmark = pytest.mark.browser


def page_file(name):
    """The built page ``name`` (``book/04_vae``), or skip the test where the folder tested does not hold it."""
    path = HTML / f"{name}.html"
    if not path.exists():
        pytest.skip(f"{name} is not in {HTML}")
    return path

# width (px) -> the kinds of element allowed to scroll sideways at that width
WIDTHS = {1280: set(), 390: {"code"}}
# (page, width) that broke the rule when it was written (issue 15; tools/page_report.py --overflow): expected to
# fail until the chapter is fixed. Remove an entry once its page passes; from then on the rule holds for it.
# Emptied when chapters 3 and 5 passed at 390 px (chapter 3's amortised ELBO split over two lines; a table's cell
# padding on a phone in em, so it shrinks with the font, in unsup.css).
NOT_YET: set[tuple[str, int]] = set()


def cases():
    return [pytest.param(page, width, marks=pytest.mark.xfail(reason="issue 15: chapter not yet fixed", strict=False))
            if (page, width) in NOT_YET else (page, width)
            for page in book_pages(ROOT) for width in sorted(WIDTHS, reverse=True)]


@pytest.fixture(scope="module")
def book(browser):
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built: run `make book` first")
    return browser


def describe(found):
    lines = []
    for f in found:
        outside = f", {f['out']} px outside the column" if f["out"] > 1 else ""
        lines.append(f"  {f['kind']:6s} {f['scroll']:5d} px of content in a {f['client']:4d} px box{outside}: "
                     f"{f['text']!r}")
    return "\n".join(lines)


@pytest.mark.parametrize(("page_name", "width"), cases())
def test_nothing_is_wider_than_the_column(book, page_name, width):
    page, *_ = open_offline(book, page_file(page_name), viewport={"width": width, "height": 900})
    settle(page)
    found = [f for f in overflows(page) if f["kind"] not in WIDTHS[width]]
    page.close()
    assert not found, f"{page_name} at {width} px: {len(found)} elements overflow their box\n{describe(found)}"


def test_the_overflow_check_can_fail(browser, tmp_path):
    """The measurement itself: a page with one over-long printed line, one over-wide table and one code line
    that fits is reported as exactly an output and a table, at either width."""
    long = "x" * 400
    (tmp_path / "p.html").write_text(f"""<html><body><main><article class="bd-article" style="width: 300px">
      <div class="cell_input"><div class="highlight"><pre>print(1)</pre></div></div>
      <div class="cell_output"><div class="output"><div class="highlight"><pre style="overflow: auto">{long}</pre>
      </div></div></div>
      <table><tr><td>{long}</td></tr></table>
    </article></main></body></html>""")
    page, *_ = open_offline(browser, tmp_path / "p.html", viewport={"width": 1280, "height": 900})
    found = overflows(page)
    page.close()
    assert sorted(f["kind"] for f in found) == ["output", "table"], found


@pytest.mark.parametrize("page_name", book_pages(ROOT))
def test_printed_code_wraps_at_the_margin(book, page_name):
    """Printed (A4, the theme's print button): code and output lines wrap instead of being cut at the margin,
    and figures, tables and equations are not split across pages (book/_static/unsup.css)."""
    # A4 at 96 px per inch, less the page margins of unsup.css: about 680 px of text
    page, *_ = open_offline(book, page_file(page_name), viewport={"width": 680, "height": 1000})
    page.emulate_media(media="print")
    settle(page)
    found = [f for f in overflows(page) if f["kind"] in ("code", "output")]
    whole = page.evaluate("""[...document.querySelectorAll('article figure, article table, article img')]
                               .map(e => getComputedStyle(e).breakInside)""")
    page.close()
    assert not found, f"{page_name} printed: {len(found)} code or output lines cut at the margin\n{describe(found)}"
    assert all(b == "avoid" for b in whole), f"{page_name} printed: figures or tables may split across pages"
