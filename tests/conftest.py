"""Test-session settings: tests never read or write the reader's checkpoint cache, and stay quiet."""

import os
import tempfile

import matplotlib


def pytest_configure(config):
    os.environ["UNSUP_CACHE"] = tempfile.mkdtemp(prefix="unsup-test-cache-")
    os.environ.setdefault("UNSUP_PROGRESS", "0")
    matplotlib.use("Agg")
