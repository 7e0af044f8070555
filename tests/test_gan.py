"""unsup.gan: the optimal discriminator, JSD and the value of the game against brute force and direct
maximisation; the losses' gradients; model shapes and packing; Algorithm 1 on unsup.train (smoke fit, cache,
resume); mode-collapse metrics on constructed samples; the Frechet distance against closed forms."""

import math

import numpy as np
import pytest
import torch
from torch import nn

import unsup
from unsup import gan
from unsup.data import TensorLoader, ring_centers


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSUP_CACHE", str(tmp_path / "ckpt"))
    monkeypatch.setenv("UNSUP_PROGRESS", "0")
    return tmp_path / "ckpt"


@pytest.fixture(autouse=True)
def one_thread():
    """These networks are tiny: one thread is faster than several (and not slowed by a busy machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def random_distribution(n, seed, zeros=()):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(n, generator=g, dtype=torch.float64) + 0.05
    p[list(zeros)] = 0.0
    return p / p.sum()


# --- theory ------------------------------------------------------------------------------------------------

def test_optimal_discriminator_is_the_maximiser_found_by_gradient_ascent():
    p, q = random_distribution(9, 0), random_distribution(9, 1)
    # maximise V(D) = sum p log D + q log(1 - D) directly, over free logits a, D = sigmoid(a)
    a = torch.zeros(9, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a], max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = -gan.gan_value(p, q, torch.sigmoid(a))
        loss.backward()
        return loss

    opt.step(closure)
    d_star = gan.optimal_discriminator(p, q)
    torch.testing.assert_close(torch.sigmoid(a).detach(), d_star, atol=1e-6, rtol=0)
    # and it is a maximum: every perturbation lowers V
    v_star = gan.gan_value(p, q, d_star)
    for eps in (-0.05, 0.05):
        assert gan.gan_value(p, q, (d_star + eps).clamp(1e-6, 1 - 1e-6)) < v_star


def test_optimal_discriminator_types_and_edge_cases():
    d = gan.optimal_discriminator(np.array([0.2, 0.0, 0.0]), np.array([0.2, 0.5, 0.0]))
    assert isinstance(d, np.ndarray)
    np.testing.assert_allclose(d, [0.5, 0.0, 0.5])  # equal densities, data absent, both absent
    t = gan.optimal_discriminator(torch.tensor([3.0]), torch.tensor([1.0]))
    assert isinstance(t, torch.Tensor) and t.item() == pytest.approx(0.75)
    with pytest.raises(ValueError, match="same shape"):
        gan.optimal_discriminator([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        gan.optimal_discriminator([-0.1], [0.1])


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
        jsd = float(gan.js_divergence(p, q))
        assert jsd == pytest.approx(brute_force_jsd(p, q), abs=1e-12)
        assert jsd == pytest.approx(jensenshannon(p.numpy(), q.numpy()) ** 2, abs=1e-10)  # scipy: sqrt, nats
    # bounds: 0 for equal distributions, log 2 for disjoint supports
    p = random_distribution(6, 3)
    assert float(gan.js_divergence(p, p)) == pytest.approx(0.0, abs=1e-15)
    assert float(gan.js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.3, 0.7])) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="sum to 1"):
        gan.js_divergence([0.5, 0.6], [0.5, 0.5])


def test_kl_divergence_against_scipy():
    from scipy.stats import entropy

    p, q = random_distribution(7, 0, zeros=(2,)), random_distribution(7, 1)
    assert float(gan.kl_divergence(p, q)) == pytest.approx(entropy(p.numpy(), q.numpy()), abs=1e-12)
    assert float(gan.kl_divergence(q, p)) == math.inf  # q puts mass where p has none


def test_value_at_the_optimal_discriminator_is_2_jsd_minus_log_4():
    for seed in range(5):
        p, q = random_distribution(10, seed, zeros=(1,)), random_distribution(10, 20 + seed, zeros=(4,))
        v = float(gan.gan_value(p, q, gan.optimal_discriminator(p, q)))
        jsd = float(gan.js_divergence(p, q))
        assert v == pytest.approx(2 * jsd - math.log(4), abs=1e-12)
        # the lecture's "JS" is KL(p, m) + KL(q, m) = 2 JSD: with the usual JSD, "JSD - 2 ln 2" is wrong
        assert v != pytest.approx(jsd - 2 * math.log(2), abs=1e-3)
    p = random_distribution(10, 0)
    assert float(gan.gan_value(p, p, gan.optimal_discriminator(p, p))) == pytest.approx(-math.log(4))


def test_danskin_gradient_of_the_inner_maximum():
    """d/dtheta max_D V(D, theta) equals d/dtheta V(D*, theta) with D* held fixed."""
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    p = torch.softmax(-0.5 * (x - 1.0) ** 2 / 0.3, 0)

    def q_of(theta):  # a discretised Gaussian with mean theta[0] and log-std theta[1]
        return torch.softmax(-0.5 * (x - theta[0]) ** 2 / torch.exp(2 * theta[1]), 0)

    theta = torch.tensor([-0.4, 0.2], dtype=torch.float64, requires_grad=True)
    # the inner maximum in closed form: 2 JSD - log 4
    (g_max,) = torch.autograd.grad(2 * gan.js_divergence(p, q_of(theta)) - math.log(4), theta)
    d_star = gan.optimal_discriminator(p, q_of(theta)).detach()
    (g_fixed,) = torch.autograd.grad(gan.gan_value(p, q_of(theta), d_star), theta)
    torch.testing.assert_close(g_max, g_fixed, atol=1e-10, rtol=1e-8)
    assert g_max.abs().max() > 1e-3  # not a trivial zero


# --- losses -------------------------------------------------------------------------------------------------

def test_losses_match_binary_cross_entropy_and_have_the_stated_gradients():
    a = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    d = torch.sigmoid(a)
    bce = nn.functional.binary_cross_entropy_with_logits
    real, fake = a, a.flip(0)
    torch.testing.assert_close(gan.discriminator_loss(real, fake),
                               bce(real, torch.ones_like(real), reduction="none")
                               + bce(fake, torch.zeros_like(fake), reduction="none"))
    smooth = gan.discriminator_loss(real, fake, real_label=0.9)
    torch.testing.assert_close(smooth, bce(real, torch.full_like(real, 0.9), reduction="none")
                               + bce(fake, torch.zeros_like(fake), reduction="none"))
    torch.testing.assert_close(gan.saturating_generator_loss(a), torch.log1p(-d))
    torch.testing.assert_close(gan.non_saturating_generator_loss(a), -torch.log(d))
    # d/da log(1 - D) = -D (vanishes when D -> 0), d/da -log D = -(1 - D) (close to -1 there)
    (g_sat,) = torch.autograd.grad(gan.saturating_generator_loss(a).sum(), a)
    (g_ns,) = torch.autograd.grad(gan.non_saturating_generator_loss(a).sum(), a)
    torch.testing.assert_close(g_sat, -d.detach())
    torch.testing.assert_close(g_ns, -(1 - d.detach()))
    # finite at extreme logits, where the naive log(sigmoid) is not
    assert torch.isfinite(gan.non_saturating_generator_loss(torch.tensor([-200.0]))).all()
    with pytest.raises(ValueError, match="as many real as fake"):
        gan.discriminator_loss(torch.zeros(3), torch.zeros(4))


# --- models --------------------------------------------------------------------------------------------------

def test_dcgan_pair_shapes_and_packing():
    unsup.seed_everything(0)
    G, D = gan.DCGenerator(z_dim=16, channels=(32, 16)), gan.DCDiscriminator(channels=(16, 32))
    z = torch.randn(5, 16)
    x = G(z)
    assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (5,)
    packed = gan.GAN(G, gan.DCDiscriminator(channels=(16, 32), in_channels=2), z_dim=16, pack=2)
    assert packed.discriminate(torch.rand(6, 1, 28, 28)).shape == (3,)
    with pytest.raises(ValueError, match="multiple of 2"):
        packed.discriminate(torch.rand(5, 1, 28, 28))
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        G(torch.randn(5, 8))
    with pytest.raises(ValueError, match="28, 28"):
        D(torch.rand(2, 1, 32, 32))
    samples = packed.sample(4, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (4, 1, 28, 28) and packed.training  # sample() restores the mode


def test_mlp_pair_shapes_and_pacgan_groups_consecutive_samples():
    G, D = gan.MLPGenerator(z_dim=3, out_dim=2, hidden=8), gan.MLPDiscriminator(in_dim=4, hidden=8)
    model = gan.GAN(G, D, z_dim=3, pack=2)
    assert G(torch.randn(7, 3)).shape == (7, 2)
    x = torch.arange(12.0).reshape(6, 2)
    torch.testing.assert_close(model.discriminate(x), D(torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])))


def test_dcgan_init():
    unsup.seed_everything(0)
    G = gan.dcgan_init_(gan.DCGenerator(z_dim=16, channels=(64, 32)))
    w = G.net[0].weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    assert G.net[-2].bias.abs().max() == 0 and abs(G.net[1].weight.mean().item() - 1) < 0.01


# --- Algorithm 1 on unsup.train --------------------------------------------------------------------------

def gaussian_gan(seed=0, hidden=16):
    unsup.seed_everything(seed)
    return gan.GAN(gan.MLPGenerator(1, 1, hidden, 2), gan.MLPDiscriminator(1, hidden, 2), z_dim=1)


def gaussian_data(n=2048, mean=2.0, std=0.5):
    return mean + std * torch.randn(n, 1, generator=torch.Generator().manual_seed(0))


def test_gan_step_takes_k_discriminator_steps_per_generator_step():
    model = gaussian_gan()
    opts = gan.default_optimizers(model, lr=1e-3)
    counts = {"D": 0, "G": 0}
    for name, opt in opts.items():
        opt.register_step_post_hook(lambda *_, name=name: counts.__setitem__(name, counts[name] + 1))
    logs = gan.gan_step(model, gaussian_data(96), opts, k=3)
    assert counts == {"D": 3, "G": 1}
    assert set(logs) == {"loss_D", "loss_G", "D_real", "D_fake", "grad_G"}
    with pytest.raises(ValueError, match="generator_loss"):
        gan.gan_step(model, gaussian_data(8), opts, generator_loss="wasserstein")


def test_smoke_fit_moves_both_losses_and_the_generator_towards_the_data():
    model = gaussian_gan()
    before = model.sample(2000, torch.Generator().manual_seed(1)).mean().item()
    h = gan.train_gan(model, TensorLoader(gaussian_data(), batch_size=64), epochs=6,
                      optimizer=gan.default_optimizers(model, lr=3e-3), verbose=False)
    after = model.sample(2000, torch.Generator().manual_seed(1)).mean().item()
    assert h.epochs == 6 and not h.from_cache
    for key in ("loss_D", "loss_G"):
        assert max(h.train[key]) - min(h.train[key]) > 0.01, (key, h.train[key])
    assert abs(after - 2.0) < 0.5 * abs(before - 2.0), (before, after)


def test_train_gan_caches_and_keys_on_the_algorithm(private_cache):
    data = gaussian_data(256)
    kwargs = {"epochs": 2, "verbose": False, "cache": {"data": "gaussian_data(256)"}}
    m1 = gaussian_gan()
    h1 = gan.train_gan(m1, TensorLoader(data, batch_size=32), **kwargs)
    m2 = gaussian_gan(seed=5)
    h2 = gan.train_gan(m2, TensorLoader(data, batch_size=32), **kwargs)
    assert h2.from_cache and h2.train == h1.train
    torch.testing.assert_close(m1.state_dict(), m2.state_dict())
    h3 = gan.train_gan(gaussian_gan(), TensorLoader(data, batch_size=32), generator_loss="saturating", **kwargs)
    h4 = gan.train_gan(gaussian_gan(), TensorLoader(data, batch_size=64), k=2, **kwargs)
    assert not h3.from_cache and not h4.from_cache
    assert len(list(private_cache.glob("*.pt"))) == 3
    with pytest.raises(ValueError, match="'D' and 'G'"):
        gan.train_gan(gaussian_gan(), [data], epochs=1, optimizer={"opt": torch.optim.SGD(m1.parameters(), 0.1)})


def test_interrupted_gan_training_resumes_to_the_same_weights(private_cache):
    data = gaussian_data(512)
    config = {"data": "gaussian_data(512)"}
    ref = gaussian_gan()
    gan.train_gan(ref, TensorLoader(data, batch_size=64, seed=1), epochs=3, cache={**config, "run": "ref"},
                  verbose=False)

    class Boom(Exception):
        pass

    class Crashing(TensorLoader):
        def __iter__(self):
            for i, batch in enumerate(super().__iter__()):
                if crash["armed"] and crash["epoch"] == 2 and i == 3:
                    raise Boom
                yield batch
            crash["epoch"] += 1

    crash = {"armed": True, "epoch": 0}
    with pytest.raises(Boom):
        gan.train_gan(gaussian_gan(), Crashing(data, batch_size=64, seed=1), epochs=3,
                      cache={**config, "run": "resumed"}, verbose=False)
    crash["armed"] = False
    resumed = gaussian_gan(seed=9)
    h = gan.train_gan(resumed, TensorLoader(data, batch_size=64, seed=1), epochs=3,
                      cache={**config, "run": "resumed"}, verbose=False)
    assert h.epochs == 3 and not h.from_cache
    torch.testing.assert_close(resumed.state_dict(), ref.state_dict())


def test_discriminator_fit_loss_learns_d_star_of_two_gaussians():
    from unsup.train import fit

    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(4096, 1, generator=g) + 1.0, torch.randn(4096, 1, generator=g) - 1.0
    unsup.seed_everything(0)
    D = gan.MLPDiscriminator(1, 16, 2)
    fit(D, gan.discriminator_fit_loss, TensorLoader(real, fake, batch_size=128), epochs=10, lr=3e-3, verbose=False)
    x = torch.linspace(-1.5, 1.5, 7)[:, None]
    # D*(x) = N(x; 1, 1) / (N(x; 1, 1) + N(x; -1, 1)) = sigmoid(2 x)
    with torch.no_grad():
        torch.testing.assert_close(torch.sigmoid(D(x)), torch.sigmoid(2 * x[:, 0]), atol=0.06, rtol=0)


# --- evaluation ----------------------------------------------------------------------------------------------

def test_mixture_metrics_on_constructed_samples():
    centers, std = ring_centers(8), 0.02
    g = torch.Generator().manual_seed(0)
    perfect = centers.repeat_interleave(100, 0) + 0.5 * std * torch.randn(800, 2, generator=g)
    m = gan.mixture_metrics(perfect, centers, std)
    assert m == {"modes": 8, "high_quality": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}
    one = centers[:1].repeat(500, 1)
    m = gan.mixture_metrics(one, centers, std)
    assert m["modes"] == 1 and m["reverse_kl"] == pytest.approx(math.log(8))
    # three modes with 40 good samples each, one with 10 (below min_count = 20), plus 200 points off every mode
    good = torch.cat([centers[i:i + 1].repeat(n, 1) for i, n in [(0, 40), (1, 40), (2, 40), (3, 10)]])
    off = torch.zeros(200, 2)  # the centre of the ring, 2 away from every mode
    m = gan.mixture_metrics(torch.cat([good, off]), centers, std)
    assert m["modes"] == 3
    assert m["high_quality"] == pytest.approx(130 / 330)
    with pytest.raises(ValueError, match="agree in d"):
        gan.mixture_metrics(torch.zeros(3, 3), centers, std)


def test_frechet_distance_against_closed_forms():
    from scipy.linalg import sqrtm

    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert gan.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # diagonal covariances: sum of the 1-D ones
    s1, s2 = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 1.0])
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    expected = ((mu1 - mu2) ** 2).sum() + ((s1.sqrt() - s2.sqrt()) ** 2).sum()
    assert gan.frechet_distance(mu1, s1.diag(), mu2, s2.diag()) == pytest.approx(expected.item())
    # full covariances: against scipy's sqrtm of sigma1 sigma2
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 5, generator=g, dtype=torch.float64), torch.randn(5, 5, generator=g, dtype=torch.float64)
    c1, c2 = a @ a.T + 0.1 * torch.eye(5), b @ b.T + 0.1 * torch.eye(5)
    m1, m2 = torch.randn(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    ref = ((m1 - m2) ** 2).sum().item() + np.trace(c1.numpy() + c2.numpy() - 2 * sqrtm(c1.numpy() @ c2.numpy()).real)
    assert gan.frechet_distance(m1, c1, m2, c2) == pytest.approx(ref, rel=1e-8)
    assert gan.frechet_distance(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-8)


def test_classifier_frechet_distance():
    unsup.seed_everything(0)
    clf = gan.FashionClassifier()
    assert clf(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    assert clf.features(torch.rand(3, 1, 28, 28)).shape == (3, 64)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(300, 1, 28, 28, generator=g), torch.rand(300, 1, 28, 28, generator=g) * 0.5
    assert gan.classifier_frechet_distance(clf, x, x) == pytest.approx(0.0, abs=1e-6)
    stats = gan.feature_statistics(gan.batched(clf.features, y))
    d = gan.classifier_frechet_distance(clf, x, y)
    assert d > 0 and gan.classifier_frechet_distance(clf, x, stats2=stats) == pytest.approx(d)
    with pytest.raises(ValueError, match="exactly one"):
        gan.classifier_frechet_distance(clf, x)


def test_nearest_neighbours_interpolate_and_kde():
    g = torch.Generator().manual_seed(0)
    bank = torch.randn(50, 1, 4, 4, generator=g)
    idx = gan.nearest_neighbours(bank[[7, 3]] + 1e-3, bank, k=2)
    assert idx.shape == (2, 2) and idx[:, 0].tolist() == [7, 3]
    brute = torch.cdist(bank[[7]].flatten(1), bank.flatten(1))[0].argsort()[:2]
    assert idx[0].tolist() == brute.tolist()
    z0, z1 = torch.randn(8, generator=g), torch.randn(8, generator=g)
    z1 = z1 / z1.norm() * z0.norm()
    for kind in ("linear", "slerp"):
        path = gan.interpolate(z0, z1, 5, kind)
        assert path.shape == (5, 8)
        torch.testing.assert_close(path[[0, -1]], torch.stack([z0, z1]))
    torch.testing.assert_close(gan.interpolate(z0, z1, 5, "slerp").norm(dim=1), z0.norm().expand(5))
    with pytest.raises(ValueError, match="slerp"):
        gan.interpolate(z0, z1, 5, "cubic")
    grid = torch.linspace(-6, 6, 1201)
    dens = gan.kde_1d(torch.randn(100, generator=g), grid, 0.3)
    assert (dens.sum() * (grid[1] - grid[0])).item() == pytest.approx(1.0, abs=1e-3)


def test_generator_spec_for_the_browser_round_trips():
    """What the no-kernel explorer embeds (weights, batch norm folded in eval mode) is the same function as G."""
    from unsup.widgets import convnet_from_spec, convnet_spec, gan_interpolation_html

    unsup.seed_everything(0)
    G = gan.DCGenerator(z_dim=6, channels=(8, 4))
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    G.eval()
    z = torch.randn(4, 6)
    with torch.no_grad():
        torch.testing.assert_close(convnet_from_spec(convnet_spec(G))(z), G(z), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="anchors"):
        gan_interpolation_html(G, torch.randn(3, 5))
    with pytest.raises(TypeError, match="cannot run in the browser"):
        convnet_spec(nn.Sequential(nn.ConvTranspose2d(6, 1, 4), nn.Dropout()))
