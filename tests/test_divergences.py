"""unsup.divergences: the optimal discriminator, KL, JSD and the value of the game against brute force, scipy
and direct maximisation; label smoothing's optimum t D*; the pointwise L-BFGS maximisation of V."""

import math

import numpy as np
import pytest
import torch

from unsup import divergences, gan


def random_distribution(n, seed, zeros=()):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(n, generator=g, dtype=torch.float64) + 0.05
    p[list(zeros)] = 0.0
    return p / p.sum()


def test_optimal_discriminator_is_the_maximiser_found_by_gradient_ascent():
    p, q = random_distribution(9, 0), random_distribution(9, 1)
    # maximise V(D) = sum p log D + q log(1 - D) directly, over free logits a, D = sigmoid(a)
    a = torch.zeros(9, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a], max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = -divergences.gan_value(p, q, torch.sigmoid(a))
        loss.backward()
        return loss

    opt.step(closure)
    d_star = divergences.optimal_discriminator(p, q)
    torch.testing.assert_close(torch.sigmoid(a).detach(), d_star, atol=1e-6, rtol=0)
    # and it is a maximum: every perturbation lowers V
    v_star = divergences.gan_value(p, q, d_star)
    for eps in (-0.05, 0.05):
        assert divergences.gan_value(p, q, (d_star + eps).clamp(1e-6, 1 - 1e-6)) < v_star


def test_optimal_discriminator_types_and_edge_cases():
    d = divergences.optimal_discriminator(np.array([0.2, 0.0, 0.0]), np.array([0.2, 0.5, 0.0]))
    assert isinstance(d, np.ndarray)
    np.testing.assert_allclose(d, [0.5, 0.0, 0.5])  # equal densities, data absent, both absent
    t = divergences.optimal_discriminator(torch.tensor([3.0]), torch.tensor([1.0]))
    assert isinstance(t, torch.Tensor) and t.item() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="same shape"):
        divergences.optimal_discriminator([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        divergences.optimal_discriminator([-0.1], [0.1])


def brute_force_jsd(p, q):
    total = 0.0
    for pi, qi in zip(p.tolist(), q.tolist()):
        m = (pi + qi) / 2
        if pi > 0:
            total += 0.5 * pi * math.log(pi / m)
        if qi > 0:
            total += 0.5 * qi * math.log(qi / m)
    return total


def test_js_divergence_against_a_brute_force_sum_and_scipy():
    from scipy.spatial.distance import jensenshannon

    for seed in range(5):
        p, q = random_distribution(12, seed, zeros=(0, 3)), random_distribution(12, seed + 10, zeros=(5,))
        jsd = float(divergences.js_divergence(p, q))
        assert jsd == pytest.approx(brute_force_jsd(p, q), abs=1e-12)
        assert jsd == pytest.approx(jensenshannon(p.numpy(), q.numpy()) ** 2, abs=1e-10)  # scipy: sqrt, nats
    # bounds: 0 for equal distributions, log 2 for disjoint supports
    p = random_distribution(6, 3)
    assert float(divergences.js_divergence(p, p)) == pytest.approx(0.0, abs=1e-15)
    assert float(divergences.js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7])) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="sum to 1"):
        divergences.js_divergence([0.5, 0.6], [0.5, 0.5])


def test_kl_divergence_against_scipy():
    from scipy.stats import entropy

    p, q = random_distribution(7, 0, zeros=(2,)), random_distribution(7, 1)
    assert float(divergences.kl_divergence(p, q)) == pytest.approx(entropy(p.numpy(), q.numpy()), abs=1e-12)
    assert float(divergences.kl_divergence(q, p)) == math.inf  # q puts mass where p has none


def test_value_at_the_optimal_discriminator_is_2_jsd_minus_log_4():
    for seed in range(5):
        p, q = random_distribution(10, seed, zeros=(1,)), random_distribution(10, 20 + seed, zeros=(4,))
        v = float(divergences.gan_value(p, q, divergences.optimal_discriminator(p, q)))
        jsd = float(divergences.js_divergence(p, q))
        assert v == pytest.approx(2 * jsd - math.log(4), abs=1e-12)
        # the lecture's "JS" is KL(p, m) + KL(q, m) = 2 JSD: with the usual JSD, "JSD - 2 ln 2" is wrong
        assert v != pytest.approx(jsd - 2 * math.log(2), abs=1e-3)
    p = random_distribution(10, 0)
    assert float(divergences.gan_value(p, p, divergences.optimal_discriminator(p, p))) == pytest.approx(-math.log(4))


def test_danskin_gradient_of_the_inner_maximum():
    """d/dtheta max_D V(D, theta) equals d/dtheta V(D*, theta) with D* held fixed."""
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    p = torch.softmax(-0.5 * (x - 1.0) ** 2 / 0.3, 0)

    def q_of(theta):  # a discretised Gaussian with mean theta[0] and log-std theta[1]
        return torch.softmax(-0.5 * (x - theta[0]) ** 2 / torch.exp(2 * theta[1]), 0)

    theta = torch.tensor([-0.4, 0.2], dtype=torch.float64, requires_grad=True)
    # the inner maximum in closed form: 2 JSD - log 4
    (g_max,) = torch.autograd.grad(2 * divergences.js_divergence(p, q_of(theta)) - math.log(4), theta)
    d_star = divergences.optimal_discriminator(p, q_of(theta)).detach()
    (g_fixed,) = torch.autograd.grad(divergences.gan_value(p, q_of(theta), d_star), theta)
    torch.testing.assert_close(g_max, g_fixed, atol=1e-10, rtol=1e-8)
    assert g_max.abs().max() > 1e-3  # not a trivial zero


def test_gan_reexports_the_same_functions():
    for name in ("optimal_discriminator", "js_divergence", "kl_divergence", "gan_value"):
        assert getattr(gan, name) is getattr(divergences, name)


def brute_force_value(p, q, d, t):
    """sum_i p_i [t log d_i + (1 - t) log(1 - d_i)] + q_i log(1 - d_i), term by term in Python floats."""
    total = 0.0
    for pi, qi, di in zip(p.tolist(), q.tolist(), d.tolist()):
        if pi > 0:
            total += pi * (t * math.log(di) + (1 - t) * math.log(1 - di))
        if qi > 0:
            total += qi * math.log(1 - di)
    return total


def test_gan_value_with_a_smoothed_label_against_a_brute_force_sum():
    p, q = random_distribution(11, 2, zeros=(3,)), random_distribution(11, 3, zeros=(6,))
    d = torch.rand(11, generator=torch.Generator().manual_seed(4), dtype=torch.float64) * 0.98 + 0.01
    for t in (1.0, 0.9, 0.5):
        assert float(divergences.gan_value(p, q, d, real_label=t)) == pytest.approx(brute_force_value(p, q, d, t),
                                                                                 abs=1e-12)
    with pytest.raises(ValueError, match="real_label"):
        divergences.gan_value(p, q, d, real_label=1.5)


def test_smoothed_value_is_minus_the_expected_discriminator_loss():
    """V_t(D) = -E[gan.discriminator_loss(a, a, real_label=t)] with reals weighted by p and fakes by q."""
    p, q = random_distribution(9, 5), random_distribution(9, 6)
    a = torch.randn(9, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    t = 0.9
    real = gan.discriminator_loss(a, torch.full_like(a, -1e4), real_label=t)  # the fake term is 0 at D = 0
    fake = gan.discriminator_loss(torch.full_like(a, 1e4), a, real_label=1.0)  # the real term is 0 at D = 1
    expected = -((p * real).sum() + (q * fake).sum())
    torch.testing.assert_close(divergences.gan_value(p, q, torch.sigmoid(a), real_label=t), expected)


@pytest.mark.parametrize("t", [1.0, 0.9])
def test_maximise_value_pointwise_finds_t_times_d_star(t):
    # p and q of chapter 5's first section: a mixture of two Gaussians against one wide Gaussian, on a grid
    x = torch.linspace(-4, 7, 45, dtype=torch.float64)
    normal = torch.distributions.Normal
    p = 0.5 * normal(0.0, 0.6).log_prob(x).exp() + 0.5 * normal(3.5, 0.8).log_prob(x).exp()
    q = normal(1.5, 1.5).log_prob(x).exp()
    p, q = p / p.sum(), q / q.sum()
    d = divergences.maximise_value_pointwise(p, q, real_label=t, max_iter=100)
    d_star = divergences.optimal_discriminator(p, q)
    support = (p + q) > 1e-8
    assert (d - t * d_star)[support].abs().max() < 1e-5
    # a wrong optimum would fail: the unsmoothed D* is off by (1 - t) D* where D* is large
    if t < 1:
        assert (d - d_star)[support].abs().max() > 0.05


def test_maximise_value_pointwise_edge_cases():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    q = torch.tensor([0.25, 0.75, 0.0], dtype=torch.float64)
    d = divergences.maximise_value_pointwise(p, q, max_iter=100)
    torch.testing.assert_close(d[:2], torch.tensor([2 / 3, 0.4], dtype=torch.float64), atol=1e-6, rtol=0)
    assert d[2].item() == 0.5  # no mass: V does not depend on D there, which stays at its start
    assert isinstance(divergences.maximise_value_pointwise(np.array([1.0, 0.0]), np.array([0.0, 1.0])), torch.Tensor)
    with pytest.raises(ValueError, match="same length"):
        divergences.maximise_value_pointwise(p, q[:2])
