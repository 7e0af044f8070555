"""A CPU-only proxy for the GPU path: every model and loss of the library runs with model and batch on the
``meta`` device (shapes and dtypes, no data). A tensor made on the CPU inside a forward, a loss or a training
step meets a meta tensor there and fails, as it would meet a CUDA tensor on a GPU."""

import functools

import pytest
import torch

from unsup import autoencoders, elbo, gan, train, upsample, vae

META = torch.device("meta")


def on_meta(model):
    return model.to(META)


def batch(*shape):
    return torch.empty(*shape, device=META)


def assert_meta(*tensors):
    for t in tensors:
        assert t.device == META, f"a result on {t.device}: made on the CPU inside the forward or the loss?"


AUTOENCODERS = {
    "linear": lambda: autoencoders.LinearAutoencoder((1, 28, 28), 3),
    "mlp": lambda: autoencoders.MLPAutoencoder((1, 28, 28), 3, widths=(16,)),
    "conv-transposed": lambda: autoencoders.ConvAutoencoder(3, channels=(4, 8), upsampling="transposed"),
    "conv-nearest": lambda: autoencoders.ConvAutoencoder(3, channels=(4, 8), upsampling="nearest"),
}


@pytest.mark.parametrize("name", sorted(AUTOENCODERS))
def test_autoencoders_and_their_losses_on_meta(name):
    model = on_meta(AUTOENCODERS[name]())
    x = batch(4, 1, 28, 28)
    assert_meta(model(x), model.encode(x))
    loss, logs = autoencoders.reconstruction_loss(model, x)
    assert_meta(loss, *logs.values())
    loss, logs = autoencoders.denoising_loss(0.1)(model, x)
    assert_meta(loss, *logs.values())
    loss.backward()


def test_sigmoid_autoencoder_stack_on_meta():
    model = on_meta(autoencoders.SigmoidAutoencoderStack(8, 3, seeds=range(2)))
    loss, logs = autoencoders.stack_reconstruction_loss(model, batch(8, 8))
    assert_meta(loss, *logs.values())
    loss.backward()


@pytest.mark.parametrize("likelihood", sorted(vae.LIKELIHOODS))
@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_vaes_and_their_losses_on_meta(kind, likelihood):
    model = (vae.MLPVAE(784, (16,), 2, likelihood) if kind == "mlp"
             else vae.ConvVAE(2, channels=(4, 8), likelihood=likelihood))
    model = on_meta(model)
    x = batch(4, 1, 28, 28)
    loss, logs = vae.vae_loss(model, x)
    assert_meta(loss, *logs.values())
    loss.backward()
    assert_meta(vae.negative_elbo(model, x, samples=2))
    assert_meta(vae.sample(model, 3), vae.reconstruct(model, x))


def test_gan_models_losses_and_a_training_step_on_meta():
    for G, D, z_dim, x in [(gan.MLPGenerator(2, 2, 8, 2), gan.MLPDiscriminator(2, 8, 2), 2, batch(8, 2)),
                           (gan.DCGenerator(8, (8, 4)), gan.DCDiscriminator((4, 8)), 8, batch(8, 1, 28, 28))]:
        model = on_meta(gan.GAN(G, D, z_dim))
        assert_meta(model.sample(3), model.discriminate(x))
        loss, logs = gan.discriminator_fit_loss(model.D, (x, x))
        assert_meta(loss, *logs.values())
        opts = gan.default_optimizers(model)
        logs = gan.gan_step(model, x, opts, k=2)
        assert_meta(*logs.values())


def test_elbo_latent_variable_models_on_meta():
    lvm = on_meta(elbo.LinearGaussianLVM(torch.randn(5, 2), torch.zeros(5), 0.5))
    x = batch(4, 5)
    assert_meta(*lvm.posterior(x))
    mu, logvar = lvm.mean_field(x)
    assert_meta(lvm.log_marginal(x), mu, logvar, lvm.elbo(x, mu, logvar), lvm.elbo(x, mu, logvar, n_samples=3),
                lvm.kl_to_posterior(x, mu, logvar), lvm.sample(3))
    enc = on_meta(elbo.AmortisedLinearEncoder(5, 2))
    mu, logvar = enc(x)
    assert_meta(mu, logvar, elbo.gaussian_kl(mu, logvar), elbo.reparameterize(mu, logvar))
    linear_vae = on_meta(elbo.LinearVAE(5, 2, 0.5))
    loss, logs = vae.vae_loss(linear_vae, x)
    assert_meta(loss, *logs.values())


def test_upsample_modules_on_meta():
    x = batch(2, 3, 4, 4)
    for module in (upsample.BedOfNails(2), upsample.NearestUnpool(2),
                   upsample.upsample_block(3, 2, "transposed"), upsample.upsample_block(3, 2, "nearest")):
        assert_meta(on_meta(module)(x))
    w = batch(3, 2, 3, 3)
    assert_meta(upsample.conv_transpose2d(x, w, stride=2), upsample.nearest_unpool2d(x),
                upsample.bed_of_nails_unpool2d(x))


def test_fit_runs_on_meta():
    """The loop itself: batches follow the model's device, logs stay there, nothing is created on the CPU."""
    model = on_meta(autoencoders.MLPAutoencoder((1, 4, 4), 2, widths=(8,)))
    data = [batch(4, 1, 4, 4) for _ in range(3)]

    # a meta tensor has no values to check for NaN; the divergence check is what would fail, so skip only it
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train, "_first_bad", lambda trace: None)
        mp.setattr(torch.Tensor, "__bool__", lambda self: True)
        mp.setattr(train, "_mean_logs", lambda sums, n: {k: 0.0 for k in sums})
        h = train.fit(model, autoencoders.reconstruction_loss, data, epochs=1, verbose=False)
    assert h.epochs == 1 and set(h.train) >= {"loss"}


def test_gan_step_partial_is_a_step_fn_on_meta():
    model = on_meta(gan.GAN(gan.MLPGenerator(2, 2, 8, 2), gan.MLPDiscriminator(2, 8, 2), 2))
    step = functools.partial(gan.gan_step, k=1)
    assert_meta(*step(model, batch(4, 2), gan.default_optimizers(model)).values())
