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
    # a numpy or 0-d torch number renders as "np.float64(0.5)", which `:.2f` cannot format: glue a Python number
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
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


# --- Unpooling and transposed convolution ---

def value_grid(matrix, *, ax=None, title: str | None = None, fmt: str = "{:g}", cmap: str = "Blues",
               vmin: float | None = None, vmax: float | None = None, highlight=None, highlight_color="tab:orange",
               window=None, fontsize: float = 11):
    """A small matrix drawn as a grid of cells with its numbers (or strings) written in them.

    ``highlight``: cells ``[(i, j), ...]`` to fill in ``highlight_color`` (drawn over the colour map);
    ``window``: ``(top, left, height, width)`` outlined with a thick dashed line (the crop of a padding).
    """
    import numpy as np
    from matplotlib.patches import Rectangle

    rows = [list(r) for r in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]
    h, w = len(rows), len(rows[0])
    numeric = all(isinstance(v, (int, float)) for r in rows for v in r)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(2.0, 0.55 * w + 0.6), max(2.0, 0.55 * h + 0.6)))
    if numeric:
        arr = np.array(rows, dtype=float)
        ax.imshow(arr, cmap=cmap, vmin=arr.min() if vmin is None else vmin,
                  vmax=(arr.max() if arr.max() > arr.min() else arr.min() + 1) if vmax is None else vmax)
    else:
        ax.imshow(np.zeros((h, w)), cmap="Greys", vmin=0, vmax=1)
    for (i, j) in highlight or ():
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=highlight_color, alpha=0.55, edgecolor="none"))
    for i in range(h):
        for j in range(w):
            v = rows[i][j]
            text = fmt.format(v) if numeric else str(v)
            if numeric:
                lo = arr.min() if vmin is None else vmin
                hi = arr.max() if vmax is None else vmax
                dark = hi > lo and (v - lo) / (hi - lo) > 0.6
            else:
                dark = False
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color="white" if dark else "black")
    ax.set_xticks(np.arange(-0.5, w, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, h, 1), minor=True)
    ax.grid(which="minor", color="0.3", linewidth=0.8)
    ax.tick_params(which="both", length=0)
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.tick_params(labelsize=7, colors="0.4")
    if window is not None:
        top, left, wh, ww = window
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), ww, wh, fill=False, edgecolor="tab:red", linewidth=2.5,
                               linestyle="--"))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    if title:
        ax.set_title(title, fontsize=10)
    return fig if fig is not None else ax.figure


def value_grids(panels, *, ncols: int | None = None, suptitle: str | None = None, cell: float = 0.5, **kwargs):
    """Several ``value_grid`` panels side by side: ``panels`` is a list of ``(matrix, title)`` or
    ``(matrix, title, options_dict)``. Returns the Figure."""
    import math as _math

    n = len(panels)
    ncols = ncols or n
    nrows = _math.ceil(n / ncols)
    sizes = [(len(p[0]), len(p[0][0])) for p in panels]
    hmax, wmax = max(s[0] for s in sizes), max(s[1] for s in sizes)
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(10, ncols * (cell * wmax + 0.7)),
                                                    nrows * (cell * hmax + 0.9)), squeeze=False)
    for ax, p in zip(axes.flat, panels):
        opts = {**kwargs, **(p[2] if len(p) > 2 else {})}
        value_grid(p[0], ax=ax, title=p[1], **opts)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def scatter_steps_figure(x, weight, stride=1, padding=0, output_padding=0, *, ncols: int = 3, fmt: str = "{:g}",
                         suptitle: str | None = None):
    """The transposed convolution of one channel, one input value at a time (``unsup.upsample.scatter_steps``):
    a panel per input value showing the full canvas so far, the weighted copy it adds (orange) and the window
    that ``padding``/``output_padding`` keep (red dashes); a last panel with the output."""
    from .upsample import scatter_steps

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
                 vmin: float | None = 0):
    """Images of overlap counts (or any maps) side by side with their colour bars: ``{title: (H, W) tensor}``.
    Counts start at ``vmin=0``; pass ``vmin=None`` for signed maps, so each panel spans its own range."""
    n = len(counts)
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(10, 2.6 * ncols), 2.6 * nrows + 0.4), squeeze=False)
    for ax, (title, m) in zip(axes.flat, counts.items()):
        m = m.detach().cpu().float()
        im = ax.imshow(m.numpy(), cmap=cmap, vmin=vmin, interpolation="nearest")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def reconstructions_side_by_side(x, recons: dict, *, nrow: int = 4, zoom=None, suptitle: str | None = None):
    """Originals beside each model's reconstructions (``{name: (N, 1, H, W)}``); with ``zoom=(index, rows,
    cols)`` a second row shows that crop of one image large, pixel by pixel, where a checkerboard shows."""
    n_panels = 1 + len(recons)
    rows = 2 if zoom is not None else 1
    fig, axes = plt.subplots(rows, n_panels, figsize=(min(10, 2.5 * n_panels), 2.6 * rows + 0.5), squeeze=False)
    items = [("data", x)] + list(recons.items())
    for ax, (name, imgs) in zip(axes[0], items):
        image_grid(imgs, nrow, ax=ax, title=name)
    if zoom is not None:
        idx, rs, cs = zoom
        for ax, (name, imgs) in zip(axes[1], items):
            crop = imgs[idx, 0, rs, cs].detach().cpu().float()
            ax.imshow(crop.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name}: image {idx}, zoomed", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# --- Generative networks and the ELBO ---

def histogram_vs_density(samples, density, *, support=None, bins: int = 50, ax=None, title: str | None = None,
                         label: str = "density", xlabel: str = "x", ylim=None):
    """A density-normalised histogram of 1-D ``samples`` with the curve ``density(x)`` (a function of a float64
    tensor) drawn over it on ``support = (lo, hi)`` (default: the samples' range)."""
    s = torch.as_tensor(samples).detach().cpu().double().flatten()
    lo, hi = support if support is not None else (s.min().item(), s.max().item())
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.hist(s.numpy(), bins=bins, range=(lo, hi), density=True, color="#9ecae1", edgecolor="white",
            label=f"histogram of {len(s):,} samples")
    grid = torch.linspace(lo, hi, 400, dtype=torch.float64)[1:]
    ax.plot(grid.numpy(), density(grid).numpy(), color="#d62728", lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def pushforward_2d(f, *, n: int = 3000, extent: float = 2.5, lines: int = 11, generator=None,
                   title: str | None = None, names=("z", "x")):
    """Two panels: samples of ``z ~ N(0, I_2)`` with a grid of lines on the left, and their images under
    ``f: (M, 2) -> (M, 2)`` on the right, the grid bent the same way: a picture of what a generator does."""
    z = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        x = f(z)
    t = torch.linspace(-extent, extent, 200, dtype=torch.float64)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
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
    axes[0].set_title(f"base samples ${names[0]} \\sim N(0, I_2)$ and a grid")
    axes[1].set_title(f"${names[1]} = f({names[0]})$: the same points and grid, pushed forward")
    for ax, nm in zip(axes, names):
        ax.set_xlabel(f"${nm}_1$")
        ax.set_ylabel(f"${nm}_2$")
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def mc_estimates(sample_counts, estimates, exact, *, ax=None, title: str | None = None, labels=None,
                 ylabel: str = "estimate of log p(x) (nats)"):
    """Repeated Monte Carlo estimates against the number of samples: ``estimates`` is ``(R, len(counts))`` (or a
    list of such arrays, one per setting, with ``labels`` and ``exact`` a list); each repeat a thin line, the
    exact value dashed."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
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
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def estimator_spread(sample_counts, stds: dict, *, ax=None, title: str | None = None,
                     ylabel: str = "standard deviation of the estimate"):
    """Log-log plot of the spread of gradient estimators against the number of samples; a dotted
    ``1/sqrt(S)`` guide through each curve's first point."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
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
    ax.legend()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def elbo_decomposition(param, log_px, elbo_values, kl_values, *, ax=None, title: str | None = None,
                       xlabel: str = "mean of q", marker=None):
    """``log p(x)`` (flat), the ELBO and ``ELBO + KL(q || p(z|x))`` along a sweep of one parameter of ``q``: the
    shaded band between the ELBO and ``log p(x)`` is the KL gap; ``marker`` marks a value (the posterior's)."""
    p = torch.as_tensor(param, dtype=torch.float64)
    e = torch.as_tensor(elbo_values, dtype=torch.float64)
    k = torch.as_tensor(kl_values, dtype=torch.float64)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    ax.axhline(float(log_px), color="k", lw=2, label="log p(x) (exact)")
    ax.plot(p.numpy(), e.numpy(), color="#1f77b4", lw=2, label="ELBO(q)")
    ax.plot(p.numpy(), (e + k).numpy(), color="#ff7f0e", ls="--", lw=2, label="ELBO(q) + KL(q || p(z|x))")
    ax.fill_between(p.numpy(), e.numpy(), float(log_px), color="#1f77b4", alpha=0.15, label="KL gap")
    if marker is not None:
        ax.axvline(float(marker), color="#2ca02c", ls=":", label="posterior mean")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("nats")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def training_curves(curves: dict, *, best=None, best_label: str = "optimum", ax=None, title: str | None = None,
                    ylabel: str = "nats per example", logy: bool = False):
    """Per-epoch curves ``{label: values}`` (epochs 1, 2, ...), with an optional horizontal line ``best``: e.g. the
    training loss (the negative ELBO) beside the exact negative log-likelihood and its maximum-likelihood floor."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, v in curves.items():
        v = torch.as_tensor(v, dtype=torch.float64)
        ax.plot(range(1, len(v) + 1), v.numpy(), lw=2, label=label)
    if best is not None:
        ax.axhline(float(best), color="k", ls="--", lw=1.5, label=best_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


# --- From the 8-3-8 network to PCA and deep autoencoders ---

def code_evolution(epochs, codes: torch.Tensor, *, input_labels=None, error=None, title: str | None = None,
                   ncols: int = 2, xlabel: str = "epoch"):
    """How a small network's hidden code evolves (Mitchell's Fig. 4.8): one panel per hidden unit, one line
    per input, ``ncols`` panels per row. ``codes (T, n_inputs, k)`` recorded at ``epochs (T,)``; ``error (T,)``
    (optional) adds a panel with the training error (log scale)."""
    codes = torch.as_tensor(codes).detach().cpu()
    if codes.dim() != 3:
        raise ValueError(f"codes must be (T, n_inputs, k); got shape {tuple(codes.shape)}")
    t, n, k = codes.shape
    labels = input_labels or [f"input {i + 1}" for i in range(n)]
    panels = k + (error is not None)
    ncols = min(ncols, panels)
    rows = -(-panels // ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(4.6 * ncols, 3.0 * rows), sharex=True, squeeze=False)
    axes = axes.flatten()
    cmap = plt.get_cmap("tab10")
    for j in range(k):
        for i in range(n):
            axes[j].plot(epochs, codes[:, i, j], color=cmap(i % 10), lw=1.4, label=labels[i])
        axes[j].set_title(f"hidden unit {j + 1}")
        axes[j].set_ylim(-0.03, 1.03)
        axes[j].set_ylabel("hidden value")
    if error is not None:
        axes[k].plot(epochs, torch.as_tensor(error).cpu(), color="k")
        axes[k].set_yscale("log")
        axes[k].set_title("training error")
    for ax in axes[panels:]:
        ax.set_axis_off()
    for ax in axes[:panels]:
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return fig


def explained_variance(eigenvalues: torch.Tensor, *, marks=(2, 8, 32), title: str | None = None):
    """The covariance spectrum (left, log scale) and the fraction of variance kept by the top k components
    (right), with the values at ``marks`` printed on the curve."""
    ev = torch.as_tensor(eigenvalues).detach().cpu().double()
    frac = ev.cumsum(0) / ev.sum()
    ks = torch.arange(1, len(ev) + 1)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    pos = ev > 0
    a.semilogy(ks[pos], ev[pos])
    a.set_xlabel("component i")
    a.set_ylabel(r"eigenvalue $\lambda_i$")
    a.set_title("spectrum of the covariance")
    b.plot(ks, frac)
    b.set_xscale("log")
    b.set_xlabel("number of components k")
    b.set_ylabel("fraction of variance kept")
    b.set_title("variance kept by the top k components")
    for m in marks:
        if 1 <= m <= len(ev):
            b.plot([m], [frac[m - 1]], "o", color="tab:red")
            b.annotate(f"k={m}: {frac[m - 1]:.2f}", (m, frac[m - 1]), textcoords="offset points", xytext=(6, -12),
                       fontsize=8)
    b.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
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
    fig, axes = plt.subplots(rows, nrow, figsize=(scale * nrow, scale * rows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            m = float(x[i].abs().max()) or 1.0
            ax.imshow(x[i], cmap=cmap, vmin=-m, vmax=m, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def error_vs_code_size(code_sizes, errors: dict, *, ax=None, ylabel: str = "test reconstruction error",
                       title: str | None = None):
    """One line per model: ``errors[name]`` (one value per code size) against the code size (log2 axis)."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2))
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
    ax.legend()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def image_rows(rows: dict, *, title: str | None = None, scale: float = 0.9):
    """Rows of images with a label on the left of each row: ``rows = {"original": x, "PCA": x_hat, ...}``,
    every value ``(N, 1, H, W)`` or ``(N, H, W)`` with the same N, drawn in [0, 1] greys."""
    names = list(rows)
    first = torch.as_tensor(rows[names[0]])
    n = first.shape[0]
    fig, axes = plt.subplots(len(names), n, figsize=(scale * n + 1.3, scale * len(names) + (0.4 if title else 0)),
                             squeeze=False)
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
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def principal_angle_curves(steps, angles_deg: torch.Tensor, *, ax=None, title: str | None = None):
    """Principal angles (degrees, log scale) between a learned subspace and the PCA subspace during training:
    ``angles_deg (T, k)``, one line per angle (largest at the top)."""
    a = torch.as_tensor(angles_deg).detach().cpu().double()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.8))
    cmap = plt.get_cmap("viridis")
    k = a.shape[1]
    for i in range(k):
        ax.plot(list(steps), a[:, i].clamp_min(1e-3), color=cmap(i / max(1, k - 1)), label=rf"$\theta_{i + 1}$")
    ax.set_yscale("log")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("principal angle (degrees)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def cosine_heatmap(cos: torch.Tensor, *, ax=None, xlabel: str = "", ylabel: str = "", title: str | None = None,
                   xticklabels=None, yticklabels=None):
    """A matrix of cosines (values in [-1, 1]) as an annotated heatmap."""
    c = torch.as_tensor(cos).detach().cpu().double()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.55 * c.shape[1] + 2, 0.45 * c.shape[0] + 1.2))
    im = ax.imshow(c.numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            ax.text(j, i, f"{c[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(c[i, j]) > 0.6 else "black")
    ax.set_xticks(range(c.shape[1]))
    ax.set_yticks(range(c.shape[0]))
    if xticklabels is not None:
        ax.set_xticklabels(xticklabels, fontsize=8)
    if yticklabels is not None:
        ax.set_yticklabels(yticklabels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(im, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def score_histograms(scores: dict, *, ax=None, xlabel: str = "score", title: str | None = None, bins: int = 60):
    """Overlaid density histograms of scores per group, e.g. ``{"normal": s0, "held-out class": s1}``."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    all_scores = torch.cat([torch.as_tensor(v).detach().cpu().double().flatten() for v in scores.values()])
    edges = torch.linspace(float(all_scores.min()), float(all_scores.quantile(0.995)), bins + 1).numpy()
    for name, v in scores.items():
        ax.hist(torch.as_tensor(v).detach().cpu().double().numpy(), bins=edges, density=True, alpha=0.5, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


# --- Generative adversarial networks ---

def gan_1d_panels(grid, p_data, panels, *, titles=None, suptitle: str | None = None, ncols: int | None = None):
    """Goodfellow et al.'s Fig. 1 for a 1-D GAN: one panel per ``(p_g, D)`` pair of arrays on ``grid``, with the
    data density ``p_data`` (black, dotted), the generator's density ``p_g`` (green) and the discriminator's
    ``D(x)`` (blue, dashed, right axis from 0 to 1)."""
    grid, p_data = torch.as_tensor(grid).cpu(), torch.as_tensor(p_data).cpu()
    ncols = ncols or len(panels)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), sharey=True, squeeze=False)
    ymax = 1.15 * max([p_data.max().item()] + [torch.as_tensor(pg).max().item() for pg, _ in panels])
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
            ax.set_title(titles[i])
    for row in axes:
        row[0].set_ylabel("density")
    handles = axes[0][0].get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    fig.legend(handles, ["p_data", "p_g", "D(x)"], loc="lower center", ncol=3, frameon=False)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def mixture_samples(samples: dict, centers: torch.Tensor, *, std: float | None = None, ncols: int | None = None,
                    extent: float = 3.0, suptitle: str | None = None, size: float = 2.6):
    """Scatter plots of 2-D samples (``{title: (N, 2)}``), one panel each, with the mixture's centres marked
    (and, with ``std``, circles of 3 standard deviations: the "high-quality" zone of the mode metrics)."""
    ncols = ncols or len(samples)
    nrows = math.ceil(len(samples) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
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
        ax.set_title(title, fontsize=9)
    for ax in list(axes.flat)[len(samples):]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def autoencoder_sampling(codes: torch.Tensor, labels: torch.Tensor | None, samples: torch.Tensor,
                         decoded: torch.Tensor, *, n_images: int = 48, nrow: int = 8,
                         scatter_title: str = "codes of real data, and draws from a Gaussian fitted to them (x)",
                         images_title: str = "the draws, decoded", figsize=(13, 5.2)):
    """"Can we sample from an autoencoder?" in one figure: left, the 2-D ``codes`` of real data coloured by
    ``labels`` with the sampled codes ``samples (M, 2)`` as crosses (the holes show); right, the first
    ``n_images`` of ``decoded`` (the decoder's images of ``samples``, in the same order) as a grid. Also used
    by the VAE chapter, to put its prior samples beside the plain autoencoder's."""
    samples = torch.as_tensor(samples).detach().cpu()
    decoded = torch.as_tensor(decoded).detach().cpu()
    if len(decoded) > len(samples):
        raise ValueError(f"decoded has {len(decoded)} images but there are only {len(samples)} samples; "
                         "decode the samples in order")
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1.1, 1]})
    latent_scatter(codes, labels, samples=samples, ax=a, title=scatter_title)
    image_grid(decoded[:n_images], nrow=nrow, ax=b, title=images_title)
    fig.tight_layout()
    return fig
