"""The set-up cell every chapter starts with, kept in one place: `python tools/setup_cell.py` checks that
each chapter's first code cell is exactly this text (tests/test_book.py runs the same check)."""

import json
import pathlib
import sys

SETUP_CELL = '''\
# Set-up. On Colab (or anywhere unsup is missing) install it from the repository; then seed and pick the device.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("unsup") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/unsup-book/unsup"], check=True)
import unsup

unsup.seed_everything(0)
device = unsup.get_device()
print(f"unsup {unsup.__version__}, torch {__import__('torch').__version__}, device: {device}")'''


def first_code_cell(path: pathlib.Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


if __name__ == "__main__":
    bad = [p for p in sorted(pathlib.Path("book").glob("*.ipynb")) if first_code_cell(p) != SETUP_CELL]
    for p in bad:
        print(f"{p}: the first code cell differs from tools/setup_cell.py's SETUP_CELL")
    sys.exit(1 if bad else 0)
