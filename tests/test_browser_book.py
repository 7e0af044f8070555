"""The built book, as a reader with no network sees it: headless Chromium with every http(s) request
blocked. Each page must typeset its math, raise no JavaScript error, find every file it loads, and not even
try to fetch anything from the network.

Needs the built book (`make book`; `make test` builds it first) and Debian's chromium."""

import pathlib

import pytest
import yaml
from offline_browser import open_offline
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
pytestmark = pytest.mark.browser


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
    page, remote, errors, missing = open_offline(book, HTML / f"{page_name}.html")
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
