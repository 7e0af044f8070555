"""Generative networks and the ELBO: push-forward densities, Monte Carlo estimates, and the ELBO's gap."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .style import FIG_WIDTH, _axes, _finish, _panels, legend_outside, panel_title


def histogram_vs_density(samples, density, *, support=None, bins: int = 50, ax=None, title: str | None = None,
                         label: str = "density", xlabel: str = "x", ylim=None):
    """A density-normalised histogram of 1-D ``samples`` with the curve ``density(x)`` (a function of a float64
    tensor) drawn over it on ``support = (lo, hi)`` (default: the samples' range)."""
    s = torch.as_tensor(samples).detach().cpu().double().flatten()
    lo, hi = support if support is not None else (s.min().item(), s.max().item())
    ax = _axes(ax, (FIG_WIDTH, 3.6))
    ax.hist(s.numpy(), bins=bins, range=(lo, hi), density=True, color="#9ecae1", edgecolor="white",
            label=f"histogram of {len(s):,} samples")
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)[1:]
    ax.plot(grid.numpy(), density(grid).numpy(), color="#d62728", lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if ylim is not None:
        ax.set_ylim(*ylim)
    legend_outside(ax, where="below", ncols=1)
    if title:
        ax.set_title(title)
    return ax.figure


def pushforward_2d(f, *, n: int = 3000, extent: float = 2.5, lines: int = 11, generator=None,
                   title: str | None = None, names=("z", "x")):
    """Two panels: samples of ``z ~ N(0, I_2)`` with a grid of lines on the left, and their images under
    ``f: (M, 2) -> (M, 2)`` on the right, the grid bent the same way: a picture of what a generator does."""
    z = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        x = f(z)
    t = torch.linspace(-extent, extent, 200, dtype=torch.float64)
    fig, axes = _panels(1, 2, (FIG_WIDTH / 2, 3.6), extra_height=0.3 if title else 0.0)
    axes = axes[0]
    axes[0].scatter(z[:, 0], z[:, 1], s=2, alpha=0.35, color="#1f77b4")
    axes[1].scatter(x[:, 0], x[:, 1], s=2, alpha=0.35, color="#1f77b4")
    cmap = plt.get_cmap("viridis")
    for i, c in enumerate(torch.linspace(-extent, extent, lines, dtype=torch.float64)):
        color = cmap(i / max(1, lines - 1))
        for pts in (torch.stack([t, torch.full_like(t, c)], 1), torch.stack([torch.full_like(t, c), t], 1)):
            axes[0].plot(pts[:, 0], pts[:, 1], color=color, lw=0.8)
            with torch.no_grad():
                img = f(pts)
            axes[1].plot(img[:, 0], img[:, 1], color=color, lw=0.8)
    panel_title(axes[0], f"base samples ${names[0]} \\sim N(0, I_2)$, and a grid")
    panel_title(axes[1], f"${names[1]} = f({names[0]})$, the same points and grid pushed forward")
    for ax, nm in zip(axes, names):
        ax.set_xlabel(f"${nm}_1$")
        ax.set_ylabel(f"${nm}_2$")
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title)
    return fig


def mc_estimates(sample_counts, estimates, exact, *, ax=None, title: str | None = None, labels=None,
                 ylabel: str = "estimate of log p(x) (nats)"):
    """Repeated Monte Carlo estimates against the number of samples: ``estimates`` is ``(R, len(counts))`` (or a
    list of such arrays, one per setting, with ``labels`` and ``exact`` a list); each repeat a thin line, the
    exact value dashed."""
    ax = _axes(ax, (FIG_WIDTH, 3.8))
    sets = estimates if isinstance(estimates, (list, tuple)) else [estimates]
    exacts = exact if isinstance(exact, (list, tuple)) else [exact]
    labels = labels or [None] * len(sets)
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    for i, (est, ex, lab) in enumerate(zip(sets, exacts, labels)):
        est = torch.as_tensor(est).detach().cpu().double()
        c = colors[i % len(colors)]
        for r in range(est.shape[0]):
            ax.plot(sample_counts, est[r].numpy(), color=c, alpha=0.3, lw=1)
        ax.axhline(float(ex), color=c, ls="--", lw=2, label=f"exact {lab}" if lab else "exact")
        ax.plot([], [], color=c, alpha=0.6, label=f"repeats {lab}" if lab else "repeats")
    ax.set_xscale("log")
    ax.set_xlabel("number of prior samples S")
    ax.set_ylabel(ylabel)
    return _finish(ax, title)


def estimator_spread(sample_counts, stds: dict, *, ax=None, title: str | None = None,
                     ylabel: str = "standard deviation of the estimate"):
    """Log-log plot of the spread of gradient estimators against the number of samples; a dotted
    ``1/sqrt(S)`` guide through each curve's first point."""
    ax = _axes(ax, (FIG_WIDTH, 3.8))
    s = torch.as_tensor(sample_counts, dtype=torch.float64)
    for name, v in stds.items():
        v = torch.as_tensor(v, dtype=torch.float64)
        (line,) = ax.plot(s.numpy(), v.numpy(), "o-", label=name)
        ax.plot(s.numpy(), (v[0] * (s[0] / s).sqrt()).numpy(), ":", color=line.get_color())
    ax.plot([], [], "k:", label=r"$\propto 1/\sqrt{S}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples per estimate S")
    ax.set_ylabel(ylabel)
    return _finish(ax, title)


def elbo_decomposition(param, log_px, elbo_values, kl_values, *, ax=None, title: str | None = None,
                       xlabel: str = "mean of q", marker=None):
    """``log p(x)`` (flat), the ELBO and ``ELBO + KL(q || p(z|x))`` along a sweep of one parameter of ``q``: the
    shaded band between the ELBO and ``log p(x)`` is the KL gap; ``marker`` marks a value (the posterior's)."""
    p = torch.as_tensor(param, dtype=torch.float64)
    e = torch.as_tensor(elbo_values, dtype=torch.float64)
    k = torch.as_tensor(kl_values, dtype=torch.float64)
    ax = _axes(ax, (FIG_WIDTH, 3.8))
    ax.axhline(float(log_px), color="k", lw=2, label="log p(x) (exact)")
    ax.plot(p.numpy(), e.numpy(), color="#1f77b4", lw=2, label="ELBO(q)")
    ax.plot(p.numpy(), (e + k).numpy(), color="#ff7f0e", ls="--", lw=2, label="ELBO(q) + KL(q || p(z|x))")
    ax.fill_between(p.numpy(), e.numpy(), float(log_px), color="#1f77b4", alpha=0.15, label="KL gap")
    if marker is not None:
        ax.axvline(float(marker), color="#2ca02c", ls=":", label="posterior mean")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("nats")
    legend_outside(ax, where="below")
    if title:
        ax.set_title(title)
    return ax.figure
