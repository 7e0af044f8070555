"""What a chapter needs to tie its prose to its computation: ``glue`` (a computed number into the text) and
``markdown_table`` (a computed table into the page), the one way to write either."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence

_ALIGN = {"l": ":--", "c": ":-:", "r": "--:"}


def glue(name: str, value, display: bool = False):
    """Record ``value`` for the prose (``{glue:text}`name:.2f` `` in a chapter's Markdown) when the book is
    built; elsewhere (Colab, plain Jupyter) it only returns the value. The number in the text is then the
    number the code computed, never typed by hand. Returns ``value`` (a 0-d tensor or NumPy number as a Python
    number)."""
    # a numpy or 0-d torch number renders as "np.float64(0.5)", which `:.2f` cannot format: glue a Python number
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    try:
        from myst_nb import glue as _glue
    except ImportError:  # not building the book
        return value
    _glue(name, value, display=display)
    return value


def _is_number(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


def _formatter(spec) -> Callable:
    """A cell formatter from a spec: None (the default below), a callable, ``"{:.3f}"``-style or ``".3f"``."""
    if spec is None:
        return _default_format
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return spec.format if "{" in spec else (lambda v: format(v, spec))
    raise TypeError(f"a format is None, a callable or a string such as '.3f' or '{{:.3f}} nats'; got {spec!r}")


def _default_format(v) -> str:
    # integers as they are, other numbers with 4 significant digits: no 19-digit floats in a page
    if hasattr(v, "item") and getattr(v, "ndim", None) == 0:
        v = v.item()
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, numbers.Integral):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, numbers.Real):
        return str(v) if not math.isfinite(v) else f"{v:.4g}"
    return str(v)


def markdown_table(rows, headers: Sequence[str], *, formats=None, align=None):
    """A Markdown table of ``rows`` under ``headers``, returned as an ``IPython.display.Markdown`` object (shown
    as a table by the book and by Jupyter; its text is ``.data``), or a ``str`` where IPython is missing.

    - ``rows``: sequences with one value per header, or mappings keyed by the headers.
    - ``formats``: how to write values. None (integers as they are, other numbers to 4 significant digits,
      anything else with ``str``); one spec for every column; a list with one spec per column; or a dict
      ``{header: spec}`` (other columns default). A spec is ``".3f"``, ``"{:.3f} nats"``, a callable, or None.
    - ``align``: ``"l"``, ``"c"`` or ``"r"`` per column, as a string (``"lrr"``) or a list; default: right for
      columns whose values are all numbers, left otherwise.

    A ``|`` inside a cell is escaped, so it cannot split the row.
    """
    headers = [str(h) for h in headers]
    n = len(headers)
    if n == 0:
        raise ValueError("markdown_table needs at least one header")
    cells = []
    for i, row in enumerate(rows):
        if isinstance(row, Mapping):
            missing = [h for h in headers if h not in row]
            if missing:
                raise ValueError(f"row {i} has no value for the headers {missing}; give every header a value")
            row = [row[h] for h in headers]
        row = list(row)
        if len(row) != n:
            raise ValueError(f"row {i} has {len(row)} values but there are {n} headers {headers}; "
                             "give one value per header")
        cells.append(row)

    if formats is None or isinstance(formats, str) or callable(formats):
        specs = [formats] * n
    elif isinstance(formats, Mapping):
        unknown = [k for k in formats if k not in headers]
        if unknown:
            raise ValueError(f"formats names columns that are not headers: {unknown}; headers are {headers}")
        specs = [formats.get(h) for h in headers]
    else:
        specs = list(formats)
        if len(specs) != n:
            raise ValueError(f"formats has {len(specs)} entries for {n} columns; give one per column (None: default)")
    fmts = [_formatter(s) for s in specs]

    if align is None:
        align = ["r" if cells and all(_is_number(r[j]) or hasattr(r[j], "item") for r in cells) else "l"
                 for j in range(n)]
    align = list(align)
    if len(align) != n or any(a not in _ALIGN for a in align):
        raise ValueError(f"align needs one of 'l', 'c', 'r' per column ({n} columns); got {align!r}")

    def line(values):
        return "| " + " | ".join(str(v).replace("|", r"\|").replace("\n", " ") for v in values) + " |"

    text = "\n".join([line(headers), "|" + "|".join(_ALIGN[a] for a in align) + "|"]
                     + [line(f(v) for f, v in zip(fmts, r)) for r in cells])
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)
