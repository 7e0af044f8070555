"""unsup.exercises.check: the library's own functions pass; plausible wrong answers fail, each with feedback
that names a case, shows expected against got and gives the hint; a checker a wrong answer can pass is a defect."""

import importlib
import math

import pytest
import torch
import torch.nn.functional as F

from unsup import exercises, pca, upsample
from unsup.exercises import check, names

torch.set_num_threads(1)


def library(name):
    module, attr = name.split(".")
    return getattr(importlib.import_module(f"unsup.{module}"), attr)


# --- plausible wrong answers, two or more per exercise --------------------------------------------------

def rec_mean(x_hat, x):  # mean instead of the sum over coordinates
    return (x - x_hat).pow(2).flatten(1).mean(dim=1)


def rec_total(x_hat, x):  # summed over the batch too: a scalar
    return (x - x_hat).pow(2).sum()


def rec_norm(x_hat, x):  # the norm, not its square
    return (x - x_hat).flatten(1).norm(dim=1)


def pca_unbiased(x, k):  # 1/(n-1) covariance
    p = pca.fit_pca(x, k)
    n = x.shape[0]
    return p.mean, p.components, p.explained_variance * n / (n - 1)


def pca_ascending(x, k):  # eigh's order kept: the SMALLEST eigenvalues
    mu = x.mean(0)
    xc = x - mu
    evals, evecs = torch.linalg.eigh(xc.T @ xc / len(x))
    return mu, evecs.T[:k], evals[:k]


def pca_columns(x, k):  # eigenvectors taken as rows of eigh's output (they are its columns)
    mu = x.mean(0)
    xc = x - mu
    evals, evecs = torch.linalg.eigh(xc.T @ xc / len(x))
    evals, evecs = evals.flip(0), evecs.flip(1)
    return mu, evecs[:k], evals[:k]


def pca_uncentred(x, k):  # no centring
    evals, evecs = torch.linalg.eigh(x.T @ x / len(x))
    return x.mean(0), evecs.flip(1).T[:k], evals.flip(0)[:k]


def bon_nearest(x, k=2):  # nearest-neighbour unpooling instead
    return upsample.nearest_unpool2d(x, k)


def bon_bottom_right(x, k=2):  # the value at the bottom-right of its block
    out = x.new_zeros(x.shape[0], x.shape[1], k * x.shape[2], k * x.shape[3])
    out[:, :, k - 1::k, k - 1::k] = x
    return out


def ct_ignore_padding(x, weight, stride=1, padding=0, output_padding=0, dilation=1):  # padding not cropped
    return F.conv_transpose2d(x, weight, None, stride, 0, 0, 1, dilation)


def ct_crop_one_side(x, weight, stride=1, padding=0, output_padding=0, dilation=1):  # off by one: crop only top/left
    full = F.conv_transpose2d(x, weight, None, stride, 0, 0, 1, dilation)
    return full[:, :, padding:, padding:]


def ct_conv_weight_order(x, weight, stride=1, padding=0, output_padding=0, dilation=1):  # weight as Conv2d's
    return F.conv_transpose2d(x, weight.transpose(0, 1).flip(2, 3).transpose(0, 1), None, stride, padding,
                              output_padding, 1, dilation)


def c1_transposed(weight, length, stride=1, padding=0):  # the transposed matrix
    return upsample.conv1d_matrix(weight, length, stride, padding).T


def c1_flipped(weight, length, stride=1, padding=0):  # a true convolution (flipped kernel), not PyTorch's
    return upsample.conv1d_matrix(weight.flip(0), length, stride, padding)


def c1_pad_one_side(weight, length, stride=1, padding=0):  # padding only on the left: one row short/long
    k = weight.shape[0]
    l_out = (length + padding - k) // stride + 1
    C = weight.new_zeros(l_out, length)
    for o in range(l_out):
        for a in range(k):
            col = stride * o - padding + a
            if 0 <= col < length:
                C[o, col] = weight[a]
    return C


def size_one_padding(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):  # crops p once
    return (n - 1) * stride - padding + dilation * (kernel_size - 1) + output_padding + 1


def size_conv_formula(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):  # n*s, the "ratio"
    return n * stride - 2 * padding + output_padding


def size_float(n, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):  # right value, a float
    return float((n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1)


def kl_no_half(mu, logvar):
    return (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)


def kl_sigma_not_squared(mu, logvar):  # exp(logvar / 2) where sigma^2 belongs
    return 0.5 * (mu.pow(2) + (0.5 * logvar).exp() - 1 - logvar).sum(-1)


def kl_sum_all(mu, logvar):  # summed over every dimension
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()


def lme_naive(a, dim=0, keepdim=False):  # exp overflows at +1000, underflows at -1000
    return torch.log(torch.exp(a).mean(dim=dim, keepdim=keepdim))


def lme_no_log_n(a, dim=0, keepdim=False):  # log-sum-exp, the 1/n forgotten
    return torch.logsumexp(a, dim=dim, keepdim=keepdim)


def lme_max_by_hand(a, dim=0, keepdim=False):  # stable, but NaN for a row of -inf
    m = a.max(dim=dim, keepdim=True).values
    out = m + torch.log(torch.exp(a - m).mean(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


def rep_ignores_generator(mu, logvar, generator=None):
    return mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape)


def rep_variance_not_std(mu, logvar, generator=None):  # exp(logvar) instead of exp(logvar / 2)
    return mu + torch.exp(logvar) * torch.randn(mu.shape, generator=generator)


def bern_naive(x, logits, event_dims=1):  # log(sigmoid): -inf at logits of -100
    p = torch.sigmoid(logits)
    per = x * torch.log(p) + (1 - x) * torch.log(1 - p)
    return per.sum(dim=tuple(range(per.dim() - event_dims, per.dim())))


def bern_sign(x, logits, event_dims=1):  # the cross-entropy (a loss), not the log-probability
    per = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per.sum(dim=tuple(range(per.dim() - event_dims, per.dim())))


def bern_last_dim_only(x, logits, event_dims=1):  # event_dims ignored
    per = -(x * F.softplus(-logits) + (1 - x) * F.softplus(logits))
    return per.sum(dim=-1)


def dstar_naive(p_data, p_model):  # 0/0 = NaN where both densities are 0
    return p_data / (p_data + p_model)


def dstar_swapped(p_data, p_model):
    p_model_safe = torch.where(p_data + p_model > 0, p_data + p_model, torch.ones_like(p_data))
    return torch.where(p_data + p_model > 0, p_model / p_model_safe, torch.full_like(p_data, 0.5))


def js_no_half(p, q):
    m = (p + q) / 2
    return torch.xlogy(p, p / m).sum(-1) + torch.xlogy(q, q / m).sum(-1)


def js_naive_log(p, q):  # p log(p/m) with 0 log 0 = NaN
    m = (p + q) / 2
    return 0.5 * (p * torch.log(p / m)).sum(-1) + 0.5 * (q * torch.log(q / m)).sum(-1)


def js_symmetric_kl(p, q):  # KL(p||q) + KL(q||p) / 2: infinite on disjoint supports
    return 0.5 * (torch.xlogy(p, p / q).sum(-1) + torch.xlogy(q, q / p).sum(-1))


def ns_naive(fake_logits):  # -log(sigmoid(a)): inf at a = -100
    return -torch.log(torch.sigmoid(fake_logits))


def ns_saturating(fake_logits):  # the minimax generator term instead
    return -F.softplus(fake_logits)


def ns_mean(fake_logits):  # reduced to a scalar
    return F.softplus(-fake_logits).mean()


def interp_linear_only(z0, z1, steps, kind="linear"):  # slerp ignored
    t = torch.linspace(0, 1, steps)[:, None]
    return (1 - t) * z0 + t * z1


def interp_off_by_one(z0, z1, steps, kind="linear"):  # t = arange(steps) / steps: never reaches z1
    t = (torch.arange(steps) / steps)[:, None]
    return (1 - t) * z0 + t * z1


def interp_slerp_normalised(z0, z1, steps, kind="linear"):  # slerp of the unit vectors (norms lost)
    t = torch.linspace(0, 1, steps)[:, None]
    if kind == "linear":
        return (1 - t) * z0 + t * z1
    a, b = F.normalize(z0, dim=0), F.normalize(z1, dim=0)
    w = torch.arccos((a @ b).clamp(-1, 1))
    if w.abs() < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * w) * a + torch.sin(t * w) * b) / torch.sin(w)


WRONG = {
    "autoencoders.reconstruction_error": [rec_mean, rec_total, rec_norm],
    "pca.fit_pca": [pca_unbiased, pca_ascending, pca_columns, pca_uncentred],
    "upsample.bed_of_nails_unpool2d": [bon_nearest, bon_bottom_right],
    "upsample.conv_transpose2d": [ct_ignore_padding, ct_crop_one_side, ct_conv_weight_order],
    "upsample.conv1d_matrix": [c1_transposed, c1_flipped, c1_pad_one_side],
    "upsample.conv_transpose_output_size": [size_one_padding, size_conv_formula, size_float],
    "elbo.gaussian_kl": [kl_no_half, kl_sigma_not_squared, kl_sum_all],
    "elbo.log_mean_exp": [lme_naive, lme_no_log_n, lme_max_by_hand],
    "elbo.reparameterize": [rep_ignores_generator, rep_variance_not_std],
    "elbo.bernoulli_log_prob": [bern_naive, bern_sign, bern_last_dim_only],
    "gan.optimal_discriminator": [dstar_naive, dstar_swapped],
    "gan.js_divergence": [js_no_half, js_naive_log, js_symmetric_kl],
    "gan.non_saturating_generator_loss": [ns_naive, ns_saturating, ns_mean],
    "gan.interpolate": [interp_linear_only, interp_off_by_one, interp_slerp_normalised],
}


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG) == names()
    assert all(len(v) >= 2 for v in WRONG.values())


@pytest.mark.parametrize("name", names())
def test_library_function_passes(name, capsys):
    assert check(name, library(name)) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("name,wrong", [(n, w) for n, ws in WRONG.items() for w in ws],
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_wrong_answer_fails_with_feedback(name, wrong, capsys):
    assert check(name, wrong) is False
    out = capsys.readouterr().out
    assert f"[{name}] case " in out, out            # names the failing case
    assert "arguments:" in out, out
    assert "hint: " in out and exercises._EXERCISES[name].hint in out, out
    if "raised" not in out:
        assert "expected" in out and "got" in out, out


def test_feedback_shows_values_and_largest_difference(capsys):
    assert check("elbo.gaussian_kl", kl_no_half) is False
    out = capsys.readouterr().out
    # the first case is mu = logvar = 0, where both agree on 0: the first failure is the 1-D latent case
    assert "case 2 of" in out and "a 1-D latent" in out, out
    assert "expected: tensor (1,) float32 = [0.5]" in out and "got:      tensor (1,) float32 = [1.]" in out, out
    assert "largest difference: 0.5" in out, out


def test_not_implemented_is_not_attempted(capsys):
    def stub(a, dim=0, keepdim=False):
        """log mean exp."""
        raise NotImplementedError

    assert check("elbo.log_mean_exp", stub) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_other_exceptions_are_reported_not_raised(capsys):
    def broken(mu, logvar):
        return mu.nonexistent_method()

    assert check("elbo.gaussian_kl", broken) is False
    out = capsys.readouterr().out
    assert "raised AttributeError" in out and "nonexistent_method" in out and "case 1 of" in out, out


def test_wrong_shape_and_type_are_said(capsys):
    assert check("gan.optimal_discriminator", lambda p, q: (p / (p + q)).tolist()) is False
    assert "returned list, expected a tensor" in capsys.readouterr().out
    assert check("elbo.gaussian_kl", lambda mu, logvar: 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)) is False
    assert "shape (1, 2), expected (1,)" in capsys.readouterr().out
    assert check("pca.fit_pca", lambda x, k: x.mean(0)) is False
    assert "return (mean (d,), components (k, d), eigenvalues (k,))" in capsys.readouterr().out
    assert check("elbo.log_mean_exp", "not a function") is False
    assert "pass the function itself" in capsys.readouterr().out


def test_float64_and_float32_answers_both_pass(capsys):
    def kl64(mu, logvar):
        mu, logvar = mu.double(), logvar.double()
        return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(-1)

    assert check("elbo.gaussian_kl", kl64) is True


def test_pca_components_compared_up_to_sign():
    def flipped(x, k):
        p = pca.fit_pca(x, k)
        return p.mean, -p.components, p.explained_variance

    assert check("pca.fit_pca", flipped) is True


def test_candidate_cannot_change_the_reference_inputs():
    def in_place(a, dim=0, keepdim=False):
        a.mul_(0)  # spoils its own copy only
        return torch.logsumexp(a, dim=dim, keepdim=keepdim) - math.log(a.shape[dim])

    assert check("elbo.log_mean_exp", in_place) is False


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="elbo.log_mean_exp") as err:
        check("elbo.log_mean_expp", lambda a: a)
    assert "unknown exercise" in str(err.value)
