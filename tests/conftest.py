"""Test-session settings and the shared fixtures: tests never read or write the reader's checkpoint cache (a
private one per session, and ``private_cache`` per test), stay quiet, use one torch thread (tiny tensors: more
threads only add contention on a shared machine), skip ``gpu`` tests without CUDA; one headless Chromium serves
every browser test."""

import os
import pathlib
import tempfile

import matplotlib
import pytest
import torch
from offline_browser import ARGS, CHROMIUM


def pytest_configure(config):
    # `ci`: slow, but `make test` runs it anyway (the Makefile selects `not slow or ci`)
    config.addinivalue_line("markers", "ci: slow, yet run by `make test` (CI) because it guards the build")
    os.environ["UNSUP_CACHE"] = tempfile.mkdtemp(prefix="unsup-test-cache-")
    os.environ.setdefault("UNSUP_PROGRESS", "0")
    matplotlib.use("Agg")
    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    # `gpu` tests run wherever CUDA is present; elsewhere they are skipped, not deselected, so they show
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CUDA (runs wherever torch.cuda.is_available())")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A checkpoint cache of this test's own (so a test can count or corrupt its entries)."""
    monkeypatch.setenv("UNSUP_CACHE", str(tmp_path / "ckpt"))
    monkeypatch.setenv("UNSUP_PROGRESS", "0")
    return tmp_path / "ckpt"


@pytest.fixture(scope="session")
def browser():
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (`make test` installs Debian's chromium when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
