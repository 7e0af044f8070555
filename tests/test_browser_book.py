"""The built book, as a reader with no network sees it: headless Chromium with every http(s) request
blocked. Each page must typeset its math, raise no JavaScript error, find every file it loads, and not even
try to fetch anything from the network.

Needs the built book (`make book`; `make test` builds it first) and Debian's chromium."""

import pathlib
import shutil

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if not f.endswith("bibliography")]


@pytest.fixture(scope="module")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs Debian's chromium when run as root)")
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built: run `make book` first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("page_name", pages())
def test_page_is_complete_offline(browser, page_name):
    page = browser.new_page()
    remote = []

    def block(route):
        if route.request.url.startswith(("http://", "https://")):
            remote.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    errors, missing = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: missing.append(r.url) if r.url.startswith("file:") else None)
    page.goto((HTML / f"{page_name}.html").as_uri())
    page.wait_for_load_state("load")
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
