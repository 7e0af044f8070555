"""Plots for the book. Each function returns a matplotlib Figure (or draws on a given Axes) and never
calls ``plt.show()``; chapters add their own sections below, one heading per chapter."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch


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
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(12, 0.6 * nrow + 0.5), min(12, 0.6 * rows + 0.5)))
    ax.imshow(canvas.numpy(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def plot_history(history, keys=None, *, ax=None, title: str | None = None, logy: bool = False):
    """Per-epoch curves of a ``unsup.train.History``: train solid, validation dashed."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
    keys = keys or list(history.train)
    epochs = range(1, history.epochs + 1)
    for k in keys:
        (line,) = ax.plot(epochs, history.train[k], label=f"train {k}")
        if k in history.val:
            ax.plot(epochs, history.val[k], "--", color=line.get_color(), label=f"val {k}")
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure
