"""The book's figure style, in one place: the size of the page's main column, the fonts, and the helpers every
plot uses to make its figure (or draw on a given Axes), place its legend and title its panels.

How the page constants were measured (sphinx-book-theme 1.x as Jupyter Book 1 builds it, headless Chromium at a
1280 x 900 viewport, device pixel ratio 1): ``article.bd-article`` is 752 px wide with 32 px of padding on each
side, so a paragraph (and a cell output) in the main column is ``COLUMN_PX = 688`` px wide; the body text is
``BODY_PX = 16`` px (``getComputedStyle(p).fontSize``). A notebook's figure is a PNG written at ``figure.dpi``
with ``bbox_inches="tight"`` (0.1 in of padding each side) and shown at its natural size, scaled down only when
it is wider than the column. So a figure ``FIG_WIDTH`` inches wide at ``DPI`` is shown 1:1, and a font of ``s``
points is ``s * DPI / 72`` px on the page.
"""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.transforms import ScaledTranslation

# --- measured on the built page (see the module docstring) ---
COLUMN_PX = 688  # width of the main column at a 1280 px viewport
BODY_PX = 16  # body font size
MIN_TEXT_PX = 0.8 * BODY_PX  # the smallest text a figure may show, at its displayed size

# --- chosen from them ---
DPI = 100
SAVE_PAD_IN = 0.1  # matplotlib's pad_inches, added on each side by the notebook's bbox_inches="tight"
# the saved PNG (figure + 2 pads) fits the column with a few pixels to spare, so it is shown at its natural size
FIG_WIDTH = round((COLUMN_PX - 8) / DPI - 2 * SAVE_PAD_IN, 2)  # 6.6 in

# font sizes in points; at DPI = 100 one point is 1.39 px, so SMALL (10 pt) is 13.9 px >= MIN_TEXT_PX = 12.8 px
BASE = 11.0
SMALL = 10.0
MIN_PT = 9.5  # for dense panel titles only: 13.2 px

BOOK_STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": "figure",
    "figure.figsize": (FIG_WIDTH, 3.6),
    "font.size": BASE,
    "axes.titlesize": BASE,
    "axes.labelsize": BASE,
    "figure.titlesize": BASE + 1,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "legend.fontsize": SMALL,
    "legend.title_fontsize": SMALL,
    "legend.framealpha": 0.85,
    "axes.titlepad": 5.0,
    "image.interpolation": "nearest",
    # constrained layout is switched on per figure by the helpers below, not globally: chapters that call
    # fig.tight_layout() on their own figures would otherwise print "The figure layout has changed to tight"
    "figure.constrained_layout.use": False,
}


def use_book_style(overrides: dict | None = None) -> dict:
    """Apply the book's figure style (``BOOK_STYLE``, updated with ``overrides``) to matplotlib's rcParams and
    return the settings applied. ``import unsup.viz`` calls it once, so a chapter's own figures follow it too."""
    style = {**BOOK_STYLE, **(overrides or {})}
    unknown = sorted(k for k in style if k not in mpl.rcParams)
    if unknown:
        raise KeyError(f"not matplotlib rcParams: {unknown}; see matplotlib.rcParams.keys() for valid names")
    mpl.rcParams.update(style)
    return style


def fit_size(width: float, height: float) -> tuple[float, float]:
    """``(width, height)`` in inches, scaled down (keeping the aspect) to fit the column's ``FIG_WIDTH``."""
    if width <= FIG_WIDTH:
        return (width, height)
    return (FIG_WIDTH, height * FIG_WIDTH / width)


def _axes(ax=None, size: tuple[float, float] = (FIG_WIDTH, 3.6)):
    """The figure-or-axes boilerplate of every single-panel plot: ``ax`` itself when given (the caller owns the
    figure), else the one Axes of a new column-wide figure with constrained layout. Return ``ax.figure``."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=fit_size(*size), layout="constrained")
    return ax


def _panels(nrows: int, ncols: int, panel: tuple[float, float], *, extra_height: float = 0.0,
            title_height: float = 0.0, **kwargs):
    """A figure of ``nrows x ncols`` panels, each ``panel = (w, h)`` inches before fitting, the whole scaled down
    to the column width, plus ``title_height`` inches per row for panel titles and ``extra_height`` for a
    suptitle or legend (neither scaled); constrained layout keeps titles, suptitle and colour bars from
    overlapping. Returns ``(fig, axes)`` with ``axes`` a 2-D array."""
    w, h = fit_size(ncols * panel[0], nrows * panel[1])
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, h + nrows * title_height + extra_height), squeeze=False,
                             layout="constrained", **kwargs)
    return fig, axes


def _width_px(ax) -> float:
    """About how wide ``ax`` will be once laid out: its share of the figure's grid (the position before layout
    is matplotlib's default margins, narrower than constrained layout leaves)."""
    fig = ax.figure
    spec = ax.get_subplotspec()
    if spec is None:
        return ax.get_position().width * fig.get_figwidth() * fig.dpi
    ratios = spec.get_gridspec().get_width_ratios() or [1] * spec.get_gridspec().ncols
    share = sum(ratios[spec.colspan.start:spec.colspan.stop]) / sum(ratios)
    return 0.92 * share * fig.get_figwidth() * fig.dpi


def panel_title(ax, text: str | None, fontsize: float | None = SMALL):
    """Title a panel of a multi-panel figure, wrapped to the panel's width so titles never run into their
    neighbours. ``fontsize=None``: the style's title size. A title with TeX math breaks only after a comma that
    is outside ``$...$`` (a line break inside math is not valid)."""
    if not text:
        return
    fig = ax.figure
    size = mpl.font_manager.FontProperties(size=fontsize or mpl.rcParams["axes.titlesize"]).get_size_in_points()
    # DejaVu Sans averages about 0.58 em per character
    chars = max(8, int(_width_px(ax) / (0.58 * size * fig.dpi / 72)))
    if "$" not in text:
        text = "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))
    elif len(text) > chars:
        parts = text.split(", ")
        if all(p.count("$") % 2 == 0 for p in parts):
            text = ",\n".join(parts)
    ax.set_title(text, fontsize=size)


def legend_outside(ax, *, where: str | None = None, **kwargs):
    """Place the Axes' legend outside its data: on the right when the labels are short, else below the x-axis
    label (constrained or tight layout then makes room for it). Returns the Legend, or None without labels."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    longest = max(len(lab) for lab in labels)
    where = where or ("right" if longest <= 16 else "below")
    if where == "right":
        return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                         **kwargs)
    if where != "below":
        raise ValueError(f"where must be 'right', 'below' or None; got {where!r}")
    # below the tick labels and the x label: their heights in points, from the current style
    rc = mpl.rcParams
    tick_pt = rc["xtick.major.size"] + rc["xtick.major.pad"] + 1.25 * mpl.font_manager.FontProperties(
        size=rc["xtick.labelsize"]).get_size_in_points()
    label_pt = (rc["axes.labelpad"] + 1.25 * mpl.font_manager.FontProperties(size=rc["axes.labelsize"])
                .get_size_in_points()) if ax.get_xlabel() else 0.0
    drop = ScaledTranslation(0, -(tick_pt + label_pt + 4) / 72, ax.figure.dpi_scale_trans)
    kwargs.setdefault("ncols", 2 if longest <= 30 and len(labels) > 1 else 1)
    return ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     bbox_transform=ax.transAxes + drop, borderaxespad=0.0, **kwargs)


def _finish(ax, title: str | None = None):
    """The end every single-axes plot shares: the legend off the data, the title, the figure."""
    legend_outside(ax)
    if title:
        ax.set_title(title)
    return ax.figure


def label_if_flat(ax, values, fmt: str = "{:.3g}") -> bool:
    """Write the value on a panel whose image is constant (a flat colour says nothing about its level).
    Returns whether it did."""
    lo, hi = float(values.min()), float(values.max())
    if lo != hi:
        return False
    ax.text(0.5, 0.5, "every pixel = " + fmt.format(lo), transform=ax.transAxes, ha="center", va="center",
            fontsize=SMALL, bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "edgecolor": "0.6"})
    return True


def displayed_text_px(fig) -> tuple[float, list[tuple[str, float]]]:
    """What a reader sees of ``fig`` in the page: the width in px of the PNG the notebook writes (tight bounding
    box plus padding, at the figure's dpi) and, for every text drawn, ``(text, size in px as displayed)`` with
    the image scaled down to the column if it is wider (pt * dpi / 72 * min(1, COLUMN_PX / width_px))."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig) if not isinstance(fig.canvas, FigureCanvasAgg) else fig.canvas
    renderer = canvas.get_renderer()
    drawn = []
    original = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if s.strip():
            drawn.append((s, prop.get_size_in_points()))
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record  # count exactly the texts drawn (visible ticks, titles, legends, annotations)
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    bbox = fig.get_tightbbox(renderer)
    width_px = (bbox.width + 2 * SAVE_PAD_IN) * fig.dpi
    scale = min(1.0, COLUMN_PX / width_px)
    return width_px, [(s, pt * fig.dpi / 72 * scale) for s, pt in drawn]
