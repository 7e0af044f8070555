"""Execute the chapters that need it, two at a time, into the build's notebook cache; `make book` runs this
before `jupyter-book build`, which then finds every chapter executed (myst-nb's ``execute_notebooks: cache``).

Why: the machine that builds the book has two cores, and most of a chapter's time goes to small models that
one core trains as fast as two. Run one after another, the chapters took 926 s of a cold build; two at a time,
one thread each, 653 s (the longest chapter sets the pace). Leaving the longest chapter on torch's default
threads was slower (697 s): its convolutions at two threads stalled against the other kernel. What is stored
is exactly what myst-nb stores when it executes a notebook itself (jupyter-cache's ``single_nb_execution``, in
the notebook's folder, same timeout, errors not allowed), so the pages are the same; only the order and the
thread count differ. A chapter that fails stops the build here, with its traceback, as the strict build would.

Before looking at the cache it applies ``tools/unsup_cache.py``'s rule (a changed library clears it), so the
Sphinx extension that applies the same rule afterwards finds nothing to clear.

    python tools/execute_chapters.py [--jobs N]      # from the book's root
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from unsup_cache import clear_if_sources_changed  # noqa: E402

CACHE = ROOT / "_build" / ".jupyter_cache"  # myst-nb's default for the output folder _build/html
RAN = ROOT / "_build" / ".executed-now.json"  # read by tools/exec_times.py


def chapters() -> list[Path]:
    """The notebooks the table of contents names, in its order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for part in toc.get("parts", [toc]) for entry in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def clear_if_library_changed(config: dict) -> None:
    sources = config.get("sphinx", {}).get("config", {}).get("unsup_cache_sources", ["lib/unsup"])
    if clear_if_sources_changed(CACHE, ROOT, list(sources)):
        print("the library changed since the chapters were cached: every chapter re-executes "
              "(models whose code did not change load from the checkpoint cache)")


def _one_thread_each() -> None:
    # set before the kernel starts: torch reads it once, at import
    os.environ["OMP_NUM_THREADS"] = "1"


def _execute(path: str, timeout: int):
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), allow_errors=False, timeout=timeout,
                                 meta_override=True)
    return path, nb, result.time, (result.exc_string if result.err is not None else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=min(2, len(os.sched_getaffinity(0))))
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config.get("execute", {})
    if execute.get("execute_notebooks") != "cache":
        return 0  # myst-nb executes (or not) by itself
    timeout = int(execute.get("timeout", 1200))

    clear_if_library_changed(config)
    cache = get_cache(str(CACHE))
    todo = []
    for path in chapters():
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        RAN.unlink(missing_ok=True)
        return 0
    # longest first (the last measured time; the GAN chapter when none), so the two workers end together
    last = {Path(r.uri).name: r.data.get("execution_seconds") or 0 for r in cache.list_cache_records()}
    todo.sort(key=lambda p: (last.get(p.name, 0), p.name), reverse=True)
    jobs = max(1, min(args.jobs, len(todo)))
    print(f"executing {len(todo)} chapter(s), {jobs} at a time: " + ", ".join(p.name for p in todo), flush=True)
    times, start = {}, time.perf_counter()
    with ProcessPoolExecutor(jobs, initializer=_one_thread_each if jobs > 1 else None) as pool:
        futures = [pool.submit(_execute, str(p), timeout) for p in todo]
        for future in as_completed(futures):
            path, nb, seconds, error = future.result()
            name = Path(path).name
            if error is not None:
                print(f"{name}: executing the notebook failed\n{error}", file=sys.stderr)
                for f in futures:
                    f.cancel()
                return 1
            stage = cache.add_nb_to_project(path)
            cache.cache_notebook_bundle(CacheBundleIn(nb, stage.uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            times[f"book/{Path(path).stem}"] = seconds
            print(f"  {name}: executed in {seconds:.1f} s", flush=True)
    wall = time.perf_counter() - start
    RAN.write_text(json.dumps({"jobs": jobs, "wall_seconds": wall, "seconds": times}, indent=1))
    print(f"chapters executed in {wall:.0f} s of wall time ({sum(times.values()):.0f} s added up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
