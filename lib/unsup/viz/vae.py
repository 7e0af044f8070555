"""The variational autoencoder's pictures: the 2-D latent manifold, the KL carried by each latent unit, and the
rate-distortion curve of a beta sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .style import FIG_WIDTH, SMALL, _axes, _finish


def latent_manifold(decode_mean, n: int = 20, *, quantile: float = 0.05, ax=None, title: str | None = None,
                    image_shape=(28, 28)):
    """Kingma & Welling's picture of a 2-D latent space: decode an ``n x n`` grid of codes placed at the
    quantiles ``quantile .. 1 - quantile`` of N(0, 1) on each axis (through the inverse Gaussian CDF), so every
    cell covers the same prior probability. ``decode_mean(z (M, 2)) -> (M, ...)`` images in [0, 1]."""
    p = torch.linspace(quantile, 1 - quantile, n)
    # z = Phi^{-1}(p), the standard normal's quantile function
    ticks = torch.distributions.Normal(0.0, 1.0).icdf(p)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")  # rows: z2 from high (top) to low
    z = torch.stack([z1.flatten(), z2.flatten()], dim=1)  # (n*n, 2)
    with torch.no_grad():
        x = decode_mean(z).detach().cpu().float().reshape(n, n, *image_shape[-2:])  # (n*n, ...) -> (n, n, H, W)
    h, w = image_shape[-2:]
    canvas = x.permute(0, 2, 1, 3).reshape(n * h, n * w)  # (n, H, n, W) -> (n*H, n*W)
    ax = _axes(ax, (FIG_WIDTH, FIG_WIDTH))
    ax.imshow(canvas.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    every = max(1, n // 5)
    idx = list(range(0, n, every)) + ([n - 1] if (n - 1) % every else [])
    ax.set_xticks([i * w + w / 2 for i in idx], [f"{ticks[i]:.2f}" for i in idx])
    ax.set_yticks([i * h + h / 2 for i in idx], [f"{ticks.flip(0)[i]:.2f}" for i in idx])
    ax.set_xlabel("$z_1$ (at quantiles of N(0, 1))")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax.figure


def kl_per_dimension_bars(kl, *, ax=None, title: str | None = None, threshold: float = 0.01, label=None):
    """Average KL per latent dimension as bars, sorted from largest; a dashed line at ``threshold`` nats
    (below it a unit is counted inactive). ``kl``: a ``(z_dim,)`` tensor, or a dict name -> tensor."""
    series = kl if isinstance(kl, dict) else {label or "KL": kl}
    ax = _axes(ax, (FIG_WIDTH, 3.4))
    width = 0.8 / len(series)
    for i, (name, v) in enumerate(series.items()):
        v = torch.as_tensor(v).detach().cpu().sort(descending=True).values
        ax.bar(torch.arange(len(v)) + (i - (len(series) - 1) / 2) * width, v.clamp_min(1e-4), width=width,
               label=name)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"{threshold:g} nats")
    ax.set_yscale("log")
    ax.set_xlabel("latent dimension (sorted by KL)")
    ax.set_ylabel("mean KL (nats)")
    return _finish(ax, title)


def rate_distortion(rates, distortions, labels, samples=None, *, n_show: int = 6, title: str | None = None,
                    xlabel: str = "distortion D: squared error per image",
                    ylabel: str = "rate R: KL (nats per image)"):
    """A rate-distortion curve, one labelled point per model (e.g. one per beta), the rate (KL) against the
    distortion; with ``samples`` (one ``(N, 1, H, W)`` tensor per point, N >= ``n_show``) a row of each point's
    first ``n_show`` samples beside the curve, carrying the point's label."""
    n = len(rates)
    if not len(distortions) == len(labels) == n or (samples is not None and len(samples) != n):
        raise ValueError(f"rates, distortions, labels (and samples) need one entry per point: got {n}, "
                         f"{len(distortions)}, {len(labels)}" + ("" if samples is None else f", {len(samples)}"))
    if samples is None:
        ax = _axes(None, (FIG_WIDTH, 3.4))
        fig = ax.figure
    else:
        side = 0.5  # inches per sample image
        fig = plt.figure(figsize=(FIG_WIDTH, max(2.9, n * side + 0.9)), layout="constrained")
        grid = fig.add_gridspec(n, n_show + 1, width_ratios=[0.9 * n_show] + [1] * n_show)
        ax = fig.add_subplot(grid[:, 0])
        for r, x in enumerate(samples):
            x = torch.as_tensor(x).detach().cpu().float()
            x = x[:, 0] if x.dim() == 4 else x  # (N, 1, H, W) -> (N, H, W)
            if len(x) < n_show:
                raise ValueError(f"point {labels[r]!r} has {len(x)} samples; n_show is {n_show}")
            for c in range(n_show):
                im_ax = fig.add_subplot(grid[r, c + 1])
                im_ax.imshow(x[c].clamp(0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                im_ax.set_xticks([])
                im_ax.set_yticks([])
                if c == 0:
                    im_ax.set_ylabel(labels[r], rotation=0, ha="right", va="center", fontsize=SMALL)
    d = [float(v) for v in distortions]
    r_ = [float(v) for v in rates]
    ax.plot(d, r_, "o-", color="#1f77b4")
    mid = (min(d) + max(d)) / 2
    for x_, y_, lab in zip(d, r_, labels):
        # the curve falls to the right: a label of the right half goes below-left, clear of frame and curve
        right = x_ > mid
        ax.annotate(lab, (x_, y_), textcoords="offset points", xytext=(-4, -14) if right else (6, 4),
                    ha="right" if right else "left", fontsize=SMALL)
    ax.margins(x=0.25, y=0.12)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _finish(ax, title)
