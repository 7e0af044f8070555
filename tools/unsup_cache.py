"""Re-execute the book's chapters when the library they run on changed.

The notebook cache (jupyter-cache, ``execute_notebooks: cache``) re-runs a chapter only when its cells change,
so an edit inside ``lib/unsup`` (say, the KL term of ``vae.vae_loss``) left every page showing numbers from the
old code. At ``config-inited`` this extension hashes the library's files (``unsup_cache_sources``, paths
relative to the book's root: its ``.py`` files and package data) and, when the hash differs from the stamp
beside the notebook cache, clears that cache so every chapter re-executes. The checkpoint cache keys on code
(``unsup.train.cache_key``), so a re-execution retrains only the models whose code the edit touched.

Works for ``make book`` and for ``tools/build_chapter.sh`` alike: each build has its own notebook cache and
its own stamp.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def sources_hash(root: Path, sources: list[str]) -> str:
    """SHA-256 over the relative path and bytes of every file under ``sources`` (files or folders)."""
    h = hashlib.sha256()
    for source in sorted(sources):
        top = (root / source).resolve()
        if not top.exists():
            raise FileNotFoundError(f"unsup_cache_sources names {source!r}, which is not under {root}: "
                                    "fix the list in _config.yml (sphinx: config: unsup_cache_sources)")
        files = [top] if top.is_file() else sorted(
            p for p in top.rglob("*")
            if p.is_file() and p.suffix not in _SKIP_SUFFIXES and not _SKIP_DIRS & set(p.relative_to(top).parts))
        for f in files:
            # relative names: the hash must not depend on where the checkout lives
            h.update(f"{source}/{f.relative_to(top).as_posix() if f != top else ''}\0".encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def notebook_cache_path(app, config) -> Path:
    """Where myst-nb keeps its notebook cache (the same rule as ``myst_nb.sphinx_ext``)."""
    path = config.nb_execution_cache_path if "nb_execution_cache_path" in config else ""
    if not path:
        return Path(app.outdir).parent.joinpath(".jupyter_cache").resolve()
    path = Path(path)
    return path if path.is_absolute() else (Path(app.confdir) / path).resolve()


def clear_if_sources_changed(cache: Path, root: Path, sources: list[str]) -> bool:
    """Clear the notebook cache ``cache`` when the hash of ``sources`` differs from the stamp beside it, then
    stamp it; True if a cache was cleared. Also used by ``tools/execute_chapters.py`` before Sphinx starts."""
    stamp = cache.with_name(cache.name + ".sources-sha256")
    digest = sources_hash(root, sources)
    if (stamp.read_text().strip() if stamp.exists() else None) == digest:
        return False
    cleared = cache.exists()
    if cleared:
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return cleared


def _clear_when_sources_changed(app, config) -> None:
    if config["nb_execution_mode"] != "cache":
        return
    cache = notebook_cache_path(app, config)
    if clear_if_sources_changed(cache, Path(app.confdir), list(config.unsup_cache_sources)):
        logger.info(f"unsup_cache: the library changed since the notebooks were cached; cleared {cache} so "
                    "every chapter re-executes (models whose code did not change load from the checkpoint cache)")


def setup(app):
    app.add_config_value("unsup_cache_sources", ["lib/unsup"], "env")
    # before myst-nb reads its cache at builder-inited
    app.connect("config-inited", _clear_when_sources_changed, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
