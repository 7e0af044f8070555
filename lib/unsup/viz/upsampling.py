"""Unpooling and transposed convolution: small matrices with their numbers, a transposed convolution one input
value at a time, maps of overlap counts, and reconstructions side by side."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.patches import Rectangle

from .images import image_grid
from .style import BASE, SMALL, _axes, _panels, label_if_flat, panel_title


def _numeric(rows) -> bool:
    return all(isinstance(v, (int, float)) for r in rows for v in r)


def _rows(matrix):
    return [list(r) for r in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]


def value_grid(matrix, *, ax=None, title: str | None = None, fmt: str = "{:g}", cmap: str = "Blues",
               vmin: float | None = None, vmax: float | None = None, highlight=None, highlight_color="tab:orange",
               window=None, fontsize: float = BASE):
    """A small matrix drawn as a grid of cells with its numbers (or strings) written in them.

    ``highlight``: cells ``[(i, j), ...]`` to fill in ``highlight_color`` (drawn over the colour map);
    ``window``: ``(top, left, height, width)`` outlined with a thick dashed line (the crop of a padding).
    ``vmin``/``vmax`` default to this matrix's range; ``value_grids`` passes one range for all its panels.
    """
    rows = _rows(matrix)
    h, w = len(rows), len(rows[0])
    numeric = _numeric(rows)
    ax = _axes(ax, (max(2.0, 0.55 * w + 0.6), max(2.0, 0.55 * h + 0.6)))
    if numeric:
        arr = np.array(rows, dtype=float)
        lo = arr.min() if vmin is None else vmin
        hi = (arr.max() if arr.max() > arr.min() else arr.min() + 1) if vmax is None else vmax
        ax.imshow(arr, cmap=cmap, vmin=lo, vmax=hi)
    else:
        ax.imshow(np.zeros((h, w)), cmap="Greys", vmin=0, vmax=1)
    for (i, j) in highlight or ():
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=highlight_color, alpha=0.55, edgecolor="none"))
    for i in range(h):
        for j in range(w):
            v = rows[i][j]
            # white text on the darkest 40% of the colour scale
            dark = numeric and hi > lo and (v - lo) / (hi - lo) > 0.6
            ax.text(j, i, fmt.format(v) if numeric else str(v), ha="center", va="center", fontsize=fontsize,
                    color="white" if dark else "black")
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.3", linewidth=0.8)
    ax.tick_params(which="both", length=0)
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.tick_params(labelsize=SMALL, colors="0.35")
    if window is not None:
        top, left, wh, ww = window
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), ww, wh, fill=False, edgecolor="tab:red", linewidth=2.5,
                               linestyle="--"))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    if title:
        panel_title(ax, title)
    return ax.figure


def value_grids(panels, *, ncols: int | None = None, suptitle: str | None = None, cell: float = 0.5, **kwargs):
    """Several ``value_grid`` panels side by side: ``panels`` is a list of ``(matrix, title)`` or
    ``(matrix, title, options_dict)``. The numeric panels share one colour scale (the same shade is the same
    number in every panel) unless ``vmin``/``vmax`` are given. Returns the Figure."""
    n = len(panels)
    ncols = ncols or n
    nrows = -(-n // ncols)
    sizes = [(len(_rows(p[0])), len(_rows(p[0])[0])) for p in panels]
    hmax, wmax = max(s[0] for s in sizes), max(s[1] for s in sizes)
    numbers = [v for p in panels if _numeric(_rows(p[0])) for r in _rows(p[0]) for v in r]
    if numbers:
        kwargs.setdefault("vmin", min(numbers))
        kwargs.setdefault("vmax", max(numbers) if max(numbers) > min(numbers) else min(numbers) + 1)
    # 0.5 in per row of panels for the (up to two-line) titles
    fig, axes = _panels(nrows, ncols, (cell * wmax + 0.7, cell * hmax + 0.5), title_height=0.5)
    for ax, p in zip(axes.flat, panels):
        opts = {**kwargs, **(p[2] if len(p) > 2 else {})}
        value_grid(p[0], ax=ax, title=p[1], **opts)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def scatter_steps_figure(x, weight, stride=1, padding=0, output_padding=0, *, ncols: int = 3, fmt: str = "{:g}",
                         suptitle: str | None = None):
    """The transposed convolution of one channel, one input value at a time (``unsup.upsample.scatter_steps``):
    a panel per input value showing the full canvas so far, the weighted copy it adds (orange) and the window
    that ``padding``/``output_padding`` keep (red dashes); a last panel with the output."""
    from ..upsample import scatter_steps

    steps = list(scatter_steps(x, weight, stride, padding, output_padding))
    top, left, ho, wo = steps[-1]["crop"]
    kh, kw = weight.shape
    vmax = float(steps[-1]["full"].abs().max()) or 1.0
    panels = []
    for st in steps:
        i, j = st["pos"]
        r, c = st["corner"]
        cells = [(r + a, c + b) for a in range(kh) for b in range(kw)]
        panels.append((st["full"], f"x[{i},{j}] = {float(x[i, j]):g} adds {float(x[i, j]):g}·w\n"
                                   f"at rows {r}..{r + kh - 1}, cols {c}..{c + kw - 1}",
                       {"highlight": cells, "window": (top, left, ho, wo)}))
    out = steps[-1]["full"][top:top + ho, left:left + wo]
    panels.append((out, f"output {ho} x {wo}\n(the window)", {}))
    return value_grids(panels, ncols=ncols, suptitle=suptitle, fmt=fmt, vmin=0, vmax=vmax, cmap="Greys",
                       cell=0.45)


def count_images(counts: dict, *, ncols: int | None = None, suptitle: str | None = None, cmap: str = "magma",
                 vmin: float | None = 0, vmax: float | None = None, shared: bool | None = None):
    """Images of overlap counts (or any maps) side by side: ``{title: (H, W) tensor}``.

    ``shared`` (default: when ``vmin`` is given) puts every panel on one colour scale from ``vmin`` (counts
    start at 0) to ``vmax`` (default: the largest value), with one colour bar, so equal shades are equal amounts.
    ``vmin=None`` without ``shared`` gives each panel its own range and colour bar, for signed maps whose pattern,
    not level, is the point. A constant panel is labelled with its value."""
    maps = {t: torch.as_tensor(m).detach().cpu().float() for t, m in counts.items()}
    shared = vmin is not None if shared is None else shared
    n = len(maps)
    ncols = ncols or n
    nrows = -(-n // ncols)
    lo = hi = None
    if shared:
        lo = float(min(m.min() for m in maps.values())) if vmin is None else vmin
        hi = float(max(m.max() for m in maps.values())) if vmax is None else vmax
        hi = hi if hi > lo else lo + 1
    fig, axes = _panels(nrows, ncols, (2.2 if shared else 2.7, 2.2), title_height=0.5,
                        extra_height=0.3 if suptitle else 0.0)
    im = None
    for ax, (title, m) in zip(axes.flat, maps.items()):
        im = ax.imshow(m.numpy(), cmap=cmap, vmin=lo if shared else None, vmax=hi if shared else vmax,
                       interpolation="nearest")
        if not shared:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        label_if_flat(ax, m)
        panel_title(ax, title)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if shared and im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), fraction=0.046 / max(1, ncols) * 2, pad=0.02, shrink=0.9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def reconstructions_side_by_side(x, recons: dict, *, nrow: int = 4, zoom=None, suptitle: str | None = None):
    """Originals beside each model's reconstructions (``{name: (N, 1, H, W)}``); with ``zoom=(index, rows,
    cols)`` a second row shows that crop of one image large, pixel by pixel, where a checkerboard shows."""
    n_panels = 1 + len(recons)
    rows = 2 if zoom is not None else 1
    fig, axes = _panels(rows, n_panels, (2.5, 2.5), title_height=0.5, extra_height=0.3 if suptitle else 0.0)
    items = [("data", x)] + list(recons.items())
    for ax, (name, imgs) in zip(axes[0], items):
        image_grid(imgs, nrow, ax=ax)
        panel_title(ax, name.replace("_", " "))  # a decoder's key, e.g. "bed_of_nails", read as words
    if zoom is not None:
        idx, rs, cs = zoom
        for ax, (name, imgs) in zip(axes[1], items):
            crop = imgs[idx, 0, rs, cs].detach().cpu().float()
            ax.imshow(crop.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            label_if_flat(ax, crop)
            panel_title(ax, f"{name.replace('_', ' ')}\nimage {idx}, zoomed")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
