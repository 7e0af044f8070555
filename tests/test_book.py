"""The book's house rules, checked without building it: chapters in the toc exist, notebooks carry no
outputs, every chapter starts with the one set-up cell, and that cell installs from the configured repository."""

import json
import pathlib
import re
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import SETUP_CELL, first_code_cell, install_spec, installed_spec, repository_url, version  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files():
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def chapters():
    return sorted((ROOT / "book").glob("*.ipynb"))


def test_every_toc_entry_exists():
    for f in toc_files():
        assert any((ROOT / (f + ext)).exists() for ext in (".md", ".ipynb")), f"{f} is in _toc.yml but missing"


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    for nb in chapters():
        assert f"book/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml"


@pytest.mark.parametrize("nb", chapters(), ids=lambda p: p.name)
def test_notebook_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells)
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb.name}: cells {dirty} carry outputs; run jupyter nbconvert --clear-output --inplace"


@pytest.mark.parametrize("nb", chapters(), ids=lambda p: p.name)
def test_chapter_starts_with_the_setup_cell(nb):
    assert first_code_cell(nb) == SETUP_CELL


def test_setup_cell_installs_from_the_configured_repository():
    assert f"git+{CONFIG['repository']['url']}" in SETUP_CELL


@pytest.mark.parametrize("nb", chapters(), ids=lambda p: p.name)
def test_chapter_setup_cell_is_pinned_to_the_version(nb):
    url = CONFIG["repository"]["url"].rstrip("/")
    assert url == repository_url() and install_spec() == f"git+{url}@v{version()}"
    assert installed_spec(first_code_cell(nb)) == f"git+{url}@v{version()}", (
        f"{nb.name}: the set-up cell must install the tagged version v{version()}; run tools/setup_cell.py --write")


def student_notebooks():
    return sorted((ROOT / "_build" / "student" / "notebooks").glob("*.ipynb"))


@pytest.mark.skipif(not student_notebooks(), reason="no student edition built (make student)")
@pytest.mark.parametrize("nb", student_notebooks() or [None], ids=lambda p: getattr(p, "name", "none"))
def test_student_setup_cell_is_pinned_to_a_commit(nb):
    # the edition is pinned to the exact commit it was built from, not to a moving branch or tag
    url = re.escape(CONFIG["repository"]["url"].rstrip("/"))
    assert re.fullmatch(rf"git\+{url}@[0-9a-f]{{40}}", installed_spec(first_code_cell(nb)) or ""), (
        f"{nb.name}: the student set-up cell is not pinned to a commit; rebuild with make student")


def test_build_is_strict_and_offline():
    ex = CONFIG["execute"]
    assert ex["raise_on_error"] is True and ex["allow_errors"] is False
    sphinx = CONFIG["sphinx"]["config"]
    assert not sphinx["mathjax_path"].startswith("http")
    assert all(not url.startswith("http") for url in sphinx["nb_ipywidgets_js"])
    for pattern in (".*", "**/.*", "_build", "lib", "tests", "README.md"):
        assert pattern in CONFIG["exclude_patterns"]
