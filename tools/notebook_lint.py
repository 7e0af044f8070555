"""Code lines of the chapters that are too long to show in a code cell without scrolling.

    .venv/bin/python tools/notebook_lint.py [--max N] [NOTEBOOK ...]     (default: book/*.ipynb)

Prints `file:cell:line: N characters` for each code line longer than the limit and a count per notebook;
exits 1 when any is found. The limit is what fits a code cell of the built book at 1280 px (measured by
tools/page_report.py: the cell's inner width over the width of one character of its font); on a 390 px
phone code cells scroll sideways, which the layout test allows. Cells tagged `remove-input` or
`remove-cell` are not shown and not checked."""

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
# At 1280 px a code cell's text is 634 px wide and one character of its 14 px monospace font (DejaVu Sans Mono
# here; Menlo, Consolas and Cascadia Code are as wide or narrower) is 8.43 px: 75 characters fit
# (tools/page_report.py measures it on the built pages).
LINE_LENGTH = 75
HIDDEN = {"remove-input", "remove-cell"}


def long_lines(path, limit=LINE_LENGTH):
    """(cell index, line number from 1, length) of each shown code line of ``path`` longer than ``limit``."""
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or HIDDEN & set(cell.get("metadata", {}).get("tags", [])):
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        found += [(i, n, len(line)) for n, line in enumerate(text.splitlines(), 1) if len(line) > limit]
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max", type=int, default=LINE_LENGTH, help=f"longest allowed line (default {LINE_LENGTH})")
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path)
    args = ap.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    total = 0
    for nb in notebooks:
        if not nb.exists():
            sys.exit(f"{nb}: no such notebook")
        found = long_lines(nb, args.max)
        for cell, line, n in found:
            print(f"{nb}:{cell}:{line}: {n} characters (max {args.max})")
        if found:
            print(f"{nb}: {len(found)} lines longer than {args.max}")
        total += len(found)
    print(f"{total} code lines longer than {args.max} characters in {len(notebooks)} notebooks")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
