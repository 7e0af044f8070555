"""From the 8-3-8 network to PCA and deep autoencoders: hidden codes over training, the covariance spectrum,
reconstruction error against code size, subspace angles, 2-D codes, and "can we sample from an autoencoder?"."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .images import image_grid
from .style import FIG_WIDTH, SMALL, _axes, _finish, _panels, legend_outside, panel_title


def _legible_markers(legend, size: float = 30.0):
    """One marker size in a scatter's legend (the data's dots are too small to see there, its crosses not)."""
    for h in legend.legend_handles:
        if hasattr(h, "set_sizes"):
            h.set_sizes([size])
    return legend


def latent_scatter(codes: torch.Tensor, labels: torch.Tensor | None = None, *, ax=None, title: str | None = None,
                   samples: torch.Tensor | None = None, class_names=None, s: float = 3.0, legend: bool = True):
    """2-D codes as a scatter coloured by class; ``samples`` (e.g. codes drawn from a fitted Gaussian or the
    prior) are overlaid as black crosses, so holes between the classes' clouds are visible. The class legend
    sits outside the data, on the right."""
    from ..data import CLASSES

    codes = codes.detach().cpu()
    if codes.dim() != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_scatter needs (N, 2) codes; got shape {tuple(codes.shape)}")
    ax = _axes(ax, (FIG_WIDTH, 4.6))
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
    if samples is not None:
        samples = samples.detach().cpu()
        ax.scatter(samples[:, 0], samples[:, 1], s=18, marker="x", color="black", linewidths=0.8, label="samples")
    if labels is not None and legend:
        _legible_markers(legend_outside(ax, where="right"))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax.figure


def autoencoder_sampling(codes: torch.Tensor, labels: torch.Tensor | None, samples: torch.Tensor,
                         decoded: torch.Tensor, *, n_images: int = 48, nrow: int = 8,
                         scatter_title: str = "codes of real data, and draws from a Gaussian fitted to them (x)",
                         images_title: str = "the draws, decoded", figsize=None):
    """"Can we sample from an autoencoder?" in one figure: left, the 2-D ``codes`` of real data coloured by
    ``labels`` with the sampled codes ``samples (M, 2)`` as crosses (the holes show); right, the first
    ``n_images`` of ``decoded`` (the decoder's images of ``samples``, in the same order) as a grid. The class
    legend runs below both panels. Also used by the VAE chapter, to put its prior samples beside the plain
    autoencoder's. ``figsize`` defaults to the column's width."""
    samples = torch.as_tensor(samples).detach().cpu()
    decoded = torch.as_tensor(decoded).detach().cpu()
    if len(decoded) > len(samples):
        raise ValueError(f"decoded has {len(decoded)} images but there are only {len(samples)} samples; "
                         "decode the samples in order")
    fig, axes = _panels(1, 2, (FIG_WIDTH / 2, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    if figsize is not None:
        fig.set_size_inches(*figsize)
    a, b = axes[0]
    latent_scatter(codes, labels, samples=samples, ax=a, legend=False)
    panel_title(a, scatter_title)
    image_grid(decoded[:n_images], nrow=nrow, ax=b)
    panel_title(b, images_title)
    handles, names = a.get_legend_handles_labels()
    if handles:
        _legible_markers(fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4)))
    return fig


def code_evolution(epochs, codes: torch.Tensor, *, input_labels=None, error=None, title: str | None = None,
                   ncols: int = 2, xlabel: str = "epoch"):
    """How a small network's hidden code evolves (Mitchell's Fig. 4.8): one panel per hidden unit, one line
    per input, ``ncols`` panels per row. ``codes (T, n_inputs, k)`` recorded at ``epochs (T,)``; ``error (T,)``
    (optional) adds a panel with the training error (log scale). One legend, to the right of the panels."""
    codes = torch.as_tensor(codes).detach().cpu()
    if codes.dim() != 3:
        raise ValueError(f"codes must be (T, n_inputs, k); got shape {tuple(codes.shape)}")
    t, n, k = codes.shape
    labels = input_labels or [f"input {i + 1}" for i in range(n)]
    panels = k + (error is not None)
    ncols = min(ncols, panels)
    rows = -(-panels // ncols)
    fig, axes = _panels(rows, ncols, (FIG_WIDTH / ncols - 0.5, 2.6), sharex=True,
                        extra_height=0.3 if title else 0.0)
    fig.set_figwidth(FIG_WIDTH)  # the legend takes the rest of the column
    axes = axes.flatten()
    cmap = plt.get_cmap("tab10")
    for j in range(k):
        for i in range(n):
            axes[j].plot(epochs, codes[:, i, j], color=cmap(i % 10), lw=1.4, label=labels[i])
        panel_title(axes[j], f"hidden unit {j + 1}", fontsize=None)
        axes[j].set_ylim(-0.03, 1.03)
        axes[j].set_ylabel("hidden value")
    if error is not None:
        axes[k].plot(epochs, torch.as_tensor(error).cpu(), color="k")
        axes[k].set_yscale("log")
        panel_title(axes[k], "training error", fontsize=None)
    for ax in axes[panels:]:
        ax.set_axis_off()
    for ax in axes[:panels]:
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center")
    if title:
        fig.suptitle(title)
    return fig


def explained_variance(eigenvalues: torch.Tensor, *, marks=(2, 8, 32), title: str | None = None):
    """The covariance spectrum (left, log scale) and the fraction of variance kept by the top k components
    (right), with the values at ``marks`` printed on the curve."""
    ev = torch.as_tensor(eigenvalues).detach().cpu().double()
    frac = ev.cumsum(0) / ev.sum()
    ks = torch.arange(1, len(ev) + 1)
    fig, axes = _panels(1, 2, (FIG_WIDTH / 2, 3.4), extra_height=0.3 if title else 0.0)
    a, b = axes[0]
    pos = ev > 0
    a.semilogy(ks[pos], ev[pos])
    a.set_xlabel("component i")
    a.set_ylabel(r"eigenvalue $\lambda_i$")
    panel_title(a, "spectrum of the covariance", fontsize=None)
    b.plot(ks, frac)
    b.set_xscale("log")
    b.set_xlabel("number of components k")
    b.set_ylabel("fraction of variance kept")
    panel_title(b, "variance kept by the top k components", fontsize=None)
    for m in marks:
        if 1 <= m <= len(ev):
            b.plot([m], [frac[m - 1]], "o", color="tab:red")
            b.annotate(f"k={m}: {frac[m - 1]:.2f}", (m, frac[m - 1]), textcoords="offset points", xytext=(6, -12),
                       fontsize=SMALL)
    b.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def error_vs_code_size(code_sizes, errors: dict, *, ax=None, ylabel: str = "test reconstruction error",
                       title: str | None = None):
    """One line per model: ``errors[name]`` (one value per code size) against the code size (log2 axis)."""
    ax = _axes(ax, (FIG_WIDTH, 4.0))
    markers = "osD^vx"
    for i, (name, vals) in enumerate(errors.items()):
        ax.plot(list(code_sizes), [float(v) for v in vals], marker=markers[i % len(markers)], label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(code_sizes))
    ax.set_xticklabels([str(k) for k in code_sizes])
    ax.set_yscale("log")
    ax.set_xlabel("code size k")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    return _finish(ax, title)


def principal_angle_curves(steps, angles_deg: torch.Tensor, *, ax=None, title: str | None = None):
    """Principal angles (degrees, log scale) between a learned subspace and the PCA subspace during training:
    ``angles_deg (T, k)``, one line per angle (largest at the top)."""
    a = torch.as_tensor(angles_deg).detach().cpu().double()
    ax = _axes(ax, (FIG_WIDTH, 3.8))
    cmap = plt.get_cmap("viridis")
    k = a.shape[1]
    for i in range(k):
        ax.plot(list(steps), a[:, i].clamp_min(1e-3), color=cmap(i / max(1, k - 1)), label=rf"$\theta_{i + 1}$")
    ax.set_yscale("log")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("principal angle (degrees)")
    ax.grid(alpha=0.3, which="both")
    legend_outside(ax, where="right", ncols=1 if k <= 8 else 2)
    if title:
        ax.set_title(title)
    return ax.figure


def cosine_heatmap(cos: torch.Tensor, *, ax=None, xlabel: str = "", ylabel: str = "", title: str | None = None,
                   xticklabels=None, yticklabels=None):
    """A matrix of cosines (values in [-1, 1]) as an annotated heatmap."""
    c = torch.as_tensor(cos).detach().cpu().double()
    ax = _axes(ax, (0.7 * c.shape[1] + 2.4, 0.55 * c.shape[0] + 1.4))
    im = ax.imshow(c.numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            ax.text(j, i, f"{c[i, j]:.2f}", ha="center", va="center", fontsize=SMALL,
                    color="white" if abs(c[i, j]) > 0.6 else "black")
    ax.set_xticks(range(c.shape[1]))
    ax.set_yticks(range(c.shape[0]))
    if xticklabels is not None:
        ax.set_xticklabels(xticklabels)
    if yticklabels is not None:
        ax.set_yticklabels(yticklabels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(im, ax=ax, fraction=0.04)
    if title:
        panel_title(ax, title, fontsize=None)
    return ax.figure


def score_histograms(scores: dict, *, ax=None, xlabel: str = "score", title: str | None = None, bins: int = 60):
    """Overlaid density histograms of scores per group, e.g. ``{"normal": s0, "held-out class": s1}``."""
    ax = _axes(ax, (FIG_WIDTH, 3.6))
    all_scores = torch.cat([torch.as_tensor(v).detach().cpu().double().flatten() for v in scores.values()])
    edges = torch.linspace(float(all_scores.min()), float(all_scores.quantile(0.995)), bins + 1).numpy()
    for name, v in scores.items():
        ax.hist(torch.as_tensor(v).detach().cpu().double().numpy(), bins=edges, density=True, alpha=0.5, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    return _finish(ax, title)
