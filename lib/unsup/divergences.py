"""Divergences between discrete distributions, and the GAN game they come from.

On a finite set (or a 1-D grid, with densities times the grid spacing), everything of the lecture's analysis
of the minimax game can be computed exactly:

- ``kl_divergence`` and ``js_divergence`` (with the 1/2, in nats, in ``[0, log 2]``);
- ``optimal_discriminator``: ``D* = p_data / (p_data + p_model)``;
- ``gan_value``: ``V(D) = sum p_data log D + p_model log(1 - D)`` (optionally with a smoothed real label);
- ``maximise_value_pointwise``: ``max_D V`` found numerically, by L-BFGS over one free logit per point, to
  check the closed form ``D*`` (and ``t D*`` with label smoothing) against.

Functions take NumPy arrays or tensors and return the type they were given.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["kl_divergence", "js_divergence", "optimal_discriminator", "gan_value", "maximise_value_pointwise"]


def _as_tensor(x) -> tuple[torch.Tensor, bool]:
    """(float64 tensor, whether the input was a tensor)."""
    if isinstance(x, torch.Tensor):
        return x, True
    return torch.as_tensor(np.asarray(x, dtype=np.float64)), False


def optimal_discriminator(p_data, p_model):
    """``D*(x) = p_data(x) / (p_data(x) + p_model(x))``, element-wise, for arrays or tensors of densities.

    Where both densities are 0, every ``D`` gives the same value of ``V``; we return 1/2 there.
    Returns the type it was given (a tensor for tensors, a NumPy array otherwise).
    """
    p, is_tensor = _as_tensor(p_data)
    q, _ = _as_tensor(p_model)
    if p.shape != q.shape:
        raise ValueError(f"p_data and p_model need the same shape; got {tuple(p.shape)} and {tuple(q.shape)}")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("densities must be non-negative")
    total = p + q
    # D*(x) = p(x) / (p(x) + q(x)), and 1/2 where p(x) = q(x) = 0
    d = torch.where(total > 0, p / torch.where(total > 0, total, torch.ones_like(total)), torch.full_like(p, 0.5))
    return d if is_tensor else d.numpy()


def _check_distribution(p: torch.Tensor, name: str, atol: float = 1e-6) -> None:
    if (p < 0).any():
        raise ValueError(f"{name} has negative entries; pass probabilities")
    sums = p.sum(dim=-1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=atol, rtol=0):
        raise ValueError(f"{name} must sum to 1 along its last axis (got sums {sums.flatten()[:4].tolist()}); "
                         "normalise it first (p / p.sum(-1, keepdim=True))")


def _xlogy_sum(p: torch.Tensor, ratio: torch.Tensor) -> torch.Tensor:
    # sum_i p_i log ratio_i with 0 log(anything) = 0
    return torch.xlogy(p, torch.where(p > 0, ratio, torch.ones_like(ratio))).sum(dim=-1)


def kl_divergence(p, q):
    """``KL(p || q) = sum_i p_i log(p_i / q_i)`` in nats, over the last axis; ``inf`` where q_i = 0 < p_i."""
    p, is_tensor = _as_tensor(p)
    q, _ = _as_tensor(q)
    _check_distribution(p, "p")
    _check_distribution(q, "q")
    bad = ((q == 0) & (p > 0)).any(dim=-1)
    # KL(p || q) = sum_i p_i log(p_i / q_i)
    kl = _xlogy_sum(p, p / torch.where(q > 0, q, torch.ones_like(q)))
    kl = torch.where(bad, torch.full_like(kl, math.inf), kl)
    return kl if is_tensor else kl.numpy()


def js_divergence(p, q):
    """Jensen-Shannon divergence of discrete distributions (last axis), in nats, WITH the 1/2:

    ``JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m)``, ``m = (p + q) / 2``; it lies in ``[0, log 2]``.
    """
    p, is_tensor = _as_tensor(p)
    q, _ = _as_tensor(q)
    if p.shape != q.shape:
        raise ValueError(f"p and q need the same shape; got {tuple(p.shape)} and {tuple(q.shape)}")
    _check_distribution(p, "p")
    _check_distribution(q, "q")
    # m = (p + q) / 2
    m = (p + q) / 2
    safe_m = torch.where(m > 0, m, torch.ones_like(m))
    # JSD = 1/2 sum p log(p/m) + 1/2 sum q log(q/m)
    jsd = 0.5 * _xlogy_sum(p, p / safe_m) + 0.5 * _xlogy_sum(q, q / safe_m)
    return jsd if is_tensor else jsd.numpy()


def gan_value(p_data, p_model, D, real_label: float = 1.0):
    """``V(D) = sum_i p_data_i log D_i + p_model_i log(1 - D_i)`` over the last axis: the GAN objective for
    discrete distributions (or densities times the grid spacing), for a discriminator given by its values.

    ``real_label = t < 1`` is one-sided label smoothing: the real term becomes
    ``t log D_i + (1 - t) log(1 - D_i)``, so ``V`` is minus the expected ``gan.discriminator_loss(...,
    real_label=t)``, and its maximiser is ``t D*``."""
    p, is_tensor = _as_tensor(p_data)
    q, _ = _as_tensor(p_model)
    d, _ = _as_tensor(D)
    if not (p.shape == q.shape == d.shape):
        raise ValueError(f"p_data, p_model and D need the same shape; got {tuple(p.shape)}, {tuple(q.shape)}, "
                         f"{tuple(d.shape)}")
    if not 0 <= real_label <= 1:
        raise ValueError(f"real_label is a target probability in [0, 1]; got {real_label}")
    # V = sum_x p(x) log D(x) + q(x) log(1 - D(x))   (0 log 0 = 0)
    v = torch.xlogy(p, d).sum(-1) + torch.xlogy(q, 1 - d).sum(-1)
    if real_label != 1:
        # smoothed: p(x) [t log D(x) + (1 - t) log(1 - D(x))] in place of p(x) log D(x)
        v = v - (1 - real_label) * (torch.xlogy(p, d).sum(-1) - torch.xlogy(p, 1 - d).sum(-1))
    return v if is_tensor else v.numpy()



def maximise_value_pointwise(p_data, p_model, *, real_label: float = 1.0, max_iter: int = 1000) -> torch.Tensor:
    """``argmax_D V(D)`` over free values ``D(x) = sigmoid(a(x))``, one per point, by L-BFGS: the numerical
    check of ``optimal_discriminator`` (``real_label = t``: of ``t D*``). Returns ``D`` as a float64 tensor.

    Each point's term of ``V`` is separate, so dividing it by ``p(x) + q(x)`` leaves the maximiser unchanged and
    gives L-BFGS a well-scaled problem (otherwise points with tiny ``p + q`` barely move). Where
    ``p(x) = q(x) = 0``, ``V`` does not depend on ``D(x)``, which stays at its start, 1/2.
    """
    p, _ = _as_tensor(p_data)
    q, _ = _as_tensor(p_model)
    if p.shape != q.shape or p.dim() != 1:
        raise ValueError(f"p_data and p_model must be vectors of the same length; got {tuple(p.shape)} and "
                         f"{tuple(q.shape)}")
    p, q = p.detach().double(), q.detach().double()
    w = p + q
    w = torch.where(w > 0, w, torch.ones_like(w))  # points with no mass keep weight 0 below
    a = torch.zeros_like(p, requires_grad=True)
    lbfgs = torch.optim.LBFGS([a], max_iter=max_iter, tolerance_grad=1e-14, tolerance_change=1e-16,
                              line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        # maximise V(sigmoid(a)) with each point's weights divided by p + q
        loss = -gan_value(p / w, q / w, torch.sigmoid(a), real_label=real_label)
        loss.backward()
        return loss

    lbfgs.step(closure)
    return torch.sigmoid(a).detach()
