"""Build the student edition of the book: the chapters without solutions (`make student`).

    python tools/student.py                    notebooks and HTML into _build/student/
    python tools/student.py --no-html          only _build/student/notebooks/*.ipynb
    python tools/student.py --ref COMMIT ...   pin the set-up cell to COMMIT (default: git HEAD)

In each chapter (conventions: book/instructors.md):
- a code cell tagged `solution` that defines functions becomes a stub: each function keeps its signature and
  docstring and its body becomes `raise NotImplementedError`; imports are kept; `assert check(...)` becomes
  a bare `check(...)`, which prints "not attempted yet" until the student writes the body;
- every other `solution`-tagged cell, every cell between `{solution-start}` and `{solution-end}`, those two
  directive cells and any `{solution}` directive cell are removed;
- outputs are cleared and the set-up cell installs unsup pinned to the commit the edition is built from.
The HTML is a strict jupyter-book build of those notebooks with the book's configuration (launch buttons
pointing at the `student-edition` branch), executed with the same checkpoint cache, so nothing retrains.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from setup_cell import set_first_code_cell, setup_cell  # noqa: E402

STUDENT_BRANCH = "student-edition"
SOLUTION_TAG = "solution"
_DIRECTIVE = r"^\s*(`{3,}|:{3,})\s*\{%s\}"
_START = re.compile(_DIRECTIVE % "solution-start")
_END = re.compile(_DIRECTIVE % "solution-end")
_SOLUTION = re.compile(_DIRECTIVE % "solution", re.M)
# short lines: the header must fit the page's code cell too (75 characters, tools/notebook_lint.py)
STUB_HEADER = ("# Your answer: replace each `raise NotImplementedError` with your\n"
               "# code, then run the cell; the last line checks it and says which\n"
               "# case fails, if any.\n")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _is_check_assert(node: ast.stmt) -> bool:
    """`assert check(...)`: the line of a solution that checks it."""
    return (isinstance(node, ast.Assert) and isinstance(node.test, ast.Call)
            and isinstance(node.test.func, ast.Name) and node.test.func.id == "check")


def _stub_def(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> ast.stmt:
    """The same signature (decorators, defaults, annotations) and docstring; the body raises."""
    node = copy.deepcopy(node)
    doc = ast.get_docstring(node, clean=False)
    body: list[ast.stmt] = [ast.Expr(ast.Constant(doc))] if doc is not None else []
    if isinstance(node, ast.ClassDef):
        body += [_stub_def(n) for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        node.body = body or [ast.Pass()]
    else:
        node.body = body + [ast.Raise(ast.Name("NotImplementedError", ast.Load()))]
    return node


def _stub_function_text(src: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The function's own lines up to the end of its docstring (the signature as written, with its comments
    and layout), then `raise NotImplementedError`. A one-line function falls back to ast.unparse."""
    lines = src.splitlines()
    first = node.body[0]
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    if first.lineno == node.lineno:  # def f(x): return x
        return ast.unparse(ast.fix_missing_locations(_stub_def(node)))
    has_doc = ast.get_docstring(node, clean=False) is not None
    end = first.end_lineno if has_doc else first.lineno - 1
    head = lines[start - 1:end]
    if not has_doc:  # drop comment lines of the body that sit between the signature and the first statement
        while head and head[-1].strip().startswith("#") or head and not head[-1].strip():
            head.pop()
    return "\n".join(head + [" " * first.col_offset + "raise NotImplementedError"])


def stub_source(src: str) -> str | None:
    """The stub of a solution cell that defines functions or classes, or None when it defines none."""
    try:
        tree = ast.parse(src)
    except SyntaxError as err:
        raise ValueError(f"a `solution` cell is not valid Python ({err}); fix it in the chapter") from err
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body):
        return None
    parts = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            parts.append(ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append("\n" + _stub_function_text(src, node) + "\n")
        elif isinstance(node, ast.ClassDef):
            parts.append("\n" + ast.unparse(ast.fix_missing_locations(_stub_def(node))) + "\n")
        elif _is_check_assert(node):
            # assert check(...) -> check(...); a stub fails its check without stopping the notebook, and the
            # semicolon keeps the returned bool out of the page (the check prints what it found)
            parts.append("\n" + (ast.get_source_segment(src, node.test) or ast.unparse(node.test)) + ";")
        # any other statement is part of the answer: dropped
    return STUB_HEADER + "\n".join(parts).strip("\n").replace("\n\n\n\n", "\n\n\n")


def _clear(cell: dict) -> dict:
    if cell["cell_type"] == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


def studentize(nb: dict, ref: str | None) -> dict:
    """The student version of a chapter notebook (a new dict; the input is not changed).

    `ref` pins the set-up cell's install (a commit); None leaves the set-up cell as it is."""
    nb = copy.deepcopy(nb)
    cells, inside = [], None
    for cell in nb["cells"]:
        src = _source(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown" and _START.match(src):
            if inside is not None:
                raise ValueError(f"a {{solution-start}} opens inside another solution (the one begun with "
                                 f"{inside.strip()[:60]!r}): close it with {{solution-end}} first")
            inside = src
            continue
        if cell["cell_type"] == "markdown" and _END.match(src):
            if inside is None:
                raise ValueError("a {solution-end} cell has no {solution-start} before it")
            inside = None
            continue
        if cell["cell_type"] == "markdown" and _SOLUTION.search(src):
            continue  # a whole solution in one directive
        if cell["cell_type"] == "code" and SOLUTION_TAG in tags:
            stub = stub_source(src)
            if stub is not None:
                cell["source"] = stub.splitlines(keepends=True)
                cell["metadata"]["tags"] = [t for t in tags if t != SOLUTION_TAG]
                if not cell["metadata"]["tags"]:
                    del cell["metadata"]["tags"]
                cells.append(_clear(cell))
            continue
        if inside is not None:
            continue  # text or code of a gated solution
        cells.append(_clear(cell))
    if inside is not None:
        raise ValueError(f"the solution begun with {inside.strip()[:60]!r} has no {{solution-end}} cell")
    nb["cells"] = cells
    nb.get("metadata", {}).pop("widgets", None)
    if ref is not None:
        set_first_code_cell(nb, setup_cell(ref))
    return nb


def head_commit() -> str:
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if out.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}", out.stdout.strip()):
        raise SystemExit(f"tools/student.py: cannot read the git commit to pin to ({out.stderr.strip()}); "
                         "run it in the git checkout or pass --ref COMMIT")
    return out.stdout.strip()


def write_notebooks(chapters: list[pathlib.Path], out: pathlib.Path, ref: str | None) -> list[pathlib.Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters:
        nb = studentize(json.loads(path.read_text()), ref)
        target = out / path.name
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    return written


def student_config(root: pathlib.Path = ROOT) -> dict:
    """The book's configuration for the student edition: its own title, launch buttons on the student branch,
    the vendored files read from the checkout (the source folder is a copy)."""
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    cfg["title"] = f"{cfg['title']} (student edition)"
    cfg.setdefault("repository", {})["branch"] = STUDENT_BRANCH
    sph = cfg.setdefault("sphinx", {}).setdefault("config", {})
    for key in ("html_static_path", "html_extra_path"):
        if key in sph:
            sph[key] = [str((root / p).resolve()) for p in sph[key]]
    local = cfg["sphinx"].get("local_extensions") or {}
    if "unsup_cache" in local:
        # re-execute when the library changes: hash the checkout's library, not the copy's (it has none)
        sph["unsup_cache_sources"] = [str((root / p).resolve()) for p in sph.get("unsup_cache_sources", ["lib/unsup"])]
    return cfg


def _toc_of(src: pathlib.Path, root: pathlib.Path) -> dict:
    """The book's table of contents, less the chapters not in this edition (a build of some chapters only)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())

    def present(entry):
        return "file" not in entry or any((src / (entry["file"] + ext)).exists() for ext in (".md", ".ipynb"))
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part.get("chapters", []) if present(c)]
    toc["parts"] = [p for p in toc.get("parts", []) if p["chapters"]]
    return toc


def build_html(notebooks: list[pathlib.Path], out: pathlib.Path, root: pathlib.Path = ROOT) -> pathlib.Path:
    """A strict jupyter-book build of the student notebooks, in a source folder beside them (its execution
    cache persists there, and trained models come from unsup's checkpoint cache)."""
    src = out / "src"
    (src / "book").mkdir(parents=True, exist_ok=True)
    for stale in (src / "book").glob("*.ipynb"):  # chapters of an earlier, larger edition
        stale.unlink()
    # the book's other pages, bibliography and static files, then the student notebooks
    for item in (root / "book").iterdir():
        if item.suffix == ".ipynb" or item.name.startswith(".") or item.name == "_build":
            continue
        dest = src / "book" / item.name
        if item.is_dir():
            shutil.copytree(item, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dest)
    for nb in notebooks:
        shutil.copy2(nb, src / "book" / nb.name)
    (src / "tools").mkdir(exist_ok=True)
    for name in (yaml.safe_load((root / "_config.yml").read_text()).get("sphinx", {})
                 .get("local_extensions", {}) or {}):
        shutil.copy2(root / "tools" / f"{name}.py", src / "tools" / f"{name}.py")
    (src / "_toc.yml").write_text(yaml.safe_dump(_toc_of(src, root), sort_keys=False))
    cfg = student_config(root)
    if len(notebooks) < len(list((root / "book").glob("*.ipynb"))):
        # an edition of some chapters only: the intro's links to the others have no target; nothing else relaxes
        sph = cfg["sphinx"]["config"]
        sph["suppress_warnings"] = [*sph.get("suppress_warnings", []), "myst.xref_missing"]
    (src / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "MPLBACKEND": "Agg", "UNSUP_PROGRESS": os.environ.get("UNSUP_PROGRESS", "0")}
    # the same strict flags as the book (Makefile JB_FLAGS)
    run = subprocess.run([str(jb), "build", "-W", "--keep-going", "-n", "--all", str(src)], env=env)
    if run.returncode != 0:
        raise SystemExit(f"the student edition's strict build failed (exit {run.returncode}); see above")
    html = out / "html"
    shutil.rmtree(html, ignore_errors=True)
    shutil.copytree(src / "_build" / "html", html)
    return html


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chapters", nargs="*", type=pathlib.Path, help="default: book/*.ipynb")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "student")
    ap.add_argument("--ref", help="commit to pin the set-up cell to (default: git HEAD)")
    ap.add_argument("--no-html", action="store_true", help="write the notebooks only")
    args = ap.parse_args(argv)
    ref = args.ref or head_commit()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "book", "lib"],
                           capture_output=True, text=True).stdout.strip()
    if dirty and not args.ref:
        print(f"warning: book/ or lib/ has uncommitted changes; the edition is pinned to {ref[:12]}, "
              "which does not contain them", file=sys.stderr)
    chapters = args.chapters or sorted((ROOT / "book").glob("*.ipynb"))
    notebooks = write_notebooks(chapters, args.out / "notebooks", ref)
    print(f"student notebooks ({len(notebooks)}), pinned to {ref[:12]}: {args.out / 'notebooks'}")
    if not args.no_html:
        print(f"student edition: {build_html(notebooks, args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
