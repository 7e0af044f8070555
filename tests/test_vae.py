"""unsup.vae: shapes, the decoders' log-likelihoods against torch.distributions, the per-example ELBO, the
IWAE bound on the tractable linear-Gaussian model (it tightens with k toward the exact log p(x)), the
helpers' reproducibility, a smoke fit; and the browser explorer's weight format."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

import unsup
from unsup import vae
from unsup.elbo import LinearGaussianLVM, gaussian_kl


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def images(n=6, seed=0):
    return torch.rand(n, 1, 28, 28, generator=gen(seed))


def small_models():
    unsup.seed_everything(0)
    return [vae.MLPVAE(hidden=(32,), z_dim=3, likelihood=lik) for lik in vae.LIKELIHOODS] + \
           [vae.ConvVAE(z_dim=3, channels=(4, 8), likelihood=lik) for lik in vae.LIKELIHOODS]


# --- shapes and protocol ----------------------------------------------------------------------------------

@pytest.mark.parametrize("model", small_models(), ids=lambda m: f"{type(m).__name__}-{m.likelihood}")
def test_protocol_shapes(model):
    x = images(5)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 3)
    assert model.encode(x.reshape(5, 784))[0].shape == (5, 3)  # flat input works too
    assert model.decode(torch.randn(7, 4, 3)).shape == (7, 4, 1, 28, 28)
    m = model.decode_mean(torch.randn(2, 3))
    assert m.shape == (2, 1, 28, 28) and m.min() >= 0 and m.max() <= 1
    assert model.log_prob_x_given_z(x, torch.randn(5, 3)).shape == (5,)
    assert model.log_prob_x_given_z(x, torch.randn(4, 5, 3)).shape == (4, 5)
    assert model.log_prob_x_given_z(x, torch.randn(2, 4, 5, 3)).shape == (2, 4, 5)
    x_hat, mu, logvar = model(x, generator=gen())
    assert x_hat.shape == x.shape


@settings(max_examples=15, deadline=None)
@given(lead=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 4))
def test_log_prob_broadcasts_over_any_leading_sample_dims(lead, n):
    """Each sample of z gives the same log p(x|z) as decoding it alone."""
    model = vae.MLPVAE(hidden=(8,), z_dim=2)
    x = images(n)
    z = torch.randn(*lead, n, 2, generator=gen(1))
    out = model.log_prob_x_given_z(x, z)
    assert out.shape == (*lead, n)
    flat = z.reshape(-1, n, 2)
    each = torch.stack([model.log_prob_x_given_z(x, zi) for zi in flat]).reshape(*lead, n)
    torch.testing.assert_close(out, each)


def test_bad_inputs_say_what_to_do():
    model = vae.MLPVAE(hidden=(8,), z_dim=2)
    with pytest.raises(ValueError, match="expects x of shape"):
        model.encode(torch.rand(3, 28, 27))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\)"):
        model.decode(torch.randn(3, 5))
    with pytest.raises(ValueError, match="N=3"):
        model.log_prob_x_given_z(images(3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="likelihood must be one of"):
        vae.MLPVAE(likelihood="poisson")
    with pytest.raises(ValueError, match="k must be a positive integer"):
        vae.iwae_log_likelihood(model, images(2), k=0)
    with pytest.raises(TypeError, match="tensor of images"):
        vae.vae_loss(model, {"x": images(2)})


def test_default_is_the_pytorch_example_architecture():
    model = vae.MLPVAE()
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(400, 784), (400,), (20, 400), (20,), (20, 400), (20,), (400, 20), (400,), (784, 400), (784,)]


# --- decoders' log-likelihoods: oracles -------------------------------------------------------------------

def test_bernoulli_is_the_summed_binary_cross_entropy_and_a_log_probability_on_binary_pixels():
    model = vae.MLPVAE(hidden=(16,), z_dim=2)
    z = torch.randn(4, 2, generator=gen())
    logits = model.decode(z).reshape(4, 784)
    x = images(4)
    # on grey levels: minus the binary cross-entropy summed over pixels (what the PyTorch example minimises)
    bce = F.binary_cross_entropy_with_logits(logits, x.reshape(4, 784), reduction="none").sum(1)
    torch.testing.assert_close(model.log_prob_x_given_z(x, z), -bce)
    # on binary pixels: the log-probability of the Bernoulli distribution
    xb = (x > 0.5).float()
    ref = torch.distributions.Bernoulli(logits=logits).log_prob(xb.reshape(4, 784)).sum(1)
    torch.testing.assert_close(model.log_prob_x_given_z(xb, z), ref)


@pytest.mark.parametrize("sigma", [0.05, 0.3, 1.0])
def test_fixed_gaussian_is_the_normal_log_density(sigma):
    model = vae.MLPVAE(hidden=(16,), z_dim=2, likelihood="gaussian", sigma=sigma)
    z = torch.randn(3, 4, 2, generator=gen())
    x = images(4)
    mean = model.decode(z).reshape(3, 4, 784)
    ref = torch.distributions.Normal(mean, sigma).log_prob(x.reshape(4, 784)).sum(-1)
    torch.testing.assert_close(model.log_prob_x_given_z(x, z), ref)
    # fixed sigma == squared error weighted 1 / (2 sigma^2), plus a constant
    sse = ((x.reshape(4, 784) - mean) ** 2).sum(-1)
    const = -0.5 * 784 * math.log(2 * math.pi * sigma ** 2)
    torch.testing.assert_close(model.log_prob_x_given_z(x, z), const - sse / (2 * sigma ** 2))


@pytest.mark.parametrize("cls", [vae.MLPVAE, vae.ConvVAE])
def test_learned_gaussian_uses_the_decoder_variance_with_a_floor(cls):
    unsup.seed_everything(1)
    model = cls(z_dim=2, likelihood="gaussian_learned", min_logvar=-4.0,
                **({"hidden": (16,)} if cls is vae.MLPVAE else {"channels": (4, 8)}))
    z = torch.randn(5, 2, generator=gen()) * 3
    x = images(5)
    mean, logvar = model.decode_mean(z), model.decoder_logvar(z)
    assert logvar.min() >= -4.0 and logvar.std() > 0  # varies with pixel and z, never below the floor
    ref = torch.distributions.Normal(mean, (0.5 * logvar).exp()).log_prob(x).sum((1, 2, 3))
    torch.testing.assert_close(model.log_prob_x_given_z(x, z), ref)


def test_decoder_sample_has_the_decoder_mean_on_average():
    for lik in ("bernoulli", "gaussian"):
        model = vae.MLPVAE(hidden=(16,), z_dim=2, likelihood=lik, sigma=0.2)
        z = torch.randn(1, 2, generator=gen()).expand(4000, 2)
        draws = model.sample_x_given_z(z, generator=gen(2))
        if lik == "bernoulli":
            assert set(draws.unique().tolist()) <= {0.0, 1.0}
        # 4000 draws: the standard error per pixel is at most 0.5 / sqrt(4000) ~ 0.008 (Bernoulli)
        torch.testing.assert_close(draws.mean(0), model.decode_mean(z[:1])[0], atol=0.04, rtol=0)


# --- the ELBO and the loss --------------------------------------------------------------------------------

def test_vae_loss_is_the_batch_mean_of_per_example_negative_elbo():
    model = vae.MLPVAE(hidden=(16,), z_dim=3)
    x = images(8)
    loss, logs = vae.vae_loss(model, x, generator=gen(5))
    terms = vae.elbo_terms(model, x, generator=gen(5))
    assert terms["recon"].shape == terms["kl"].shape == (8,)
    torch.testing.assert_close(loss, (terms["recon"] + terms["kl"]).mean())
    torch.testing.assert_close(logs["recon"], terms["recon"].mean())
    torch.testing.assert_close(logs["kl"], terms["kl"].mean())
    # the KL is the closed form of unsup.elbo, and nats summed over pixels: hundreds per image, not < 1
    mu, logvar = model.encode(x)
    torch.testing.assert_close(terms["kl"], gaussian_kl(mu, logvar))
    assert logs["recon"] > 100
    # an (images, labels) batch gives the same numbers; beta weights the KL only
    loss2, _ = vae.vae_loss(model, (x, torch.zeros(8, dtype=torch.long)), generator=gen(5))
    torch.testing.assert_close(loss, loss2)
    loss_b, logs_b = vae.vae_loss(model, x, beta=4.0, generator=gen(5))
    torch.testing.assert_close(loss_b, (terms["recon"] + 4 * terms["kl"]).mean())
    torch.testing.assert_close(logs_b["neg_elbo"], loss)


def test_kl_per_dimension_adds_up_to_the_kl():
    model = vae.MLPVAE(hidden=(16,), z_dim=5)
    x = images(10)
    per_dim = vae.kl_per_dimension(model, x, batch_size=3)
    mu, logvar = model.encode(x)
    assert per_dim.shape == (5,) and (per_dim >= 0).all()
    torch.testing.assert_close(per_dim.sum(), gaussian_kl(mu, logvar).mean())
    # against torch.distributions, dimension by dimension, averaged over the examples
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    ref = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).mean(0)
    torch.testing.assert_close(per_dim, ref.detach())


def test_vae_of_an_encoder_and_a_fixed_decoder_trains_with_vae_loss():
    """vae.VAE(encoder, decoder) + vae_loss is chapter 3's amortised training: the loss is minus the decoder's
    one-draw ELBO for the same draw, and only the encoder's parameters get gradients."""
    from unsup.elbo import AmortisedLinearEncoder

    g = torch.Generator().manual_seed(0)
    decoder = LinearGaussianLVM(torch.randn(6, 2, generator=g), torch.randn(6, generator=g), 0.5).requires_grad_(False)
    encoder = AmortisedLinearEncoder(6, 2)
    model = vae.VAE(encoder, decoder)
    x = decoder.sample(20, generator=g)
    loss, logs = vae.vae_loss(model, x, generator=torch.Generator().manual_seed(1))
    ref = decoder.elbo(x, *encoder(x), n_samples=1, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(loss, -ref.mean())
    loss.backward()
    assert encoder.mean.weight.grad is not None and decoder.W.grad is None
    assert model.z_dim == 2
    with pytest.raises(TypeError, match="log_prob_x_given_z"):
        vae.VAE(encoder, nn.Linear(2, 6))


# --- IWAE on the tractable model --------------------------------------------------------------------------

def lvm_and_data(n=200, seed=0):
    """Probabilistic PCA whose two columns of W are similar, so the exact posterior is strongly correlated
    (about -0.75) and the LVM's diagonal q(z|x) leaves an ELBO gap of about a nat."""
    g = gen(seed)
    d, k = 5, 2
    w1 = torch.randn(d, generator=g)
    W = torch.stack([w1, w1 + torch.randn(d, generator=g)], dim=1)
    b = torch.randn(d, generator=g)
    model = LinearGaussianLVM(W, b, sigma=0.5)
    z = torch.randn(n, k, generator=g)
    x = z @ W.T + b + 0.5 * torch.randn(n, d, generator=g)
    return model, x


def test_iwae_tightens_with_k_toward_the_exact_log_likelihood():
    model, x = lvm_and_data()
    mean, cov = model.posterior(x)
    assert cov[0, 1] / cov.diagonal().prod().sqrt() < -0.5  # the set-up: a posterior q cannot match
    exact = model.log_marginal(x)
    gap = {}
    for k in (1, 10, 100, 1000):
        bound = vae.iwae_log_likelihood(model, x, k, generator=gen(k))
        assert bound.shape == (len(x),)
        gap[k] = (exact - bound).mean().item()
    # k = 1 is the ELBO: a gap of KL(q || p(z|x)), about a nat here
    assert gap[1] > 0.3, gap
    # each tenfold k closes most of what is left...
    assert gap[10] < 0.2 * gap[1] and gap[100] < 0.5 * gap[10], gap
    # ...down to Monte Carlo noise around the exact log p(x) (200 examples), never clearly above it
    assert all(g > -0.03 for g in gap.values()), gap
    assert abs(gap[1000]) < 0.02, gap


def test_iwae_with_k_1_is_the_elbo_in_expectation():
    model, x = lvm_and_data(n=100)
    reps = 400  # 400 independent estimates per example, in one call: x repeated, (400 * 100, d)
    iwae1 = vae.iwae_log_likelihood(model, x.repeat(reps, 1), 1, generator=gen(1)).reshape(reps, 100)
    elbo = -vae.negative_elbo(model, x.repeat(reps, 1), generator=gen(2), batch_size=10_000).reshape(reps, 100)
    assert iwae1.shape == elbo.shape == (reps, 100)
    # same expectation (the exact ELBO of the LVM is known too): both within MC noise of it
    exact_elbo = model.elbo(x, *model.encode(x)).mean()
    torch.testing.assert_close(iwae1.mean(), exact_elbo, atol=0.03, rtol=0)
    torch.testing.assert_close(elbo.mean(), exact_elbo, atol=0.03, rtol=0)


def test_iwae_is_stable_when_the_weights_overflow_float32():
    """log p(x|z) of order -1e5 (a tiny sigma): exp of a log weight underflows, the bound must not."""
    model, x = lvm_and_data(n=20)
    sharp = LinearGaussianLVM(model.W, model.b, sigma=1e-3)
    bound = vae.iwae_log_likelihood(sharp, x, 50, generator=gen())
    assert torch.isfinite(bound).all() and bound.max() < -100
    # chunking the k draws (a small max_elements) leaves the bound finite and of the same size
    chunked = vae.iwae_log_likelihood(sharp, x, 50, generator=gen(), max_elements=40)
    assert torch.isfinite(chunked).all()


def test_iwae_bound_on_a_vae_sits_above_its_elbo():
    unsup.seed_everything(0)
    model = vae.MLPVAE(hidden=(32,), z_dim=4)
    x = images(16)
    elbo = -vae.negative_elbo(model, x, samples=50, generator=gen(1)).mean()
    iwae = vae.iwae_log_likelihood(model, x, 50, generator=gen(2)).mean()
    assert iwae >= elbo


# --- using a model ----------------------------------------------------------------------------------------

def test_helpers_are_reproducible_with_a_generator_and_have_the_right_shapes():
    model = vae.MLPVAE(hidden=(16,), z_dim=3)
    x = images(2)
    s1, s2 = vae.sample(model, 5, generator=gen(7)), vae.sample(model, 5, generator=gen(7))
    assert s1.shape == (5, 1, 28, 28)
    torch.testing.assert_close(s1, s2)
    assert not torch.equal(s1, vae.sample(model, 5, generator=gen(8)))
    d = vae.sample(model, 5, generator=gen(7), mean=False)
    assert set(d.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(vae.reconstruct(model, x), model.decode_mean(model.encode(x)[0]))
    torch.testing.assert_close(vae.reconstruct(model, x, sample_z=True, generator=gen(1)),
                               vae.reconstruct(model, x, sample_z=True, generator=gen(1)))


def test_interpolation_and_traversal():
    model = vae.MLPVAE(hidden=(16,), z_dim=3)
    x = images(2)
    path = vae.interpolate(model, x[0], x[1], steps=5)
    mu = model.encode(x)[0]
    assert path.shape == (5, 1, 28, 28)
    torch.testing.assert_close(path[0], model.decode_mean(mu[0]))
    torch.testing.assert_close(path[-1], model.decode_mean(mu[1]))
    torch.testing.assert_close(path[2], model.decode_mean((mu[0] + mu[1]) / 2))
    pixel = vae.interpolate(model, x[0], x[1], steps=5, space="pixel")
    torch.testing.assert_close(pixel[0], x[0])
    torch.testing.assert_close(pixel[2], (x[0] + x[1]) / 2)
    values = torch.tensor([-1.0, 0.0, 2.0])
    grid = vae.traverse(model, x[0], dims=[0, 2], values=values)
    assert grid.shape == (2, 3, 1, 28, 28)
    z = mu[0].clone()
    z[2] = 2.0
    torch.testing.assert_close(grid[1, 2], model.decode_mean(z))
    t1 = vae.traverse(model, dims=[1], generator=gen(3))
    torch.testing.assert_close(t1, vae.traverse(model, dims=[1], generator=gen(3)))
    with pytest.raises(ValueError, match="out of range"):
        vae.traverse(model, dims=[3])


def test_decoder_mean_net_is_the_decoder_mean():
    model = vae.MLPVAE(hidden=(16, 8), z_dim=2)
    z = torch.randn(4, 2)
    torch.testing.assert_close(model.decoder_mean_net()(z), model.decode_mean(z).reshape(4, 784))


def test_smoke_fit_lowers_the_negative_elbo(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSUP_CACHE", str(tmp_path))
    x, _ = unsup.data.load_fashion_mnist("test")
    x = x[:256]
    unsup.seed_everything(0)
    model = vae.MLPVAE(hidden=(64,), z_dim=4)
    before = vae.negative_elbo(model, x, generator=gen()).mean()
    history = unsup.train.fit(model, vae.vae_loss, unsup.data.TensorLoader(x, batch_size=32), epochs=3, lr=3e-3,
                              progress=False, verbose=False)
    after = vae.negative_elbo(model, x, generator=gen()).mean()
    assert history.train["loss"][-1] < history.train["loss"][0]
    # an untrained decoder costs ~550 nats per image; 24 steps of Adam take off well over a fifth
    assert after < 0.75 * before, (before, after)
    assert set(history.train) >= {"loss", "recon", "kl"}


# --- the browser explorer's data ----------------------------------------------------------------------------

def test_explorer_weights_round_trip_and_bad_decoders_are_refused():
    from unsup.widgets import latent_explorer_html, mlp_from_spec, mlp_spec

    model = vae.MLPVAE(z_dim=2)  # 2-400-784, the chapter's explorer
    net = model.decoder_mean_net()
    rebuilt = mlp_from_spec(mlp_spec(net))
    z = torch.randn(6, 2)
    assert torch.equal(rebuilt(z), net(z))  # bit for bit: float32 in, float32 out
    html = latent_explorer_html(net, codes=torch.randn(2000, 2), labels=torch.randint(10, (2000,)))
    assert len(html.encode()) < 2_000_000
    with pytest.raises(ValueError, match="2 inputs"):
        latent_explorer_html(vae.MLPVAE(z_dim=3).decoder_mean_net())
    with pytest.raises(TypeError, match="cannot run in the browser"):
        latent_explorer_html(nn.Sequential(nn.Linear(2, 784), nn.Softplus()))


def test_latent_manifold_decodes_a_grid_of_prior_quantiles():
    import matplotlib.pyplot as plt

    from unsup import viz

    seen = []

    def decode(z):
        seen.append(z)
        return torch.zeros(len(z), 1, 28, 28)

    fig = viz.latent_manifold(decode, n=5, quantile=0.1)
    (z,) = seen
    assert z.shape == (25, 2)
    # z = Phi^{-1}(p) for p evenly spaced in [0.1, 0.9]: first row left to right in z1, top row the largest z2
    expected = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.1, 0.9, 5))
    torch.testing.assert_close(z[:5, 0], expected)
    torch.testing.assert_close(z[::5, 1], expected.flip(0))
    plt.close(fig)
    fig = viz.kl_per_dimension_bars({"a": torch.rand(5), "b": torch.rand(5)})
    assert len(fig.axes[0].patches) == 10
    plt.close(fig)
