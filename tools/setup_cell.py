"""The set-up cell every chapter starts with, generated in one place from two settings: the repository
(`repository.url` in `_config.yml`) and the version (`version` in `pyproject.toml`). The install is pinned to
the tag `v{version}`, the library the text was checked against; the student edition pins the exact commit it
was built from (`tools/student.py` passes `ref=`).

    python tools/setup_cell.py            check that each chapter's first code cell is SETUP_CELL (exit 1 if not)
    python tools/setup_cell.py --write    rewrite each chapter's first code cell to SETUP_CELL
    python tools/setup_cell.py --write --ref COMMIT NB...   the same, pinned to COMMIT, for the given notebooks

tests/test_book.py runs the same check. A fork changes `repository.url` and runs `--write`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def repository_url(root: pathlib.Path = ROOT) -> str:
    """`repository.url` from `_config.yml`, without a trailing slash or `.git`."""
    url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    return re.sub(r"(\.git)?/*$", "", url)


def version(root: pathlib.Path = ROOT) -> str:
    """`version` of the [project] table in pyproject.toml (read with a pattern: tomllib needs Python 3.11)."""
    m = re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', (root / "pyproject.toml").read_text(), re.M | re.S)
    if not m:
        raise ValueError("pyproject.toml has no version in its [project] table")
    return m.group(1)


def install_spec(ref: str | None = None, root: pathlib.Path = ROOT) -> str:
    """`git+URL@REF`: what the set-up cell installs (REF defaults to the tag `v{version}`)."""
    return f"git+{repository_url(root)}@{ref or 'v' + version(root)}"


def setup_cell(ref: str | None = None, root: pathlib.Path = ROOT) -> str:
    """The set-up cell's text, installing `install_spec(ref)` where unsup is missing."""
    return f'''\
# Set-up. Where unsup is missing (Colab), install the version this text
# was checked against; then seed and pick the device.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("unsup") is None:
    repo = "git+{repository_url(root)}"
    ref = "{ref or 'v' + version(root)}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    f"{{repo}}@{{ref}}"], check=True)
import torch
import unsup

unsup.seed_everything(0)
device = unsup.get_device()
print(f"unsup {{unsup.__version__}}, torch {{torch.__version__}}, {{device}}")'''


SETUP_CELL = setup_cell()


def installed_spec(cell: str) -> str | None:
    """What a set-up cell's text installs (`git+URL@REF`), or None if it names no repository and ref."""
    repo = re.search(r'^    repo = "([^"]+)"$', cell, re.M)
    ref = re.search(r'^    ref = "([^"]+)"$', cell, re.M)
    return f"{repo[1]}@{ref[1]}" if repo and ref else None


def first_code_cell(path: pathlib.Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def set_first_code_cell(nb: dict, source: str) -> dict:
    """Replace the source of the notebook's first code cell (in place; id, tags and metadata kept)."""
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["source"] = source.splitlines(keepends=True)
    return nb


def write(paths: list[pathlib.Path], ref: str | None = None) -> None:
    cell = setup_cell(ref)
    for p in paths:
        nb = json.loads(p.read_text())
        p.write_text(json.dumps(set_first_code_cell(nb, cell), indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the first code cell instead of checking it")
    ap.add_argument("--ref", help="pin to this tag or commit instead of v{version}")
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path, help="default: book/*.ipynb")
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    if args.write:
        write(paths, args.ref)
        return 0
    want = setup_cell(args.ref)
    bad = [p for p in paths if first_code_cell(p) != want]
    for p in bad:
        print(f"{p}: the first code cell differs from tools/setup_cell.py's set-up cell "
              f"(installing {install_spec(args.ref)}); run: python tools/setup_cell.py --write")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
