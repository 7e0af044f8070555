"""The variational autoencoder's pictures: the 2-D latent manifold and the KL carried by each latent unit."""

from __future__ import annotations

import torch

from .style import FIG_WIDTH, _axes, _finish


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
