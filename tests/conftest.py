"""Test-session settings: tests never read or write the reader's checkpoint cache, and stay quiet; one headless
Chromium serves every browser test."""

import os
import pathlib
import tempfile

import matplotlib
import pytest
from offline_browser import ARGS, CHROMIUM


def pytest_configure(config):
    # `ci`: slow, but `make test` runs it anyway (the Makefile selects `not slow or ci`)
    config.addinivalue_line("markers", "ci: slow, yet run by `make test` (CI) because it guards the build")
    os.environ["UNSUP_CACHE"] = tempfile.mkdtemp(prefix="unsup-test-cache-")
    os.environ.setdefault("UNSUP_PROGRESS", "0")
    matplotlib.use("Agg")


@pytest.fixture(scope="session")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (`make test` installs Debian's chromium when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
