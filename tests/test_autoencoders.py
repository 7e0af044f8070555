"""unsup.autoencoders: shapes and input checks of every model, the per-example loss against a hand sum, the
PCA network equal to PCA, the 8-3-8 stack equal to nets trained alone, identity_success on hand-made nets,
Gaussian code sampling, the conv autoencoder's three upsamplings, and smoke fits through unsup.train.fit.
(Holes and ROC AUC are tested in test_metrics, FullBatch in test_data.)"""

import itertools

import pytest
import torch

import unsup
from unsup import autoencoders as ae
from unsup import pca
from unsup.train import fit


def images(n=5, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def structured_images(n=64, seed=0):
    """Images that lie near a 3-D manifold, ``sigmoid(z B)``, so that a small code can reconstruct them."""
    g = torch.Generator().manual_seed(seed)
    b = 3 * torch.randn(3, 784, generator=torch.Generator().manual_seed(99))
    # (n, 3) @ (3, 784) -> (n, 784) -> (n, 1, 28, 28)
    return torch.sigmoid(torch.randn(n, 3, generator=g) @ b).view(n, 1, 28, 28)


def models(k=3):
    unsup.seed_everything(0)
    return [ae.LinearAutoencoder(code_size=k), ae.MLPAutoencoder(code_size=k, widths=(32, 16)),
            ae.MLPAutoencoder(code_size=k, widths=()), ae.ConvAutoencoder(code_size=k, channels=(4, 8))]


# --- shapes and errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", models(), ids=lambda m: type(m).__name__)
def test_shapes(model):
    x = images()
    z = model.encode(x)
    assert z.shape == (5, 3)
    assert model.decode(z).shape == x.shape
    assert model(x).shape == x.shape


@pytest.mark.parametrize("model", models(), ids=lambda m: type(m).__name__)
def test_bad_shapes_have_clear_errors(model):
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, 1, 28, 28\)"):
        model.encode(torch.zeros(5, 784))
    with pytest.raises(ValueError, match=r"expects codes of shape \(N, 3\)"):
        model.decode(torch.zeros(5, 4))


def test_mlp_outputs_in_unit_interval_and_vae_chapter_signature():
    m = ae.MLPAutoencoder(code_size=2, widths=(400,))  # what book/04_vae.ipynb builds
    out = m.decode(torch.randn(10, 2) * 50)
    assert out.min() >= 0 and out.max() <= 1
    assert [type(x).__name__ for x in m.decoder] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        ae.MLPAutoencoder(activation="gelu")
    with pytest.raises(ValueError, match="two convolutions"):
        ae.ConvAutoencoder(channels=(4, 8, 16))


# --- losses --------------------------------------------------------------------------------------------------

def test_reconstruction_error_is_per_example_sum():
    x, x_hat = images(4, 0), images(4, 1)
    err = ae.reconstruction_error(x_hat, x)
    expected = torch.stack([sum((x[i] - x_hat[i]).flatten().pow(2)) for i in range(4)])
    torch.testing.assert_close(err, expected)
    m = models()[1]
    loss, logs = ae.reconstruction_loss(m, (x, torch.zeros(4)))  # a (images, labels) batch works too
    torch.testing.assert_close(loss, ae.reconstruction_error(m(x), x).mean())
    torch.testing.assert_close(logs["mse_per_pixel"], loss.detach() / 784)
    with pytest.raises(ValueError, match="same shape"):
        ae.reconstruction_error(x_hat.flatten(1), x)


def test_denoising_loss_reconstructs_the_clean_input():
    m = models()[1]
    x = images(4)
    torch.manual_seed(0)
    loss, _ = ae.denoising_loss(0.0)(m, x)  # no noise: the plain loss
    torch.testing.assert_close(loss, ae.reconstruction_loss(m, x)[0])
    torch.manual_seed(0)
    noisy_loss, _ = ae.denoising_loss(0.5)(m, x)
    torch.manual_seed(0)
    x_noisy = (x + 0.5 * torch.randn_like(x)).clamp(0, 1)
    torch.testing.assert_close(noisy_loss, ae.reconstruction_error(m(x_noisy), x).mean())
    with pytest.raises(ValueError, match="non-negative"):
        ae.denoising_loss(-1.0)


# --- PCA as a network ------------------------------------------------------------------------------------------

def test_linear_autoencoder_from_pca_equals_pca():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, 2, 4, 4, generator=g, dtype=torch.float64)  # (N, C, H, W) -> d = 32
    p = pca.fit_pca(x.flatten(1), 5)
    net = ae.LinearAutoencoder.from_pca(p, input_shape=(2, 4, 4))
    torch.testing.assert_close(net.encode(x), p.encode(x.flatten(1)))
    torch.testing.assert_close(net(x).flatten(1), p.reconstruct(x.flatten(1)))
    torch.testing.assert_close(net.encoder.bias, -p.components @ p.mean)  # b_e = -V^T mu
    with pytest.raises(ValueError, match="has 30 entries"):
        ae.LinearAutoencoder.from_pca(p, input_shape=(30,))


# --- the 8-3-8 stack -------------------------------------------------------------------------------------------

def test_stack_shapes_and_same_init_as_seed():
    m = ae.SigmoidAutoencoderStack(8, 3, seeds=[0, 5])
    x = torch.eye(8)
    assert m.encode(x).shape == (2, 8, 3) and m(x).shape == (2, 8, 8)
    one = ae.SigmoidAutoencoderStack(8, 3, seeds=[5])
    torch.testing.assert_close(m.W1[1], one.W1[0])
    with pytest.raises(ValueError, match=r"decode expects codes \(n_nets=2, N, k=3\)"):
        m.decode(torch.zeros(8, 3))


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_stack_trains_each_net_as_if_alone(opt):
    """The summed loss gives each net its own gradient: 30 steps of the stack equal 30 steps of each net alone."""
    x = torch.eye(8)

    def make_opt(m):
        return torch.optim.SGD(m.parameters(), lr=1.0) if opt == "sgd" else torch.optim.Adam(m.parameters(), lr=0.05)

    both = ae.SigmoidAutoencoderStack(seeds=[1, 2])
    fit(both, ae.stack_reconstruction_loss, ae.FullBatch(x, steps=30), epochs=1, optimizer=make_opt(both),
        verbose=False, progress=False)
    for i, s in enumerate([1, 2]):
        alone = ae.SigmoidAutoencoderStack(seeds=[s])
        fit(alone, ae.stack_reconstruction_loss, ae.FullBatch(x, steps=30), epochs=1, optimizer=make_opt(alone),
            verbose=False, progress=False)
        torch.testing.assert_close(both.W1[i], alone.W1[0])
        torch.testing.assert_close(both.b2[i], alone.b2[0])


def test_identity_success_on_hand_made_nets():
    """A net whose hidden layer is the binary code of the input index, and whose output decodes it, succeeds;
    the same net with two inputs sharing a code fails on both counts."""
    x = torch.eye(8)
    bits = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)))        # (8, 3): row i = binary of i
    m = ae.SigmoidAutoencoderStack(seeds=[0, 1])
    big = 20.0
    with torch.no_grad():
        # hidden_j = sigmoid(big * (2 bit_ij - 1)) for input i
        m.W1.copy_((big * (2 * bits - 1)).T.expand(2, 3, 8))
        m.b1.zero_()
        # output_i = sigmoid(big * (sum_j s_ij h_j - (#ones in code i) + 0.5)), s = +1 where bit is 1, -1 else
        m.W2.copy_((big * (2 * bits - 1)).expand(2, 8, 3))
        m.b2.copy_((big * (0.5 - bits.sum(1))).expand(2, 8))
        m.W1[1, :, 7] = m.W1[1, :, 6]      # net 1: input 7 gets the code of input 6
    r = ae.identity_success(m, x)
    assert r["bits"].shape == (2, 8, 3)
    torch.testing.assert_close(r["bits"][0].float(), bits)
    assert r["success"].tolist() == [True, False]
    assert r["distinct"].tolist() == [True, False] and r["reconstructed"].tolist() == [True, False]


@pytest.mark.slow
def test_838_mostly_succeeds_with_adam():
    x = torch.eye(8)
    m = ae.SigmoidAutoencoderStack(seeds=range(10))
    fit(m, ae.stack_reconstruction_loss, ae.FullBatch(x, steps=200), epochs=15,
        optimizer=torch.optim.Adam(m.parameters(), lr=0.01), verbose=False, progress=False)
    assert ae.identity_success(m, x)["reconstructed"].float().mean() >= 0.8


# --- smoke fits --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", models(k=4)[1:], ids=lambda m: type(m).__name__)
def test_smoke_fit_loss_goes_down(model):
    x = structured_images(64)
    h = fit(model, ae.reconstruction_loss, ae.FullBatch(x, steps=20), epochs=3, lr=1e-2, verbose=False,
            progress=False)
    assert h.train["loss"][-1] < 0.8 * h.train["loss"][0]


def test_linear_autoencoder_approaches_the_pca_subspace():
    """Full-batch training of a linear AE on data with a clear 2-D principal subspace finds it."""
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(20, 2, generator=g))
    x = torch.randn(300, 2, generator=g) * torch.tensor([3.0, 2.0]) @ basis.T + 0.1 * torch.randn(300, 20, generator=g)
    x = x + 1.0
    p = pca.fit_pca(x, 2)
    unsup.seed_everything(0)
    net = ae.LinearAutoencoder(input_shape=(20,), code_size=2)
    before = pca.principal_angles(net.decoder.weight.detach(), p.V).max()
    fit(net, ae.reconstruction_loss, ae.FullBatch(x, steps=300), epochs=2, lr=0.02, verbose=False, progress=False)
    after = pca.principal_angles(net.decoder.weight.detach(), p.V).max()
    assert before > 0.3 and after < 0.02


# --- codes, sampling, uses -------------------------------------------------------------------------------------------

def test_gaussian_fit_and_sampling():
    g = torch.Generator().manual_seed(0)
    codes = torch.randn(5000, 2, generator=g, dtype=torch.float64) @ torch.tensor([[2.0, 0.0], [1.0, 0.5]],
                                                                                   dtype=torch.float64) + 3
    mean, cov = ae.fit_gaussian_to_codes(codes)
    zc = codes - codes.mean(0)
    torch.testing.assert_close(cov, zc.T @ zc / 5000)
    z = ae.sample_codes(mean, cov, 20000, generator=torch.Generator().manual_seed(1))
    assert z.shape == (20000, 2)
    m2, c2 = ae.fit_gaussian_to_codes(z)
    torch.testing.assert_close(m2, mean, atol=0.05, rtol=0)
    torch.testing.assert_close(c2, cov, atol=0.1, rtol=0.05)
    with pytest.raises(ValueError, match=r"cov must be \(2, 2\)"):
        ae.sample_codes(mean, torch.eye(3, dtype=torch.float64), 5)
    with pytest.raises(ValueError, match="N >= 2"):
        ae.fit_gaussian_to_codes(torch.zeros(1, 2))


def test_encode_in_batches_matches_one_pass():
    m = models()[1]
    x = images(10)
    torch.testing.assert_close(ae.encode_in_batches(m.encode, x, batch_size=3), m.encode(x).detach())


@pytest.mark.parametrize("upsampling", ["transposed", "nearest", "bed_of_nails"])
def test_conv_autoencoder_upsampling_options(upsampling):
    from unsup.upsample import upsample_block

    unsup.seed_everything(0)
    m = ae.ConvAutoencoder(code_size=3, channels=(4, 8), upsampling=upsampling)
    x = images(2)
    assert m(x).shape == x.shape and m.encode(x).shape == (2, 3)
    # the decoder's last upsampling block is upsample_block's, applied to the features before it
    h = m.decoder[:-2](m.encode(x))  # (2, 4, 14, 14)
    block = upsample_block(4, 1, upsampling)
    block.load_state_dict(m.decoder[-2].state_dict())
    torch.testing.assert_close(torch.sigmoid(block(h)), m(x))
    with pytest.raises(ValueError, match="upsampling must be one of"):
        ae.ConvAutoencoder(upsampling="bilinear")




# --- denoising: the corruption ----------------------------------------------------------------------------------

def test_corrupt_gaussian_and_masking():
    x = images(20)
    g = torch.Generator().manual_seed(0)
    noisy = ae.corrupt(x, noise_std=0.3, generator=g)
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(noisy, (x + 0.3 * eps).clamp(0, 1))  # x + sigma eps, clipped
    masked = ae.corrupt(x, mask_frac=0.5, generator=torch.Generator().manual_seed(1))
    zeroed = (masked == 0) & (x != 0)
    assert 0.45 < zeroed.float().mean() < 0.55  # about half the pixels set to 0
    torch.testing.assert_close(masked[~zeroed], x[~zeroed])  # the rest untouched
    both = ae.corrupt(x, 0.3, 0.5, generator=torch.Generator().manual_seed(2))
    assert (both == 0).float().mean() > 0.45 and both.min() >= 0 and both.max() <= 1
    torch.testing.assert_close(ae.corrupt(x), x)  # no noise: the input itself
    with pytest.raises(ValueError, match="mask_frac"):
        ae.corrupt(x, mask_frac=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        ae.corrupt(x, noise_std=-0.1)


def test_denoising_loss_with_masking_uses_the_global_generator():
    m = models()[1]
    x = images(4)
    torch.manual_seed(3)
    loss, _ = ae.denoising_loss(0.2, mask_frac=0.25)(m, x)
    torch.manual_seed(3)
    x_tilde = ae.corrupt(x, 0.2, 0.25)
    torch.testing.assert_close(loss, ae.reconstruction_error(m(x_tilde), x).mean())
    with pytest.raises(ValueError, match="mask_frac"):
        ae.denoising_loss(mask_frac=-0.1)


# --- the max-pooling autoencoder and its four decoders -----------------------------------------------------------

@pytest.mark.parametrize("upsampling", ae.POOLING_DECODERS)
def test_maxpool_conv_autoencoder_shapes(upsampling):
    torch.manual_seed(0)
    m = ae.MaxPoolConvAutoencoder(code_size=5, channels=(4, 6), upsampling=upsampling)
    x = images(3)
    z, (i1, i2) = m.encode_with_indices(x)
    assert z.shape == (3, 5) and i1.shape == (3, 4, 14, 14) and i2.shape == (3, 6, 7, 7)
    out = m(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    torch.testing.assert_close(m.encode(x), z)
    if upsampling == "max_unpool":
        with pytest.raises(ValueError, match="indices"):
            m.decode(z)
        torch.testing.assert_close(m.decode(z, [i1, i2]), out)
    else:
        torch.testing.assert_close(m.decode(z), out)
    with pytest.raises(ValueError, match="upsampling"):
        ae.MaxPoolConvAutoencoder(upsampling="bilinear")


def test_maxpool_decoder_unpools_at_the_encoders_positions():
    """The max-unpool decoder's first unpooling puts its values where the encoder's LAST pool found its maxima
    (the corresponding pair), and its output depends on the indices: another image's give another output."""
    torch.manual_seed(0)
    m = ae.MaxPoolConvAutoencoder(code_size=5, channels=(4, 6), upsampling="max_unpool")
    x = images(2)
    z, (i1, i2) = m.encode_with_indices(x)
    h = torch.relu(m.from_code(z)).view(-1, 6, 7, 7)
    up = m._unpool(h, i2)  # (2, 6, 14, 14)
    # nonzero only at the remembered positions: one per 2x2 block
    flat = up.flatten(2)
    expected = torch.zeros_like(flat).scatter_(2, i2.flatten(2), 1.0) > 0
    assert ((flat != 0) <= expected).all()
    swapped = m.decode(z, [i1.flip(0), i2.flip(0)])
    assert (swapped - m(x)).abs().max() > 1e-4


def test_maxpool_conv_autoencoder_trains():
    x = structured_images(64)
    unsup.seed_everything(0)
    m = ae.MaxPoolConvAutoencoder(code_size=3, channels=(4, 8), upsampling="max_unpool")
    h = fit(m, ae.reconstruction_loss, ae.FullBatch(x, steps=20), epochs=3, lr=1e-2, verbose=False,
            progress=False)
    assert h.train["loss"][-1] < 0.8 * h.train["loss"][0]
