"""tools/student.py: the student edition carries no solution, its stubs run and report "not attempted", and
the solutions pasted back pass every check. Fast tests work on tests/fixtures/exercises_fixture.ipynb (one
exercise of each kind, in the conventions of book/instructors.md); the chapters are checked without running
them; slow tests build the fixture's HTML and run a student notebook in a clean venv outside the repository."""

import contextlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import setup_cell  # noqa: E402
import student  # noqa: E402
from setup_cell import repository_url  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "exercises_fixture.ipynb"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
MARKER = "SOLUTION-MARKER"  # written only inside the fixture's solutions


def source(cell):
    return "".join(cell["source"])


def load(path=FIXTURE):
    return json.loads(path.read_text())


def solution_lines(nb):
    """Lines that belong to a solution only: gated Markdown, and the code of `solution` cells that a stub
    does not keep (bodies, experiments), less lines the chapter also has outside its solutions (a
    `\\begin{aligned}` is no leak)."""
    lines, outside, inside = [], set(), False
    for cell in nb["cells"]:
        src = source(cell)
        if student._START.match(src):
            inside = True
            continue
        if student._END.match(src):
            inside = False
            continue
        if "solution" in cell["metadata"].get("tags", []):
            stub = student.stub_source(src) or ""
            kept = [k.rstrip(";") for k in stub.splitlines()]  # the stub's check ends in ";"
            lines += [ln for ln in src.splitlines() if ln.strip() and ln not in kept]
        elif inside:
            lines += [ln for ln in src.splitlines() if ln.strip()]
        else:
            outside.update(ln.strip() for ln in src.splitlines())
    return [ln.strip() for ln in lines if len(ln.strip()) > 12 and ln.strip() not in outside]


def run_cells(nb):
    """Execute the notebook's code cells in one namespace, in order; return what they printed."""
    ns, out = {"__name__": "__main__"}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                exec(compile(source(cell), "<cell>", "exec"), ns)
    return out.getvalue()


def test_fixture_has_every_kind_and_solution_lines():
    lines = solution_lines(load())
    assert any("logsumexp" in ln for ln in lines) and any(MARKER in ln for ln in lines)


def test_student_notebook_has_no_solution():
    nb = student.studentize(load(), COMMIT)
    text = json.dumps(nb)
    assert MARKER not in text
    assert "solution-start" not in text and "solution-end" not in text and "logsumexp" not in text
    for cell in nb["cells"]:
        assert "solution" not in cell["metadata"].get("tags", [])
        assert cell["cell_type"] == "markdown" or (cell["outputs"] == [] and cell["execution_count"] is None)
    # the exercises themselves stay, all three of them
    assert sum("{exercise}" in source(c) for c in nb["cells"]) == 3


def test_stub_keeps_signature_and_docstring_and_a_bare_check():
    nb = student.studentize(load(), COMMIT)
    stub = next(source(c) for c in nb["cells"] if "NotImplementedError" in source(c))
    assert "def log_mean_exp(a: torch.Tensor, dim: int = 0, keepdim: bool = False) -> torch.Tensor:" in stub
    assert '"""log( mean_i exp(a_i) ) along `dim`, without overflow."""' in stub
    assert re.search(r'^check\("elbo.log_mean_exp", log_mean_exp\);$', stub, re.M)
    assert "assert" not in stub


def test_setup_cell_pinned_to_the_commit():
    nb = student.studentize(load(), COMMIT)
    cell = source(next(c for c in nb["cells"] if c["cell_type"] == "code"))
    assert setup_cell.installed_spec(cell) == f"git+{repository_url()}@{COMMIT}"


def test_stubs_run_and_report_not_attempted():
    out = run_cells(student.studentize(load(), COMMIT))
    assert "[elbo.log_mean_exp] not attempted yet" in out, out


def test_pasting_the_solutions_back_passes_every_check():
    original, nb = load(), student.studentize(load(), COMMIT)
    solutions = {c["id"]: source(c) for c in original["cells"] if "solution" in c["metadata"].get("tags", [])}
    pasted = 0
    for cell in nb["cells"]:
        if cell.get("id") in solutions:
            cell["source"] = solutions[cell["id"]]
            pasted += 1
    assert pasted == 1
    out = run_cells(nb)  # `assert check(...)` raises if a check fails
    assert "[elbo.log_mean_exp] correct" in out and "not attempted" not in out, out


def test_unbalanced_solution_gates_are_errors():
    nb = load()
    ends = [i for i, c in enumerate(nb["cells"]) if student._END.match(source(c))]
    del nb["cells"][ends[0]]
    with pytest.raises(ValueError, match="solution-start"):
        student.studentize(nb, COMMIT)


@pytest.mark.parametrize("chapter", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_chapter_student_notebook_has_no_solution(chapter):
    nb = load(chapter)
    stu = student.studentize(nb, COMMIT)
    text = "\n".join(source(c) for c in stu["cells"])
    leaked = [ln for ln in solution_lines(nb) if ln in text]
    assert not leaked, f"{chapter.name}: solution lines in the student notebook: {leaked[:3]}"
    assert setup_cell.installed_spec(first_code_cell_of(stu)) == f"git+{repository_url()}@{COMMIT}"


def first_code_cell_of(nb):
    return next(source(c) for c in nb["cells"] if c["cell_type"] == "code")


BUILT = sorted((ROOT / "_build" / "student" / "html" / "book").glob("*.html"))


@pytest.mark.skipif(not BUILT, reason="no student edition built (make student)")
@pytest.mark.parametrize("page", BUILT or [None], ids=lambda p: getattr(p, "name", "none"))
def test_built_student_html_has_no_solution(page):
    html = page.read_text()
    assert "tag_solution" not in html and 'class="solution' not in html


@pytest.mark.slow
def test_fixture_student_html_has_no_solution(tmp_path):
    # the student notebook built strictly with sphinx-exercise, as make student builds the chapters
    nbdir = tmp_path / "nb"
    (nb,) = student.write_notebooks([FIXTURE], nbdir, COMMIT)
    book = tmp_path / "book"
    book.mkdir()
    (book / nb.name).write_text(nb.read_text())
    (book / "_toc.yml").write_text(f"format: jb-book\nroot: {nb.stem}\n")
    (book / "_config.yml").write_text(
        "title: t\nonly_build_toc_files: true\nexecute: {execute_notebooks: force, raise_on_error: true}\n"
        "parse: {myst_enable_extensions: [amsmath, dollarmath, colon_fence]}\n"
        "sphinx: {extra_extensions: [sphinx_exercise]}\n")
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    run = subprocess.run([str(jb), "build", "-W", "--keep-going", "-n", str(book)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    html = (book / "_build" / "html" / f"{nb.stem}.html").read_text()
    assert MARKER not in html and "logsumexp" not in html and "tag_solution" not in html
    assert "not attempted yet" in html and "Implement a stable log-mean-exp" in html


@pytest.mark.slow
def test_student_notebook_runs_alone_in_a_clean_venv(tmp_path):
    """One chapter's student notebook, copied alone into an empty folder, run by a fresh venv where unsup is
    installed from a wheel built from this repository (not editable)."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(ROOT)], check=True)
    (wheel,) = wheels.glob("unsup-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel),
                    "nbclient", "ipykernel", "scipy"], check=True)
    work = tmp_path / "empty"
    work.mkdir()
    (nb_path,) = student.write_notebooks([ROOT / "book" / "02_upsampling.ipynb"], work, COMMIT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MPLBACKEND="Agg", UNSUP_PROGRESS="0", PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    code = ("import nbformat, nbclient, unsup, sys\n"
            "assert 'site-packages' in unsup.__file__, unsup.__file__\n"
            f"nb = nbformat.read({str(nb_path.name)!r}, as_version=4)\n"
            "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute()\n"
            "print(unsup.__file__)\n")
    subprocess.run([str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], check=True,
                   env=env, capture_output=True)
    run = subprocess.run([str(py), "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert str(ROOT) not in run.stdout


def test_setup_cell_write_rewrites_only_the_first_code_cell(tmp_path):
    import setup_cell

    nb_path = tmp_path / FIXTURE.name
    nb_path.write_text(FIXTURE.read_text())
    before = load(nb_path)
    setup_cell.write([nb_path], ref=COMMIT)
    after = load(nb_path)
    assert setup_cell.first_code_cell(nb_path) == setup_cell.setup_cell(COMMIT)
    changed = [i for i, (a, b) in enumerate(zip(before["cells"], after["cells"])) if a != b]
    first_code = next(i for i, c in enumerate(before["cells"]) if c["cell_type"] == "code")
    assert changed == [first_code]
    assert setup_cell.main([str(nb_path), "--ref", COMMIT]) == 0 and setup_cell.main([str(nb_path)]) == 1
