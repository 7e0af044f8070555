"""Curves over training: a ``History``'s per-epoch values, and named per-epoch curves against an optimum."""

from __future__ import annotations

import torch

from .style import FIG_WIDTH, _axes, _finish


def plot_history(history, keys=None, *, ax=None, title: str | None = None, logy: bool = False):
    """Per-epoch curves of a ``unsup.train.History``: train solid, validation dashed."""
    ax = _axes(ax, (FIG_WIDTH, 3.2))
    keys = keys or list(history.train)
    epochs = range(1, history.epochs + 1)
    for k in keys:
        (line,) = ax.plot(epochs, history.train[k], label=f"train {k}")
        if k in history.val:
            ax.plot(epochs, history.val[k], "--", color=line.get_color(), label=f"val {k}")
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    return _finish(ax, title)


def training_curves(curves: dict, *, best=None, best_label: str = "optimum", ax=None, title: str | None = None,
                    ylabel: str = "nats per example", logy: bool = False):
    """Per-epoch curves ``{label: values}`` (epochs 1, 2, ...), with an optional horizontal line ``best``: e.g. the
    training loss (the negative ELBO) beside the exact negative log-likelihood and its maximum-likelihood floor."""
    ax = _axes(ax, (FIG_WIDTH, 3.8))
    for label, v in curves.items():
        v = torch.as_tensor(v, dtype=torch.float64)
        ax.plot(range(1, len(v) + 1), v.numpy(), lw=2, label=label)
    if best is not None:
        ax.axhline(float(best), color="k", ls="--", lw=1.5, label=best_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    return _finish(ax, title)
