"""Generative adversarial networks: Goodfellow et al.'s 1-D picture, and samples of a 2-D mixture."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch

from .style import FIG_WIDTH, _panels, panel_title


def gan_1d_panels(grid, p_data, panels, *, titles=None, suptitle: str | None = None, ncols: int | None = None):
    """Goodfellow et al.'s Fig. 1 for a 1-D GAN: one panel per ``(p_g, D)`` pair of arrays on ``grid``, with the
    data density ``p_data`` (black, dotted), the generator's density ``p_g`` (green) and the discriminator's
    ``D(x)`` (blue, dashed, right axis from 0 to 1). One legend, below the panels."""
    grid, p_data = torch.as_tensor(grid).cpu(), torch.as_tensor(p_data).cpu()
    ncols = ncols or len(panels)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = _panels(nrows, ncols, (FIG_WIDTH / min(ncols, 2), 2.6), sharey=True,
                        extra_height=0.4 + (0.3 if suptitle else 0.0))
    ymax = 1.15 * max([p_data.max().item()] + [torch.as_tensor(pg).max().item() for pg, _ in panels])
    twin = None
    for i, (ax, (p_g, d)) in enumerate(zip(axes.flat, panels)):
        ax.plot(grid, p_data, ":", color="black", lw=2, label="p_data")
        ax.plot(grid, torch.as_tensor(p_g).cpu(), color="#2ca02c", lw=2, label="p_g")
        ax.set_ylim(0, ymax)
        ax.set_xlabel("x")
        twin = ax.twinx()
        twin.plot(grid, torch.as_tensor(d).cpu(), "--", color="#1f77b4", lw=2, label="D(x)")
        twin.axhline(0.5, color="#1f77b4", lw=0.5, alpha=0.5)
        twin.set_ylim(0, 1.05)
        if (i + 1) % ncols and i < len(panels) - 1:
            twin.set_yticklabels([])
        else:
            twin.set_ylabel("D(x)", color="#1f77b4")
        if titles:
            panel_title(ax, titles[i], fontsize=None)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    for row in axes:
        row[0].set_ylabel("density")
    handles = axes[0][0].get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.legend(handles, ["p_data", "p_g", "D(x)"], loc="outside lower center", ncols=3, frameon=False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def mixture_samples(samples: dict, centers: torch.Tensor, *, std: float | None = None, ncols: int | None = None,
                    extent: float = 3.0, suptitle: str | None = None, size: float = 2.6):
    """Scatter plots of 2-D samples (``{title: (N, 2)}``), one panel each, with the mixture's centres marked
    (and, with ``std``, circles of 3 standard deviations: the "high-quality" zone of the mode metrics)."""
    ncols = ncols or len(samples)
    nrows = math.ceil(len(samples) / ncols)
    fig, axes = _panels(nrows, ncols, (size, size), title_height=0.3, extra_height=0.3 if suptitle else 0.0)
    c = torch.as_tensor(centers).cpu()
    for ax, (title, s) in zip(axes.flat, samples.items()):
        s = torch.as_tensor(s).detach().cpu()
        ax.scatter(s[:, 0], s[:, 1], s=2, alpha=0.35, color="#1f77b4", rasterized=True)
        ax.scatter(c[:, 0], c[:, 1], marker="x", color="#d62728", s=30)
        if std is not None:
            for cx, cy in c.tolist():
                ax.add_patch(plt.Circle((cx, cy), 3 * std, fill=False, color="#d62728", lw=0.8))
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        panel_title(ax, title)
    for ax in list(axes.flat)[len(samples):]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    return fig
