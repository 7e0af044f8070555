"""Pictures of images: a tiled grid, labelled rows, and signed images (eigenvectors, weights)."""

from __future__ import annotations

import math

import torch

from .style import FIG_WIDTH, SMALL, _axes, _panels, panel_title


def image_grid(images: torch.Tensor, nrow: int | None = None, *, ax=None, title: str | None = None,
               cmap: str = "gray", vmin: float = 0.0, vmax: float = 1.0, pad: int = 1):
    """Tile ``(N, 1, H, W)`` or ``(N, H, W)`` images into one picture with ``nrow`` images per row."""
    x = images.detach().cpu().float()
    if x.dim() == 4:
        if x.shape[1] != 1:
            raise ValueError(f"image_grid draws single-channel images; got shape {tuple(x.shape)}")
        x = x[:, 0]  # (N, 1, H, W) -> (N, H, W)
    if x.dim() != 3:
        raise ValueError(f"image_grid needs (N, H, W) or (N, 1, H, W); got shape {tuple(images.shape)}")
    n, h, w = x.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    canvas = torch.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), float(vmax))
    for i in range(n):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    # 0.6 in per tile, with room for a title; fit_size keeps wide grids in the column
    ax = _axes(ax, (0.6 * nrow + 0.5, 0.6 * rows + 0.5 + (0.3 if title else 0)))
    ax.imshow(canvas.numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        panel_title(ax, title, fontsize=None)
    return ax.figure


def image_rows(rows: dict, *, title: str | None = None, scale: float = 0.9):
    """Rows of images with a label on the left of each row: ``rows = {"original": x, "PCA": x_hat, ...}``,
    every value ``(N, 1, H, W)`` or ``(N, H, W)`` with the same N, drawn in [0, 1] greys."""
    names = list(rows)
    first = torch.as_tensor(rows[names[0]])
    n = first.shape[0]
    label_in = 0.11 * max(len(nm) for nm in names) + 0.2  # the row labels' column, at SMALL points
    # the images share what the labels leave of the column
    side = min(scale, (FIG_WIDTH - label_in) / n)
    fig, axes = _panels(len(names), n, (side, side), extra_height=0.4 if title else 0.0)
    fig.set_figwidth(min(FIG_WIDTH, side * n + label_in))
    for r, name in enumerate(names):
        x = torch.as_tensor(rows[name]).detach().cpu().float()
        if x.dim() == 4:
            x = x[:, 0]  # (N, 1, H, W) -> (N, H, W)
        if x.shape[0] != n:
            raise ValueError(f"row {name!r} has {x.shape[0]} images; the first row has {n}")
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(x[c].clamp(0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=SMALL)
    if title:
        fig.suptitle(title)
    return fig


def signed_images(images: torch.Tensor, nrow: int = 8, *, titles=None, title: str | None = None,
                  cmap: str = "RdBu_r", scale: float = 1.3):
    """Images with signed values (eigenvectors, weights) in a diverging colour map, each scaled to its own
    largest magnitude (red positive, blue negative, white zero). ``images (N, H, W)`` or ``(N, 1, H, W)``."""
    x = torch.as_tensor(images).detach().cpu().float()
    if x.dim() == 4:
        x = x[:, 0]  # (N, 1, H, W) -> (N, H, W)
    if x.dim() != 3:
        raise ValueError(f"signed_images needs (N, H, W) or (N, 1, H, W); got shape {tuple(images.shape)}")
    n = x.shape[0]
    rows = -(-n // nrow)
    # panel titles take about 0.45 in of height above each image
    fig, axes = _panels(rows, nrow, (scale, scale), title_height=0.45 if titles is not None else 0.0,
                        extra_height=0.4 if title else 0.0)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            m = float(x[i].abs().max()) or 1.0
            ax.imshow(x[i], cmap=cmap, vmin=-m, vmax=m, interpolation="nearest")
            if titles is not None:
                panel_title(ax, titles[i])
    if title:
        fig.suptitle(title)
    return fig
