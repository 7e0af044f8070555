"""tools/unsup_cache.py: after an edit to the library a chapter imports, the next build re-executes the chapter
(the notebook cache alone would serve the old page); with no edit, the notebook comes from the cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import unsup_cache  # noqa: E402


def test_sources_hash_sees_edits_and_ignores_bytecode_and_location(tmp_path):
    for root in (tmp_path / "a", tmp_path / "b"):
        (root / "pkg" / "js").mkdir(parents=True)
        (root / "pkg" / "m.py").write_text("X = 1\n")
        (root / "pkg" / "js" / "r.js").write_text("var a;\n")
    a, b = tmp_path / "a", tmp_path / "b"
    assert unsup_cache.sources_hash(a, ["pkg"]) == unsup_cache.sources_hash(b, ["pkg"])  # another checkout
    (b / "pkg" / "__pycache__").mkdir()
    (b / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    assert unsup_cache.sources_hash(a, ["pkg"]) == unsup_cache.sources_hash(b, ["pkg"])
    (b / "pkg" / "js" / "r.js").write_text("var b;\n")  # package data counts
    assert unsup_cache.sources_hash(a, ["pkg"]) != unsup_cache.sources_hash(b, ["pkg"])
    with pytest.raises(FileNotFoundError, match="unsup_cache_sources"):
        unsup_cache.sources_hash(a, ["nope"])


def _notebook(source: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Tiny"},
                  {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.slow
@pytest.mark.ci
def test_a_library_edit_re_executes_the_chapter(tmp_path):
    book = tmp_path / "book"
    (book / "mylib").mkdir(parents=True)
    (book / "mylib" / "__init__.py").write_text("def value():\n    return 'old-value-1234'\n")
    (book / "chapter.ipynb").write_text(_notebook("import mylib\nprint('got', mylib.value())"))
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    (book / "_config.yml").write_text(
        "title: tiny\nonly_build_toc_files: true\n"
        "execute: {execute_notebooks: cache, raise_on_error: true}\n"
        f"sphinx:\n  local_extensions: {{unsup_cache: {TOOLS}}}\n"
        "  config: {unsup_cache_sources: [mylib], html_theme: basic}\n")
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": str(book)}

    def build() -> tuple[str, str]:
        r = subprocess.run([str(jb), "build", "--all", str(book)], capture_output=True, text=True, env=env, cwd=book)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        return r.stdout + r.stderr, (book / "_build" / "html" / "chapter.html").read_text()

    log, page = build()
    assert "old-value-1234" in page and "Executing" in log
    log, page = build()  # nothing changed: the notebook comes from the cache
    assert "Using cached notebook" in log and "old-value-1234" in page
    (book / "mylib" / "__init__.py").write_text("def value():\n    return 'new-value-5678'\n")
    log, page = build()
    assert "new-value-5678" in page and "old-value-1234" not in page
    assert "unsup_cache: the library changed" in log
