"""Instant feedback for the book's coding exercises: ``check(name, candidate)`` runs a student's function
against the library's own on fixed edge cases (the lecture's examples, sizes of 1, zeros, large magnitudes)
and on seeded random cases, prints what it found and returns True only if every case agrees.

    from unsup.exercises import check
    check("elbo.log_mean_exp", my_log_mean_exp)

Agreement: the same shape (and a tensor where the library returns one); values within
``|got - expected| <= ATOL + RTOL * |expected|`` compared in float64, so a float32 answer passes; infinities
must match in sign, NaN must sit where the library has NaN. Integers (output sizes) must be equal.
A wrong answer never raises: the feedback names the first failing case with its arguments, the expected and
the returned value, the largest difference and a one-line hint. ``names()`` lists the exercises.
"""

from __future__ import annotations

import importlib
import math
import numbers
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["check", "names", "RTOL", "ATOL"]

RTOL = 1e-4
ATOL = 1e-5


@dataclass
class Case:
    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class Exercise:
    ref: str                                  # "module.function" inside unsup, imported when checked
    cases: Callable[[], list[Case]]           # built lazily: nothing runs at import
    hint: str
    # call(fn, case) -> result; the default calls fn(*args, **kwargs) on fresh copies of the arguments
    call: Callable | None = None
    # compare(expected, got) -> None when they agree, else (what differs, largest difference or None)
    compare: Callable | None = None


# --- helpers ---------------------------------------------------------------------------------------------

def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed: int, scale: float = 1.0, dtype=torch.float32) -> torch.Tensor:
    return (torch.randn(*shape, generator=_g(seed), dtype=torch.float64) * scale).to(dtype)


def _copy(v):
    if isinstance(v, torch.Tensor):
        return v.detach().clone()
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (tuple, list)):
        return type(v)(_copy(x) for x in v)
    return v


def _one_line(a: np.ndarray) -> str:
    return " ".join(np.array2string(a, precision=5, separator=", ").split())


class _Seed(int):
    """A generator's seed in a case: shown as the generator the candidate receives."""

    def __repr__(self) -> str:
        return f"torch.Generator().manual_seed({int(self)})"


def _describe(v, small: int = 12) -> str:
    """A value for the feedback: its type and shape, and the values themselves when there are few."""
    if isinstance(v, torch.Tensor):
        head = f"tensor {tuple(v.shape)} {str(v.dtype).replace('torch.', '')}"
        if v.numel() <= small:
            return f"{head} = {_one_line(v.detach().cpu().double().numpy())}"
        return head
    if isinstance(v, np.ndarray):
        head = f"array {v.shape} {v.dtype}"
        return f"{head} = {_one_line(v)}" if v.size <= small else head
    if isinstance(v, torch.Generator):
        return f"torch.Generator seeded {v.initial_seed()}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_describe(x, small) for x in v) + ")"
    return repr(v)


def _describe_call(case: Case, params: list[str]) -> str:
    parts = [f"{params[i] if i < len(params) else f'arg{i}'}: {_describe(a)}" for i, a in enumerate(case.args)]
    parts += [f"{k}: {_describe(v)}" for k, v in case.kwargs.items()]
    return "\n    ".join(parts) if parts else "(no arguments)"


def _as_array(v):
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().to(torch.float64).numpy()
    if isinstance(v, np.ndarray):
        return v.astype(np.float64)
    return None


def _compare_values(expected, got):
    """None when ``got`` agrees with ``expected``; else (reason, largest difference or None)."""
    if isinstance(expected, bool) or (isinstance(expected, numbers.Integral) and not isinstance(expected, float)):
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return f"returned {type(got).__name__}, expected an int", None
        return None if int(got) == int(expected) else ("a different value", abs(int(got) - int(expected)))
    e = _as_array(expected)
    if e is None:
        raise TypeError(f"the reference returned {type(expected).__name__}")  # a defect of this module
    g = _as_array(got)
    if g is None:
        want = "tensor" if isinstance(expected, torch.Tensor) else "array"
        return f"returned {type(got).__name__}, expected a {want}", None
    if isinstance(expected, torch.Tensor) and not isinstance(got, torch.Tensor):
        return f"returned a {type(got).__name__}, expected a torch.Tensor", None
    if e.shape != g.shape:
        return f"shape {tuple(g.shape)}, expected {tuple(e.shape)}", None
    if e.size == 0:
        return None
    nan_e, nan_g = np.isnan(e), np.isnan(g)
    if (nan_e != nan_g).any():
        return "NaN where the expected value is a number (or the reverse)", math.inf
    inf_e, inf_g = np.isinf(e), np.isinf(g)
    if (inf_e != inf_g).any() or (e[inf_e] != g[inf_e]).any():
        return "an infinite value where a finite one was expected (or the reverse)", math.inf
    fin = ~(nan_e | inf_e)
    diff = np.abs(g[fin] - e[fin])
    largest = float(diff.max()) if diff.size else 0.0
    if (diff > ATOL + RTOL * np.abs(e[fin])).any():
        return "different values", largest
    return None


def _compare_pca(expected, got):
    """The pseudocode defines the mean, the top-k eigenvectors (each up to its sign) and their eigenvalues."""
    if isinstance(got, (tuple, list)) and len(got) == 3:
        mean, comps, evals = got
    elif all(hasattr(got, a) for a in ("mean", "components")) and (
            hasattr(got, "explained_variance") or hasattr(got, "eigenvalues")):
        mean, comps = got.mean, got.components
        evals = getattr(got, "explained_variance", None)
        evals = got.eigenvalues if evals is None else evals
    else:
        return (f"returned {type(got).__name__}; return (mean (d,), components (k, d), eigenvalues (k,)) or an "
                "object with .mean, .components and .explained_variance"), None
    for what, e, g in (("mean", expected.mean, mean), ("components", expected.components, comps)):
        if not isinstance(g, torch.Tensor) or tuple(g.shape) != tuple(e.shape):
            return f"{what}: {_describe(g)}, expected shape {tuple(e.shape)}", None
    k = expected.components.shape[0]
    if not isinstance(evals, torch.Tensor) or evals.dim() != 1 or evals.shape[0] < k:
        return f"eigenvalues: {_describe(evals)}, expected shape ({k},), largest first", None
    bad = _compare_values(expected.mean, mean)
    if bad:
        return f"mean: {bad[0]}", bad[1]
    # align each component's sign with the reference's (eigenvectors are defined up to sign)
    c = comps.detach().to(torch.float64)
    sign = torch.sign((c * expected.components.to(torch.float64)).sum(dim=1, keepdim=True))
    sign[sign == 0] = 1
    bad = _compare_values(expected.components, c * sign)
    if bad:
        return f"components (rows, compared up to sign): {bad[0]}", bad[1]
    bad = _compare_values(expected.explained_variance, evals[:k])
    if bad:
        return f"eigenvalues: {bad[0]}", bad[1]
    return None


def _call_reparameterize(fn, case: Case):
    mu, logvar, seed = case.args
    # a fresh generator with the same seed for each call, so that candidate and reference draw the same eps
    return fn(_copy(mu), _copy(logvar), generator=_g(int(seed)))


# --- the exercises ---------------------------------------------------------------------------------------

def _reconstruction_error_cases():
    x = _randn(5, 1, 4, 4, seed=1)
    return [
        Case("one example, one value", (torch.tensor([[0.5]]), torch.tensor([[2.0]]))),
        Case("a perfect reconstruction (zeros)", (torch.zeros(3, 4), torch.zeros(3, 4))),
        Case("vectors: sum over the coordinates, one value per example",
             (torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))),
        Case("random images (N, C, H, W): sum over C, H, W", (x + 0.1 * _randn(5, 1, 4, 4, seed=2), x)),
        Case("random batch of vectors", (_randn(7, 10, seed=3), _randn(7, 10, seed=4))),
    ]


def _fit_pca_cases():
    # data with well separated variances along a random rotation, so the eigenvectors are well defined
    def data(n, d, seed):
        q, _ = torch.linalg.qr(_randn(d, d, seed=seed, dtype=torch.float64))
        scales = torch.linspace(3.0, 0.3, d, dtype=torch.float64)
        return (_randn(n, d, seed=seed + 1, dtype=torch.float64) * scales) @ q.T + _randn(d, seed=seed + 2)
    return [
        Case("two points in 2-D, k=1", (torch.tensor([[0.0, 0.0], [2.0, 1.0]], dtype=torch.float64), 1)),
        Case("1-D data, k=1", (torch.tensor([[1.0], [2.0], [4.0]], dtype=torch.float64), 1)),
        Case("axis-aligned 3-D data with variances 4, 1, 0: k=2",
             (torch.tensor([[2.0, 1.0, 5.0], [-2.0, 1.0, 5.0], [2.0, -1.0, 5.0], [-2.0, -1.0, 5.0]],
                           dtype=torch.float64), 2)),
        Case("random 200 x 5 data (not centred), k=3", (data(200, 5, 10), 3)),
        Case("random 50 x 8 data, every component (k=8)", (data(50, 8, 20), 8)),
    ]


def _unpool_cases():
    return [
        Case("the lecture's 2 x 2 example, k=2", (torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), 2)),
        Case("a 1 x 1 input, k=3", (torch.tensor([[[[5.0]]]]), 3)),
        Case("k=1 changes nothing", (_randn(1, 1, 3, 3, seed=1), 1)),
        Case("batch of 2, 3 channels, 2 x 3 input, k=2", (_randn(2, 3, 2, 3, seed=2), 2)),
        Case("zeros stay zeros, k=4", (torch.zeros(1, 1, 2, 2), 4)),
    ]


def _conv_transpose2d_cases():
    return [
        Case("the lecture's example: 2 x 2 input, 3 x 3 kernel, stride 2, pad 1",
             (torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), _randn(1, 1, 3, 3, seed=1), 2, 1)),
        Case("the lecture's 4 x 4 output: stride 2, pad 1, output_padding 1",
             (torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), _randn(1, 1, 3, 3, seed=1), 2, 1, 1)),
        Case("1 x 1 input, 1 x 1 kernel", (torch.tensor([[[[3.0]]]]), torch.tensor([[[[2.0]]]]))),
        Case("stride 1, no padding: copies overlap and add", (_randn(1, 1, 3, 3, seed=2), _randn(1, 1, 2, 2, seed=3))),
        Case("zeros in, zeros out", (torch.zeros(1, 2, 2, 2), _randn(2, 3, 3, 3, seed=4), 2)),
        Case("channels mix: 2 in, 3 out, batch of 2, stride 2",
             (_randn(2, 2, 3, 4, seed=5), _randn(2, 3, 3, 3, seed=6), 2)),
        Case("stride 3 with a 2 x 2 kernel (gaps between copies)", (_randn(1, 1, 2, 3, seed=7),
                                                                       _randn(1, 1, 2, 2, seed=8), 3)),
        Case("stride 2, kernel 4, padding 1 (the DCGAN layer)", (_randn(1, 2, 4, 4, seed=9),
                                                                 _randn(2, 1, 4, 4, seed=10), 2, 1)),
    ]


def _conv1d_matrix_cases():
    return [
        Case("the lecture's example: kernel (x, y, z) = (1, 2, 3), length 4, stride 2, padding 1",
             (torch.tensor([1.0, 2.0, 3.0]), 4, 2, 1)),
        Case("kernel of size 1, length 1", (torch.tensor([2.0]), 1)),
        Case("kernel of size 3, length 5, stride 1, no padding", (torch.tensor([1.0, -2.0, 0.5]), 5)),
        Case("padding 1, stride 1 (same length)", (torch.tensor([1.0, 2.0, 3.0]), 5, 1, 1)),
        Case("random kernel of 4, length 9, stride 3, padding 2", (_randn(4, seed=1), 9, 3, 2)),
        Case("random kernel of 2, length 6, stride 2", (_randn(2, seed=2), 6, 2, 0)),
    ]


def _output_size_cases():
    cases = [
        Case("the lecture's 2-D example: 2 inputs, kernel 3, stride 2, pad 1", (2, 3, 2, 1)),
        Case("the lecture's 1-D example: 2 inputs, kernel 3, stride 2, pad 0", (2, 3, 2, 0)),
        Case("one input, kernel 1", (1, 1)),
        Case("stride 2, kernel 4, padding 1 (doubles the size)", (7, 4, 2, 1)),
        Case("output_padding 1 with stride 2", (2, 3, 2, 1, 1)),
        Case("dilation 2", (5, 3, 1, 0, 0, 2)),
    ]
    rng = np.random.default_rng(0)
    while len(cases) < 12:
        n, k, s = (int(v) for v in rng.integers(1, 8, size=3))
        p = int(rng.integers(0, k))
        if (n - 1) * s - 2 * p + k < 1:  # padding would crop everything: not a valid layer
            continue
        cases.append(Case(f"random: n={n}, kernel {k}, stride {s}, padding {p}", (n, k, s, p)))
    return cases


def _gaussian_kl_cases():
    return [
        Case("q equals the prior: mu = 0, logvar = 0", (torch.zeros(1, 2), torch.zeros(1, 2))),
        Case("a 1-D latent, one example", (torch.tensor([[1.0]]), torch.tensor([[0.0]]))),
        Case("only the variance differs", (torch.zeros(2, 3), torch.tensor([[1.0, -1.0, 2.0], [0.5, 0.0, -3.0]]))),
        Case("large means and variances", (torch.tensor([[30.0, -20.0]]), torch.tensor([[6.0, -8.0]]))),
        Case("random batch (16, 8)", (_randn(16, 8, seed=1), _randn(16, 8, seed=2, scale=0.5))),
        Case("extra leading dimensions (3, 4, 5): sum over the last only", (_randn(3, 4, 5, seed=3),
                                                                             _randn(3, 4, 5, seed=4))),
    ]


def _log_mean_exp_cases():
    return [
        Case("one value", (torch.tensor([0.3]),)),
        Case("zeros: log mean exp(0) = 0", (torch.zeros(4),)),
        Case("values near +1000 (exp overflows)", (torch.tensor([1000.0, 1001.0, 999.0, 1000.5]),)),
        Case("values near -1000 (exp underflows to 0)", (torch.tensor([-1000.0, -1001.0, -999.0]),)),
        Case("mixed magnitudes", (torch.tensor([-1000.0, 0.0, 1000.0]),)),
        Case("a row of -inf", (torch.tensor([-math.inf, -math.inf]),)),
        Case("random (5, 7) along dim=1", (_randn(5, 7, seed=1, scale=3.0), 1)),
        Case("random (6, 3) along dim=0, keepdim", (_randn(6, 3, seed=2, scale=50.0), 0, True)),
        Case("random log-weights around -500, (100, 4), dim=0", (_randn(100, 4, seed=3, scale=20.0) - 500.0,)),
    ]


def _reparameterize_cases():
    return [
        Case("mu = 0, logvar = 0: the draw is eps itself", (torch.zeros(1, 2), torch.zeros(1, 2), _Seed(0))),
        Case("one example, one latent", (torch.tensor([[2.0]]), torch.tensor([[0.0]]), _Seed(1))),
        Case("logvar = 2 log 3: sigma = 3", (torch.zeros(2, 2), torch.full((2, 2), 2 * math.log(3.0)), _Seed(2))),
        Case("random batch (8, 4)", (_randn(8, 4, seed=3), _randn(8, 4, seed=4), _Seed(5))),
        Case("the same batch, another seed", (_randn(8, 4, seed=3), _randn(8, 4, seed=4), _Seed(6))),
    ]


def _bernoulli_log_prob_cases():
    x = (torch.rand(4, 6, generator=_g(1)) > 0.5).float()
    return [
        Case("logit 0: log 1/2 per pixel", (torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))),
        Case("one pixel", (torch.tensor([[1.0]]), torch.tensor([[2.0]]))),
        Case("confident and right, logits +-100 (sigmoid rounds to 0 or 1)",
             (torch.tensor([[1.0, 0.0]]), torch.tensor([[100.0, -100.0]]))),
        Case("confident and wrong, logits +-100", (torch.tensor([[0.0, 1.0]]), torch.tensor([[100.0, -100.0]]))),
        Case("random binary pixels (4, 6)", (x, _randn(4, 6, seed=2, scale=3.0))),
        Case("grey levels in [0, 1] (the cross-entropy)", (torch.rand(3, 5, generator=_g(3)),
                                                           _randn(3, 5, seed=4, scale=2.0))),
        Case("images (2, 1, 3, 3), event_dims=3", (torch.rand(2, 1, 3, 3, generator=_g(5)).round(),
                                                     _randn(2, 1, 3, 3, seed=6), 3)),
    ]


def _optimal_discriminator_cases():
    d = torch.float64
    p = torch.rand(10, generator=_g(1), dtype=d)
    q = torch.rand(10, generator=_g(2), dtype=d)
    return [
        Case("equal densities: D* = 1/2", (torch.tensor([0.2, 0.5], dtype=d), torch.tensor([0.2, 0.5], dtype=d))),
        Case("both densities zero: D* = 1/2 by convention", (torch.tensor([0.0, 0.3], dtype=d),
                                                              torch.tensor([0.0, 0.1], dtype=d))),
        Case("model density zero: D* = 1; data density zero: D* = 0",
             (torch.tensor([0.4, 0.0], dtype=d), torch.tensor([0.0, 0.6], dtype=d))),
        Case("one point", (torch.tensor([0.25], dtype=d), torch.tensor([0.75], dtype=d))),
        Case("tiny densities (1e-300)", (torch.tensor([1e-300, 3e-300], dtype=d), torch.tensor([1e-300, 1e-300],
                                                                                            dtype=d))),
        Case("random densities on a grid of 10", (p, q)),
        Case("random (3, 4)", (torch.rand(3, 4, generator=_g(3), dtype=d), torch.rand(3, 4, generator=_g(4), dtype=d))),
    ]


def _js_divergence_cases():
    d = torch.float64

    def dist(*shape, seed):
        w = torch.rand(*shape, generator=_g(seed), dtype=d)
        return w / w.sum(-1, keepdim=True)
    return [
        Case("identical distributions: 0", (torch.tensor([0.5, 0.5], dtype=d), torch.tensor([0.5, 0.5], dtype=d))),
        Case("disjoint supports: log 2", (torch.tensor([1.0, 0.0], dtype=d), torch.tensor([0.0, 1.0], dtype=d))),
        Case("a single outcome", (torch.tensor([1.0], dtype=d), torch.tensor([1.0], dtype=d))),
        Case("zeros in one distribution only", (torch.tensor([0.5, 0.5, 0.0], dtype=d),
                                                torch.tensor([0.2, 0.3, 0.5], dtype=d))),
        Case("random distributions over 8 outcomes", (dist(8, seed=1), dist(8, seed=2))),
        Case("a batch of 4 pairs (4, 6): one value per pair", (dist(4, 6, seed=3), dist(4, 6, seed=4))),
    ]


def _generator_loss_cases():
    return [
        Case("logit 0 (D = 1/2): log 2", (torch.zeros(1),)),
        Case("one fake, D fooled", (torch.tensor([3.0]),)),
        Case("D sure the fakes are fake: logits -100 (D rounds to 0)", (torch.tensor([-100.0, -30.0]),)),
        Case("D fooled completely: logits +100", (torch.tensor([100.0, 30.0]),)),
        Case("random logits (16,)", (_randn(16, seed=1, scale=4.0),)),
        Case("random logits (4, 1)", (_randn(4, 1, seed=2, scale=2.0),)),
    ]


def _interpolate_cases():
    return [
        Case("linear, 2-D, 3 steps", (torch.tensor([0.0, 0.0]), torch.tensor([2.0, 4.0]), 3)),
        Case("linear, one step count of 2: the end points", (torch.tensor([1.0]), torch.tensor([-1.0]), 2)),
        Case("linear, random codes of 8, 5 steps", (_randn(8, seed=1), _randn(8, seed=2), 5, "linear")),
        Case("slerp, orthogonal unit vectors, 3 steps", (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), 3,
                                                         "slerp")),
        Case("slerp, random codes of 16, 7 steps", (_randn(16, seed=3), _randn(16, seed=4), 7, "slerp")),
        Case("slerp, codes of different norms", (_randn(4, seed=5), 3 * _randn(4, seed=6), 4, "slerp")),
        Case("slerp, parallel codes (angle 0: falls back to a line)", (torch.tensor([1.0, 1.0]),
                                                                      torch.tensor([2.0, 2.0]), 3, "slerp")),
    ]


_EXERCISES: dict[str, Exercise] = {
    "autoencoders.reconstruction_error": Exercise(
        "autoencoders.reconstruction_error", _reconstruction_error_cases,
        "||x - x_hat||^2 per example: square the difference, SUM over every dimension but the batch (flatten(1)), "
        "shape (N,)."),
    "pca.fit_pca": Exercise(
        "pca.fit_pca", _fit_pca_cases,
        "Centre with the mean, covariance (1/n) X'^T X' (1/n, not 1/(n-1)), torch.linalg.eigh gives ASCENDING "
        "eigenvalues with eigenvectors as COLUMNS: flip, then keep the top k as rows.",
        compare=_compare_pca),
    "upsample.bed_of_nails_unpool2d": Exercise(
        "upsample.bed_of_nails_unpool2d", _unpool_cases,
        "Start from zeros of shape (N, C, k H, k W) and put x[i, j] at (k i, k j), the top-left of its block: "
        "out[:, :, ::k, ::k] = x."),
    "upsample.conv_transpose2d": Exercise(
        "upsample.conv_transpose2d", _conv_transpose2d_cases,
        "Input (i, j) adds x[i, j] * kernel with its top-left corner at (s i, s j) of the full output; then crop "
        "`padding` from EACH side, keep output_padding extra at the bottom/right; weight is (C_in, C_out, kH, kW)."),
    "upsample.conv1d_matrix": Exercise(
        "upsample.conv1d_matrix", _conv1d_matrix_cases,
        "Shape (L_out, L_in): row o holds the kernel at columns s*o - p, ..., s*o - p + k - 1 (drop the columns "
        "that fall on the padding)."),
    "upsample.conv_transpose_output_size": Exercise(
        "upsample.conv_transpose_output_size", _output_size_cases,
        "(n - 1) s - 2 p + d (k - 1) + output_padding + 1: padding is cropped from BOTH ends."),
    "elbo.gaussian_kl": Exercise(
        "elbo.gaussian_kl", _gaussian_kl_cases,
        "1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2) with sigma^2 = exp(logvar), summed over the LAST "
        "dimension only."),
    "elbo.log_mean_exp": Exercise(
        "elbo.log_mean_exp", _log_mean_exp_cases,
        "Never exp(a) alone: torch.logsumexp(a, dim) - log n (subtracting the max by hand gives NaN for a row of "
        "-inf)."),
    "elbo.reparameterize": Exercise(
        "elbo.reparameterize", _reparameterize_cases,
        "z = mu + exp(logvar / 2) * eps with eps = torch.randn(shape, generator=generator): use the generator "
        "you are given, or the draws cannot match.",
        call=_call_reparameterize),
    "elbo.bernoulli_log_prob": Exercise(
        "elbo.bernoulli_log_prob", _bernoulli_log_prob_cases,
        "Work from the logits: log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) = -softplus(l); sum over the "
        "last event_dims dimensions."),
    "gan.optimal_discriminator": Exercise(
        "gan.optimal_discriminator", _optimal_discriminator_cases,
        "D* = p_data / (p_data + p_model), and 1/2 where both densities are 0 (torch.where)."),
    "gan.js_divergence": Exercise(
        "gan.js_divergence", _js_divergence_cases,
        "JSD = 1/2 KL(p || m) + 1/2 KL(q || m) with m = (p + q) / 2, over the last axis; 0 log 0 = 0 "
        "(torch.xlogy)."),
    "gan.non_saturating_generator_loss": Exercise(
        "gan.non_saturating_generator_loss", _generator_loss_cases,
        "-log D(G(z)) per example, from the logit a: -log sigmoid(a) = softplus(-a) (stable for large |a|)."),
    "gan.interpolate": Exercise(
        "gan.interpolate", _interpolate_cases,
        "t = linspace(0, 1, steps) as a column; linear: (1 - t) z0 + t z1; slerp: (sin((1-t) w) z0 + sin(t w) z1) "
        "/ sin w with w the angle between z0 and z1 (a line when w is 0)."),
}


def names() -> list[str]:
    """The exercise names ``check`` knows, sorted."""
    return sorted(_EXERCISES)


def _reference(ex: Exercise) -> Callable:
    module, attr = ex.ref.rsplit(".", 1)
    # imported lazily by its public name, so a function that moves keeps working through its re-export
    return getattr(importlib.import_module(f"unsup.{module}"), attr)


def _params(ex: Exercise) -> list[str]:
    import inspect
    try:
        return list(inspect.signature(_reference(ex)).parameters)
    except (TypeError, ValueError):
        return []


def check(name: str, candidate: Callable) -> bool:
    """Check ``candidate`` against the library's function for exercise ``name`` (see ``names()``).

    Prints what it found and returns True only if every case agrees. Never raises for a wrong answer; an
    unknown ``name`` raises ``ValueError``.
    """
    if name not in _EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; the exercises are: {', '.join(names())}")
    ex = _EXERCISES[name]
    if not callable(candidate):
        print(f"[{name}] not checked: pass the function itself (check({name!r}, my_function)), "
              f"not a {type(candidate).__name__}.")
        return False
    ref = _reference(ex)
    call = ex.call or (lambda fn, case: fn(*_copy(case.args), **_copy(case.kwargs)))
    compare = ex.compare or _compare_values
    cases = ex.cases()
    params = _params(ex)
    for i, case in enumerate(cases, 1):
        expected = call(ref, case)
        where = f"[{name}] case {i} of {len(cases)}, {case.label}"
        try:
            got = call(candidate, case)
        except NotImplementedError:
            print(f"[{name}] not attempted yet: replace `raise NotImplementedError` with your code, then run "
                  "the cell again.")
            return False
        except Exception as err:  # any error of the candidate is feedback, never a crash of the checker
            frame = traceback.extract_tb(err.__traceback__)[-1]
            print(f"{where}: your function raised {type(err).__name__}: {err}\n"
                  f"  (at line {frame.lineno}: {frame.line})\n  arguments:\n    {_describe_call(case, params)}\n"
                  f"  hint: {ex.hint}")
            return False
        try:
            bad = compare(expected, got)
        except Exception as err:  # e.g. an object whose attributes are not tensors
            bad = (f"the result could not be compared ({type(err).__name__}: {err})", None)
        if bad:
            reason, largest = bad
            lines = [f"{where}: {reason}.",
                     f"  arguments:\n    {_describe_call(case, params)}",
                     f"  expected: {_describe_expected(expected)}",
                     f"  got:      {_describe_expected(got)}"]
            if largest is not None:
                lines.append(f"  largest difference: {largest:.3g} (allowed: {ATOL:g} + {RTOL:g} * |expected|)")
            lines.append(f"  hint: {ex.hint}")
            print("\n".join(lines))
            return False
    print(f"[{name}] correct: all {len(cases)} cases agree with unsup.{ex.ref} "
          f"(within {ATOL:g} + {RTOL:g} * |expected|).")
    return True


def _describe_expected(v) -> str:
    if hasattr(v, "components") and hasattr(v, "mean"):
        return (f"mean {_describe(v.mean)}, components {_describe(v.components)}, "
                f"eigenvalues {_describe(getattr(v, 'explained_variance', None))}")
    return _describe(v)
