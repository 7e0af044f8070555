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


def latent_scatter(codes: torch.Tensor, labels: torch.Tensor | None = None, *, ax=None, title: str | None = None,
                   samples: torch.Tensor | None = None, class_names=None, s: float = 3.0, legend: bool = True):
    """2-D codes as a scatter coloured by class; ``samples`` (e.g. codes drawn from a fitted Gaussian or the
    prior) are overlaid as black crosses, so holes between the classes' clouds are visible."""
    from .data import CLASSES

    codes = codes.detach().cpu()
    if codes.dim() != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_scatter needs (N, 2) codes; got shape {tuple(codes.shape)}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
    names = class_names or CLASSES
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=s, alpha=0.5, color="tab:blue", linewidths=0)
    else:
        labels = labels.detach().cpu()
        cmap = plt.get_cmap("tab10")
        for c in labels.unique().tolist():
            m = labels == c
            ax.scatter(codes[m, 0], codes[m, 1], s=s, alpha=0.6, color=cmap(c % 10), linewidths=0,
                       label=names[c] if c < len(names) else str(c))
        if legend:
            ax.legend(markerscale=4, fontsize=7, loc="best", framealpha=0.8)
    if samples is not None:
        samples = samples.detach().cpu()
        ax.scatter(samples[:, 0], samples[:, 1], s=18, marker="x", color="black", linewidths=0.8, label="samples")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def glue(name: str, value, display: bool = False):
    """Record ``value`` for the prose (``{glue:text}`name:.2f` `` in a chapter's Markdown) when the book is
    built; elsewhere (Colab, plain Jupyter) it only returns the value. The number in the text is then the
    number the code computed, never typed by hand."""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # not building the book
        return value
    _glue(name, value, display=display)
    return value


# --- The variational autoencoder ---

def latent_manifold(decode_mean, n: int = 20, *, quantile: float = 0.05, ax=None, title: str | None = None,
                    image_shape=(28, 28)):
    """Kingma & Welling's picture of a 2-D latent space: decode an ``n x n`` grid of codes placed at the
    quantiles ``quantile .. 1 - quantile`` of N(0, 1) on each axis (through the inverse Gaussian CDF), so every
    cell covers the same prior probability. ``decode_mean(z (M, 2)) -> (M, ...)`` images in [0, 1]."""
    import torch

    p = torch.linspace(quantile, 1 - quantile, n)
    # z = Phi^{-1}(p), the standard normal's quantile function
    ticks = torch.distributions.Normal(0.0, 1.0).icdf(p)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")  # rows: z2 from high (top) to low
    z = torch.stack([z1.flatten(), z2.flatten()], dim=1)  # (n*n, 2)
    with torch.no_grad():
        x = decode_mean(z).detach().cpu().float().reshape(n, n, *image_shape[-2:])  # (n*n, ...) -> (n, n, H, W)
    h, w = image_shape[-2:]
    canvas = x.permute(0, 2, 1, 3).reshape(n * h, n * w)  # (n, H, n, W) -> (n*H, n*W)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 7.5))
    ax.imshow(canvas.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    every = max(1, n // 5)
    idx = list(range(0, n, every)) + ([n - 1] if (n - 1) % every else [])
    ax.set_xticks([i * w + w / 2 for i in idx], [f"{ticks[i]:.2f}" for i in idx])
    ax.set_yticks([i * h + h / 2 for i in idx], [f"{ticks.flip(0)[i]:.2f}" for i in idx])
    ax.set_xlabel("$z_1$ (at quantiles of N(0, 1))")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def kl_per_dimension_bars(kl, *, ax=None, title: str | None = None, threshold: float = 0.01, label=None):
    """Average KL per latent dimension as bars, sorted from largest; a dashed line at ``threshold`` nats
    (below it a unit is counted inactive). ``kl``: a ``(z_dim,)`` tensor, or a dict name -> tensor."""
    import torch

    series = kl if isinstance(kl, dict) else {label or "KL": kl}
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(series)
    for i, (name, v) in enumerate(series.items()):
        v = torch.as_tensor(v).detach().cpu().sort(descending=True).values
        ax.bar(torch.arange(len(v)) + (i - (len(series) - 1) / 2) * width, v.clamp_min(1e-4), width=width,
               label=name)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"{threshold:g} nats")
    ax.set_yscale("log")
    ax.set_xlabel("latent dimension (sorted by KL)")
    ax.set_ylabel("mean KL (nats)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure
