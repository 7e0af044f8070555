"""The built book, as a reader with no network sees it: headless Chromium with every http(s) request
blocked. Each page must typeset its math, raise no JavaScript error, find every file it loads, and not even
try to fetch anything from the network.

Needs the built book (`make book`; `make test` builds it first) and Debian's chromium."""

import os
import pathlib
import platform

import pytest
import torch
import yaml
from offline_browser import open_offline, settle
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

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


def pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if not f.endswith("bibliography")]


@pytest.fixture(scope="module")
def book(browser):
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built: run `make book` first")
    return browser


@pytest.mark.parametrize("page_name", pages())
def test_page_is_complete_offline(book, page_name):
    page, remote, errors, missing = open_offline(book, page_file(page_name))
    has_math = page.evaluate("document.querySelectorAll('.math, .MathJax, mjx-container').length") > 0
    if has_math:
        # MathJax typesets asynchronously; some formulas sit in folded or off-screen boxes, so wait until every
        # math span holds a rendering (visible or not), then count what is left as raw TeX
        untypeset = """[...document.querySelectorAll('span.math, div.math')]
                         .filter(e => !e.querySelector('mjx-container')).length"""
        try:
            page.wait_for_function(f"() => ({untypeset}) === 0", timeout=15000)
        except PlaywrightTimeoutError:
            pass  # the assert below says how many
        raw = page.evaluate(untypeset)
        assert raw == 0, f"{raw} formulas were not typeset on {page_name}"
        assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    assert not remote, f"{page_name} tried to fetch from the network: {remote[:5]}"
    page.wait_for_timeout(500)  # late requests: fonts, lazily loaded MathJax components
    assert not errors, f"JavaScript errors on {page_name}: {errors[:3]}"
    assert not missing, f"{page_name} refers to files the build does not have: {missing[:3]}"
    page.close()


def chapters():
    return [p for p in pages() if pathlib.PurePath(p).name[:2].isdigit()]


def open_page(book, name, width=1280):
    page, *_ = open_offline(book, page_file(name), viewport={"width": width, "height": 900})
    settle(page, unfold=False)
    return page


# the toc links of the right-hand contents, with the absolute top of the heading each points to
CONTENTS_JS = """() => [...document.querySelectorAll('#pst-page-toc-nav a[href^="#"]')].map(a => {
    const el = document.getElementById(decodeURIComponent(a.hash.slice(1)));
    const h = el && (el.querySelector('h1, h2, h3, h4, h5, h6') || el);
    return h ? {hash: a.hash, top: h.getBoundingClientRect().top + window.scrollY} : null;
  }).filter(x => x)"""


ACTIVE_JS = "[...document.querySelectorAll('#pst-page-toc-nav a.active')].map(a => a.hash)"


# The cause of the highlight that stayed on the first entry (issue 15): unsup.js drew its reading line below
# #pst-header, which in sphinx-book-theme 1.3 is static and scrolls away (its bottom is thousands of px above the
# window), so no heading was ever above the line; the theme's own IntersectionObserver fires only when a heading
# crosses the top 30 % of the window, which a jump (scrollTo, End, a dragged scroll bar) skips. The line is now
# measured from the sticky article header, and unsup.js puts its choice back whenever the theme changes it.
@pytest.mark.parametrize("page_name", chapters())
def test_contents_highlight_follows_the_reader(book, page_name):
    """Jumping into the middle of any section (window.scrollTo, from the end of the page back up) highlights that
    section, and only that one, in "on this page"."""
    page = open_page(book, page_name)
    heads = page.evaluate(CONTENTS_JS)
    assert len(heads) >= 2, f"{page_name}: no 'on this page' contents to follow"
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(300)
    height = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    checked, wrong = 0, []
    for here, below in reversed(list(zip(heads, heads[1:]))):
        y = here["top"] + 100  # the heading just above the window, the reader inside its section
        if y > height or below["top"] - y < 0.5 * 900:  # cannot scroll there, or the next heading is in view
            continue
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(400)
        active = page.evaluate(ACTIVE_JS)
        checked += 1
        if active != [here["hash"]]:
            wrong.append(f"inside {here['hash']} the contents highlight {active}")
    page.close()
    assert checked > 0, f"{page_name}: no section long enough to test"
    assert not wrong, f"{page_name}: " + "; ".join(wrong)


def test_contents_highlight_follows_the_mouse_wheel(book):
    """A reader turning the mouse wheel (real wheel events, a notch of 100 px at a time) down through the first
    chapter and back up: after each pause the highlight is on the section whose heading was last passed."""
    page = open_page(book, chapters()[0])
    heads = page.evaluate(CONTENTS_JS)
    page.mouse.move(640, 500)  # over the article
    seen, wrong = set(), []

    def check(where):
        line = page.evaluate("window.scrollY") + 48 + 0.3 * 900  # sticky article header + 30 % of the window
        if any(abs(h["top"] - line) < 30 for h in heads):  # a heading on the line: either answer is right
            return
        expected = [h["hash"] for h in heads if h["top"] <= line][-1:] or [heads[0]["hash"]]
        active = page.evaluate(ACTIVE_JS)
        seen.update(active)
        if active != expected and not page.evaluate(
                "innerHeight + scrollY >= document.documentElement.scrollHeight - 2"):
            wrong.append(f"{where} at {page.evaluate('window.scrollY')} px: {active}, expected {expected}")

    for direction in (1, -1):
        for _ in range(12):
            for _ in range(8):
                page.mouse.wheel(0, direction * 100)
            page.wait_for_timeout(250)
            check("down" if direction > 0 else "up")
    page.close()
    assert len(seen) >= 3, f"the highlight moved over only {sorted(seen)}"
    assert not wrong, "; ".join(wrong[:5])


def test_one_search_box_and_numbered_chapters(book):
    page = open_page(book, chapters()[0])
    visible = page.evaluate("""[...document.querySelectorAll(
                                   '.search-button-field, .search-button, input[type=search]')]
                                 .filter(e => e.offsetParent !== null).length""")
    sidebar = page.evaluate("""[...document.querySelectorAll('.bd-sidebar-primary nav a.reference')]
                                 .map(a => a.innerText.trim())""")
    title = page.evaluate("document.querySelector('article h1').innerText")
    page.close()
    assert visible == 1, f"{visible} search boxes on a chapter page"
    numbered = [t for t in sidebar if t[:1].isdigit()]
    assert len(numbered) >= len(chapters()), f"chapters are not numbered in the sidebar: {sidebar}"
    assert title.startswith("1."), f"the first chapter's title is not numbered: {title!r}"


def test_reproducibility_page_says_what_the_build_ran_on(book):
    page = open_page(book, "book/reproducibility")
    text = page.evaluate("document.querySelector('article').innerText")
    cells = page.evaluate("[...document.querySelectorAll('article td')].map(td => td.innerText.trim())")
    page.close()
    for needed in ("Python", platform.python_version(), "PyTorch", torch.__version__, "unsup", "Jupyter Book",
                   "CPU cores", "GPU", "seed_everything"):
        assert needed in text, f"the reproducibility page does not say {needed!r}"
    for ch in chapters():
        assert ch in text, f"the execution table has no row for {ch}"
    assert all(cells), "an empty cell in the reproducibility page's tables"
    glyphs = [c for c in cells if any(ord(ch) > 0x2000 for ch in c)]
    assert not glyphs, f"symbols a reader's fonts may not have: {glyphs}"


def test_bibliography_has_every_cited_work_and_list_roles(book):
    page = open_page(book, "book/bibliography")
    text = page.evaluate("document.querySelector('article').innerText")
    roles = page.evaluate("[...document.querySelectorAll('.citation')].map(e => e.getAttribute('role'))")
    page.close()
    assert "improved techniques for training gans" in text.lower(), "Salimans et al. 2016 is not in the bibliography"
    assert roles and set(roles) == {"listitem"}, set(roles)
