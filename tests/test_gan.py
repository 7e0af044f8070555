"""unsup.gan: the losses' gradients; model shapes and packing; Algorithm 1 on unsup.train (smoke fit, cache,
resume); interpolation and the 1-D KDE. (D*, JSD and V are tested in test_divergences, the sample-quality
measures in test_metrics.)"""


import pytest
import torch
from torch import nn

import unsup
from unsup import gan
from unsup.data import TensorLoader


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSUP_CACHE", str(tmp_path / "ckpt"))
    monkeypatch.setenv("UNSUP_PROGRESS", "0")
    return tmp_path / "ckpt"



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


def test_interpolate_and_kde():
    g = torch.Generator().manual_seed(0)
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


# --- many small GANs at once ----------------------------------------------------------------------------------

def _tiny_ring_gan(seed, pack):
    unsup.seed_everything(seed)
    return gan.GAN(gan.MLPGenerator(2, 2, hidden=8, depth=2), gan.MLPDiscriminator(2 * pack, hidden=6, depth=2),
                   z_dim=2, pack=pack)


@pytest.mark.parametrize("pack", [1, 2])
def test_stacked_gan_trains_each_seed_exactly_as_its_own_plain_gan(pack):
    """The batched trainer is S independent GANs: same start, same data and noise, per-seed Adam -> same weights."""
    seeds, m, steps = (3, 5), 8, 6
    stacked = gan.StackedGAN.from_seeds(seeds, lambda s: _tiny_ring_gan(s, pack))
    plain = [_tiny_ring_gan(s, pack) for s in seeds]
    torch.testing.assert_close(stacked.unstack(1, lambda: _tiny_ring_gan(0, pack)).G.net[0].weight,
                               plain[1].G.net[0].weight)
    x = torch.randn(steps * m, len(seeds), 2, generator=torch.Generator().manual_seed(1))  # (N, S, 2)
    opt = {"D": torch.optim.Adam(stacked.D.parameters(), lr=1e-2, betas=(0.5, 0.999)),
           "G": torch.optim.Adam(stacked.G.parameters(), lr=1e-2, betas=(0.5, 0.999))}
    g = torch.Generator().manual_seed(7)
    for t in range(steps):
        logs = gan.stacked_gan_step(stacked, x[t * m:(t + 1) * m], opt, generator=g)
    assert set(logs) == {"loss_D", "loss_G", "D_real", "D_fake"}
    # the reference: each seed alone, with the slice of the same noise the stacked step drew
    g = torch.Generator().manual_seed(7)
    noise = [(torch.randn(len(seeds), m, 2, generator=g), torch.randn(len(seeds), m, 2, generator=g))
             for _ in range(steps)]
    for i, model in enumerate(plain):
        opt_D = torch.optim.Adam(model.D.parameters(), lr=1e-2, betas=(0.5, 0.999))
        opt_G = torch.optim.Adam(model.G.parameters(), lr=1e-2, betas=(0.5, 0.999))
        for t, (z_D, z_G) in enumerate(noise):
            with torch.no_grad():
                fake = model.G(z_D[i])
            loss_D = gan.discriminator_loss(model.discriminate(x[t * m:(t + 1) * m, i]),
                                            model.discriminate(fake)).mean()
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()
            loss_G = gan.non_saturating_generator_loss(model.discriminate(model.G(z_G[i]))).mean()
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
        back = stacked.unstack(i, lambda: _tiny_ring_gan(0, pack))
        for p_back, p_plain in zip(back.parameters(), model.parameters()):
            torch.testing.assert_close(p_back, p_plain, atol=1e-5, rtol=1e-4)
    # the weights did move: the check above is not comparing two untouched starts
    assert not torch.allclose(plain[0].G.net[0].weight, _tiny_ring_gan(3, pack).G.net[0].weight)


def test_stacked_gan_shapes_and_errors():
    stacked = gan.StackedGAN.from_seeds([0, 1, 2], lambda s: _tiny_ring_gan(s, 2))
    assert stacked(stacked.sample_z(10)).shape == (3, 10, 2)
    assert stacked.discriminate(torch.zeros(3, 10, 2)).shape == (3, 5)
    with pytest.raises(ValueError, match="multiple of 2"):
        stacked.discriminate(torch.zeros(3, 5, 2))
    with pytest.raises(ValueError, match="expected x of shape"):
        stacked.G(torch.zeros(2, 10, 2))
