"""Print how long each chapter took to execute, from the build log (this build) and the execution cache."""

import json
import pathlib
import re
import sys

log = pathlib.Path("_build/.build.log")
ran = {}
if log.exists():
    current = None
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"(book/[\w.-]+?)(?:\.ipynb)?: Executing notebook", line)
        if m:
            current = m.group(1)
        m = re.search(r"(?:(book/[\w.-]+?)(?:\.ipynb)?: )?Executed notebook in ([\d.]+) seconds", line)
        if m:
            ran[m.group(1) or current] = float(m.group(2))

# chapters run by tools/execute_chapters.py before Sphinx started (several at a time)
ahead = pathlib.Path("_build/.executed-now.json")
together = None
if ahead.exists():
    together = json.loads(ahead.read_text())
    ran.update(together["seconds"])

cached = {}
try:
    from jupyter_cache import get_cache

    for rec in get_cache("_build/.jupyter_cache").list_cache_records():
        stem = "book/" + pathlib.Path(rec.uri).stem
        cached[stem] = rec.data.get("execution_seconds")
except Exception as e:  # the table is a report; a missing cache must not fail the build
    print(f"(no execution cache to read: {e})", file=sys.stderr)

print("chapter execution times")
for stem in sorted(set(ran) | set(cached)):
    if stem in ran:
        print(f"  {stem:32s} {ran[stem]:8.1f} s  executed in this build")
    elif cached.get(stem) is not None:
        print(f"  {stem:32s} {cached[stem]:8.1f} s  (unchanged since an earlier build; not re-executed)")
if together:
    print(f"  ({len(together['seconds'])} executed {together['jobs']} at a time: "
          f"{together['wall_seconds']:.0f} s of wall time)")
