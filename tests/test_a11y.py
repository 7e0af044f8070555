"""Accessibility of every built page: axe-core's WCAG 2.1 A and AA rules, run in headless Chromium (offline) on
each page with its math typeset and its folded boxes opened. Any violation of serious or critical impact fails,
named by rule, page and element.

axe-core is vendored from npm by `make vendor` (vendor/axe/axe.min.js); needs the built book and chromium.
The current violations per page: `python tools/page_report.py`."""

import os
import pathlib

import pytest
from offline_browser import book_pages, open_offline, settle

ROOT = pathlib.Path(__file__).resolve().parents[1]
# the built book to test: the full build, or another built folder (a chapter build, an earlier clone's build)
# named by UNSUP_HTML; a page that folder does not hold is skipped
HTML = pathlib.Path(os.environ.get("UNSUP_HTML") or ROOT / "_build" / "html").resolve()  # file URIs need it absolute
AXE = ROOT / "vendor" / "axe" / "axe.min.js"
pytestmark = pytest.mark.browser


def page_file(name):
    """The built page ``name`` (``book/04_vae``), or skip the test where the folder tested does not hold it."""
    path = HTML / f"{name}.html"
    if not path.exists():
        pytest.skip(f"{name} is not in {HTML}")
    return path

FAILING_IMPACTS = ("serious", "critical")
# WCAG 2.0/2.1, levels A and AA, plus label-content-name-mismatch (WCAG 2.5.3, which axe files as experimental):
# a button whose visible label is not in its accessible name cannot be called by voice control
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "rules": {"label-content-name-mismatch": {"enabled": True}},
               "resultTypes": ["violations"]}


# pages with serious violations left when the test was written, all in the chapters' content (issue 15;
# tools/page_report.py --a11y): expected to fail until fixed. Remove a page once it passes.
NOT_YET: set[str] = set()  # every page passed on the full build of 31064f6


def cases():
    return [pytest.param(page, marks=pytest.mark.xfail(reason="issue 15: chapter not yet fixed", strict=False))
            if page in NOT_YET else page for page in book_pages(ROOT)]


def axe_violations(page):
    """Run axe-core on ``page``; returns its violations as [{id, impact, help, nodes: [{target, html}]}]."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("async (options) => (await axe.run(document, options)).violations", AXE_OPTIONS)


def serious(violations):
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def describe(violations, limit=4):
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}")
        for n in v["nodes"][:limit]:
            lines.append(f"      {' '.join(map(str, n['target']))}: {n['html'][:110]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def axe_browser(browser):
    if not AXE.exists():
        pytest.skip("axe-core is not vendored: run `make vendor`")
    return browser


@pytest.mark.parametrize("page_name", cases())
def test_no_serious_accessibility_violation(axe_browser, page_name):
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built: run `make book` first")
    page, *_ = open_offline(axe_browser, page_file(page_name), viewport={"width": 1280, "height": 900})
    settle(page)
    found = serious(axe_violations(page))
    page.close()
    assert not found, f"{page_name}: {sum(len(v['nodes']) for v in found)} elements fail\n{describe(found)}"


def test_axe_finds_what_it_should(axe_browser, tmp_path):
    """The check can fail: an image without alt text, an unnamed slider and a label-less button are reported."""
    (tmp_path / "p.html").write_text("""<html lang="en"><head><title>t</title></head><body><main>
      <img src="x.png"><input type="range"><button></button></main></body></html>""")
    page, *_ = open_offline(axe_browser, tmp_path / "p.html")
    ids = {v["id"] for v in serious(axe_violations(page))}
    page.close()
    assert {"image-alt", "label", "button-name"} <= ids, ids
