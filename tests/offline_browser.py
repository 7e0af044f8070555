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
