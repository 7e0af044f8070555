"""Autoencoders: an encoder ``f_theta: R^d -> R^k`` and a decoder ``g_phi: R^k -> R^d`` trained so that
``x_i ~ g_phi(f_theta(x_i))``, i.e. minimising the lecture's reconstruction error
``sum_i ||x_i - g_phi(f_theta(x_i))||^2``.

- :func:`reconstruction_error` is the per-example loss ``||x - x_hat||^2`` (summed over pixels, one value per
  example); :func:`reconstruction_loss` is the ``loss_fn`` for ``unsup.train.fit`` (the batch MEAN of it).
- Models (all with ``encode``, ``decode`` and ``forward = decode(encode(x))``, all taking their device from
  the input): :class:`LinearAutoencoder` (PCA's network, no activation), :class:`MLPAutoencoder`
  (configurable widths), :class:`ConvAutoencoder` (strided convolutions down; up by transposed convolutions,
  or by nearest or bed-of-nails unpooling and a convolution: ``upsampling=``),
  :class:`MaxPoolConvAutoencoder` (max pooling down; up by max unpooling with the encoder's own indices, or by
  one of the other three, ``POOLING_DECODERS``),
  and :class:`SigmoidAutoencoderStack` (many small all-sigmoid networks such as Mitchell's 8-3-8, trained
  side by side in one model).
- Denoising: :func:`corrupt` (Gaussian and masking noise) and :func:`denoising_loss`.
- Sampling: :func:`fit_gaussian_to_codes` and :func:`sample_codes` (a Gaussian fitted to the codes of real
  data, the naive way to "generate" with an autoencoder); :func:`encode_in_batches`.
- Measuring: :func:`identity_success` (did a small network learn the identity with distinct binary codes?).

Also importable from here, where they live elsewhere: ``FullBatch`` (``unsup.data``), ``fraction_in_holes``
and ``roc_auc`` (``unsup.metrics``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import layers
from .data import FullBatch  # noqa: F401  (re-exported: chapter 1 uses autoencoders.FullBatch)
from .layers import apply_in_batches
from .metrics import fraction_in_holes, roc_auc  # noqa: F401  (re-exported for the chapters)
from .upsample import UPSAMPLING, bed_of_nails_unpool2d, max_unpool2d, nearest_unpool2d, upsample_block

# --- losses --------------------------------------------------------------------------------------------


def reconstruction_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``||x - x_hat||^2`` per example: squared error SUMMED over every non-batch dimension, shape ``(N,)``.

    The caller reduces over the batch (``.mean()`` for training, or keeps the values as anomaly scores).
    """
    if x_hat.shape != x.shape:
        raise ValueError(f"reconstruction_error needs x_hat and x of the same shape; got {tuple(x_hat.shape)} "
                         f"and {tuple(x.shape)}. Reshape the output to the input's shape (x_hat.view_as(x)).")
    if x.dim() < 2:
        raise ValueError(f"reconstruction_error needs a batch (N, ...); got shape {tuple(x.shape)}")
    # ||x - x_hat||^2 = sum_j (x_j - x_hat_j)^2                     (N, ...) -> (N, D) -> (N,)
    return (x - x_hat).pow(2).flatten(1).sum(dim=1)


def _inputs(batch) -> torch.Tensor:
    """The images of a batch that is a tensor or a tuple ``(images, labels, ...)``."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def reconstruction_loss(model: nn.Module, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``loss_fn`` for ``unsup.train.fit``: the batch MEAN of the per-example summed squared error.

    Logs ``mse_per_pixel`` (the same error divided by the number of pixels) for readability.
    """
    x = _inputs(batch)
    x_hat = model(x)
    # L = (1/B) sum_i ||x_i - g(f(x_i))||^2
    err = reconstruction_error(x_hat, x)
    loss = err.mean()
    return loss, {"mse_per_pixel": loss.detach() / x[0].numel()}


def corrupt(x: torch.Tensor, noise_std: float = 0.0, mask_frac: float = 0.0,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """The corruption ``x_tilde ~ q(x_tilde | x)`` of a denoising autoencoder (Vincent et al. 2008).

    Gaussian noise, ``x + noise_std * eps`` clipped to [0, 1] (pixels stay pixels), then masking noise: each
    entry independently set to 0 with probability ``mask_frac``. Either may be 0. ``generator`` draws the
    noise (``None``: torch's global generator); it must live on ``x``'s device.
    """
    if noise_std < 0:
        raise ValueError(f"noise_std must be non-negative; got {noise_std}")
    if not 0 <= mask_frac < 1:
        raise ValueError(f"mask_frac must be in [0, 1); got {mask_frac}")
    out = x
    if noise_std > 0:
        eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        # x_tilde = clip(x + sigma eps, 0, 1)
        out = (out + noise_std * eps).clamp(0, 1)
    if mask_frac > 0:
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= mask_frac
        # x_tilde_j = 0 with probability mask_frac, else unchanged
        out = out * keep.to(x.dtype)
    return out


def denoising_loss(noise_std: float = 0.0, mask_frac: float = 0.0) -> Callable:
    """``loss_fn`` of a denoising autoencoder (Vincent et al. 2008): reconstruct the CLEAN ``x`` from
    ``corrupt(x, noise_std, mask_frac)``: ``(1/B) sum_i ||x_i - g(f(x_tilde_i))||^2``. The noise comes from
    torch's global generator (seed it; ``unsup.train.fit`` saves and restores its state)."""
    if noise_std < 0:
        raise ValueError(f"noise_std must be non-negative; got {noise_std}")
    if not 0 <= mask_frac < 1:
        raise ValueError(f"mask_frac must be in [0, 1); got {mask_frac}")

    def loss_fn(model, batch):
        x = _inputs(batch)
        x_noisy = corrupt(x, noise_std, mask_frac)
        err = reconstruction_error(model(x_noisy), x)
        loss = err.mean()
        return loss, {"mse_per_pixel": loss.detach() / x[0].numel()}

    return loss_fn


# --- models --------------------------------------------------------------------------------------------

class Autoencoder(nn.Module):
    """Base class: ``encode`` maps ``(N, *input_shape)`` to codes ``(N, k)``; ``decode`` maps them back.

    A subclass sets ``encoder`` and ``decoder``; ``flat_input = True`` when its encoder takes the input as
    rows of ``d = prod(input_shape)`` numbers (fully connected), ``False`` when it takes images.
    """

    input_shape: tuple[int, ...]
    code_size: int
    flat_input: bool = True

    def _check_input(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != tuple(self.input_shape):
            shape = ", ".join(map(str, self.input_shape))
            raise ValueError(f"{type(self).__name__} expects inputs of shape (N, {shape}); got {tuple(x.shape)}")

    def _check_code(self, z: torch.Tensor) -> None:
        if z.dim() != 2 or z.shape[1] != self.code_size:
            raise ValueError(f"{type(self).__name__}.decode expects codes of shape (N, {self.code_size}); "
                             f"got {tuple(z.shape)}")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # z = f_theta(x)            (N, *input_shape) [-> (N, d)] -> (N, k)
        return self.encoder(x.flatten(1) if self.flat_input else x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._check_code(z)
        # x_hat = g_phi(z)          (N, k) [-> (N, d)] -> (N, *input_shape)
        return self.decoder(z).view(-1, *self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x_hat = g_phi(f_theta(x))
        return self.decode(self.encode(x))


class LinearAutoencoder(Autoencoder):
    """``h = W_e x + b_e``, ``x_hat = W_d h + b_d``: no activation, so at best it spans the PCA subspace.

    ``encoder.weight`` is ``(k, d)`` and ``decoder.weight`` ``(d, k)``: the lecture's PCA network has
    ``W_e = V^T``, ``b_e = -V^T mu``, ``W_d = V``, ``b_d = mu`` (see :meth:`from_pca`).
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), code_size: int = 2):
        super().__init__()
        self.input_shape, self.code_size = tuple(input_shape), int(code_size)
        d = math.prod(self.input_shape)
        # h = W_e x + b_e (encoder), x_hat = W_d h + b_d (decoder)
        self.encoder = nn.Linear(d, code_size)
        self.decoder = nn.Linear(code_size, d)

    @classmethod
    def from_pca(cls, pca, input_shape: Sequence[int] | None = None) -> LinearAutoencoder:
        """The network that computes PCA exactly: ``h = V^T x - V^T mu`` and ``x_hat = V h + mu``."""
        d = pca.mean.shape[0]
        input_shape = tuple(input_shape) if input_shape is not None else (d,)
        if math.prod(input_shape) != d:
            raise ValueError(f"input_shape {input_shape} has {math.prod(input_shape)} entries; the PCA has d={d}")
        net = cls(input_shape, pca.k).to(device=pca.mean.device, dtype=pca.mean.dtype)
        with torch.no_grad():
            V = pca.components.T                  # (d, k)
            net.encoder.weight.copy_(V.T)         # W_e = V^T           (k, d)
            net.encoder.bias.copy_(-V.T @ pca.mean)  # b_e = -V^T mu    (k,)
            net.decoder.weight.copy_(V)           # W_d = V             (d, k)
            net.decoder.bias.copy_(pca.mean)      # b_d = mu            (d,)
        return net


class MLPAutoencoder(Autoencoder):
    """A fully connected autoencoder: ``d -> widths[0] -> ... -> k -> ... -> widths[0] -> d``.

    ``activation`` follows every hidden layer; ``code_activation`` the code (``"identity"`` for a free code,
    ``"sigmoid"`` for Mitchell's units); ``output_activation`` the reconstruction (``"sigmoid"`` keeps pixels
    in [0, 1]).
    """

    def __init__(self, input_shape: Sequence[int] = (1, 28, 28), code_size: int = 2,
                 widths: Sequence[int] = (256,), activation: str = "relu", code_activation: str = "identity",
                 output_activation: str = "sigmoid"):
        super().__init__()
        self.input_shape, self.code_size = tuple(input_shape), int(code_size)
        d = math.prod(self.input_shape)
        enc: list[nn.Module] = []
        sizes = [d, *widths]
        for a, b in zip(sizes[:-1], sizes[1:]):
            enc += [nn.Linear(a, b), layers.activation(activation)]
        enc += [nn.Linear(sizes[-1], code_size), layers.activation(code_activation)]
        dec: list[nn.Module] = []
        sizes = [code_size, *reversed(widths)]
        for a, b in zip(sizes[:-1], sizes[1:]):
            dec += [nn.Linear(a, b), layers.activation(activation)]
        dec += [nn.Linear(sizes[-1], d), layers.activation(output_activation)]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)


def _two_stage_setup(self, code_size, channels, in_channels, image_size, upsampling, choices, halvings):
    """Check the arguments of a two-stage convolutional autoencoder (28 -> 14 -> 7 and back), record its
    shapes and upsampling on ``self``, and return ``(c1, c2, side of the smallest map)``."""
    if len(channels) != 2:
        raise ValueError(f"channels must name the two convolutions' widths, e.g. (16, 32); got {tuple(channels)}")
    if image_size % 4:
        raise ValueError(f"image_size must be divisible by 4 ({halvings}); got {image_size}")
    if upsampling not in choices:
        raise ValueError(f"upsampling must be one of {choices}, got {upsampling!r}")
    self.input_shape, self.code_size = (in_channels, image_size, image_size), int(code_size)
    self.upsampling = upsampling
    return channels[0], channels[1], image_size // 4


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder for ``(N, C, 28, 28)`` images (any side divisible by 4).

    Encoder: two 3x3 convolutions with stride 2 (28 -> 14 -> 7), then a linear map to the code. Decoder: the
    mirror image, a linear map to ``(c2, 7, 7)`` and two upsampling steps by 2 (7 -> 14 -> 28), sigmoid
    output. ``upsampling`` picks how the decoder doubles the size (``unsup.upsample.upsample_block``):
    ``"transposed"`` (a transposed convolution with stride 2, the "opposite of a strided convolution" of
    chapter 2), ``"nearest"`` or ``"bed_of_nails"`` (unpooling, then a convolution), each with a
    ``kernel_size`` kernel.
    """

    flat_input = False

    def __init__(self, code_size: int = 2, channels: Sequence[int] = (16, 32), in_channels: int = 1,
                 image_size: int = 28, *, upsampling: str = "transposed", kernel_size: int = 3):
        super().__init__()
        c1, c2, s = _two_stage_setup(self, code_size, channels, in_channels, image_size, upsampling, UPSAMPLING,
                                          "two stride-2 layers")
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),   # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),            # (N, c2, 7, 7)
            nn.Flatten(),                                                    # (N, c2, 7, 7) -> (N, c2*7*7)
            nn.Linear(c2 * s * s, code_size),                                # (N, k)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, c2 * s * s), nn.ReLU(),                     # (N, c2*7*7)
            nn.Unflatten(1, (c2, s, s)),                                     # (N, c2*7*7) -> (N, c2, 7, 7)
            upsample_block(c2, c1, upsampling, kernel_size), nn.ReLU(),      # (N, c1, 14, 14)
            upsample_block(c1, in_channels, upsampling, kernel_size),        # (N, C, 28, 28)
            nn.Sigmoid(),
        )


POOLING_DECODERS = ("max_unpool", "nearest", "bed_of_nails", "transposed")


class MaxPoolConvAutoencoder(Autoencoder):
    """Convolutional autoencoder whose encoder downsamples by max pooling, for ``(N, C, 28, 28)`` images.

    Encoder: ``[3x3 conv 'same', ReLU, 2x2 max pool]`` twice (28 -> 14 -> 7), then a linear map to the code.
    Decoder, the mirror image: a linear map to ``(c2, 7, 7)``, then ``[upsample by 2, 3x3 conv]`` twice
    (ReLU between, sigmoid at the end). ``upsampling`` picks the upsampling, the only thing that differs:

    - ``"max_unpool"``: each decoder stage unpools with the indices of the encoder's CORRESPONDING pool
      (the last pool pairs with the first unpool), ``unsup.upsample.max_unpool2d``, then the convolution.
      This decoder needs the indices: ``decode(z)`` alone refuses, ``forward`` and ``decode(z, indices)``
      work. The indices carry where each maximum was, information that bypasses the code;
    - ``"nearest"``, ``"bed_of_nails"``: unpooling that needs no indices, then the convolution;
    - ``"transposed"``: a ``ConvTranspose2d(3, stride 2, padding 1, output_padding 1)`` instead of both.
    """

    flat_input = False

    def __init__(self, code_size: int = 32, channels: Sequence[int] = (8, 16), in_channels: int = 1,
                 image_size: int = 28, *, upsampling: str = "max_unpool"):
        super().__init__()
        c1, c2, s = _two_stage_setup(self, code_size, channels, in_channels, image_size, upsampling,
                                          POOLING_DECODERS, "two 2x2 pools")
        self.conv1 = nn.Conv2d(in_channels, c1, 3, padding=1)      # (N, C, 28, 28) -> (N, c1, 28, 28)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)               # (N, c1, 14, 14) -> (N, c2, 14, 14)
        self.to_code = nn.Linear(c2 * s * s, code_size)            # (N, c2*7*7) -> (N, k)
        self.from_code = nn.Linear(code_size, c2 * s * s)          # (N, k) -> (N, c2*7*7)
        self._grid = (c2, s, s)
        if upsampling in ("max_unpool", "nearest", "bed_of_nails"):
            # unpool by 2, then a 'same' 3x3 convolution
            self.up1 = nn.Conv2d(c2, c1, 3, padding=1)             # (N, c2, 14, 14) -> (N, c1, 14, 14)
            self.up2 = nn.Conv2d(c1, in_channels, 3, padding=1)    # (N, c1, 28, 28) -> (N, C, 28, 28)
        else:
            self.up1 = upsample_block(c2, c1, "transposed", 3)     # (N, c2, 7, 7) -> (N, c1, 14, 14)
            self.up2 = upsample_block(c1, in_channels, "transposed", 3)

    def encode_with_indices(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The code ``(N, k)`` and the two pools' indices ``[(N, c1, 14, 14), (N, c2, 7, 7)]``."""
        self._check_input(x)
        h, i1 = F.max_pool2d(torch.relu(self.conv1(x)), 2, return_indices=True)  # (N, c1, 14, 14)
        h, i2 = F.max_pool2d(torch.relu(self.conv2(h)), 2, return_indices=True)  # (N, c2, 7, 7)
        return self.to_code(h.flatten(1)), [i1, i2]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_with_indices(x)[0]

    def _unpool(self, h: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
        if self.upsampling == "max_unpool":
            # the value goes back where the corresponding pool found the maximum
            return max_unpool2d(h, idx, 2)
        if self.upsampling == "nearest":
            return nearest_unpool2d(h, 2)
        return bed_of_nails_unpool2d(h, 2)

    def decode(self, z: torch.Tensor, indices: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        self._check_code(z)
        if self.upsampling == "max_unpool" and indices is None:
            raise ValueError("a max-unpooling decoder needs the encoder's pooling indices: decode(z, indices) "
                             "with the indices from encode_with_indices(x), or call the model on x")
        h = torch.relu(self.from_code(z)).view(-1, *self._grid)    # (N, k) -> (N, c2, 7, 7)
        i1, i2 = indices if indices is not None else (None, None)
        if self.upsampling == "transposed":
            h = torch.relu(self.up1(h))                            # (N, c1, 14, 14)
            return torch.sigmoid(self.up2(h))                      # (N, C, 28, 28)
        # corresponding pairs: the encoder's LAST pool is undone FIRST
        h = torch.relu(self.up1(self._unpool(h, i2)))              # (N, c2, 14, 14) -> (N, c1, 14, 14)
        return torch.sigmoid(self.up2(self._unpool(h, i1)))        # (N, c1, 28, 28) -> (N, C, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, indices = self.encode_with_indices(x)
        return self.decode(z, indices)


class SigmoidAutoencoderStack(Autoencoder):
    """``n_nets`` independent ``d-k-d`` networks of sigmoid units (Mitchell's 8-3-8 is ``d=8, k=3``), stored
    as stacked weights so that they train together in one pass.

    Net ``s`` is initialised from ``torch.Generator().manual_seed(seeds[s])`` with weights uniform in
    ``[-init, init]``. Because the training loss is a sum over nets, and both gradient descent and Adam
    update each weight from its own gradient only, training the stack is the same as training each net
    alone. ``encode`` gives codes ``(n_nets, N, k)`` and ``forward`` reconstructions ``(n_nets, N, d)``;
    use :func:`stack_reconstruction_loss` to train it.
    """

    def __init__(self, d: int = 8, k: int = 3, seeds: Sequence[int] = range(20), init: float = 0.5):
        super().__init__()
        self.input_shape, self.code_size = (int(d),), int(k)
        self.seeds = list(seeds)
        w1, b1, w2, b2 = [], [], [], []
        for s in self.seeds:
            g = torch.Generator().manual_seed(int(s))

            def u(*shape, g=g):
                return (2 * torch.rand(*shape, generator=g) - 1) * init

            w1.append(u(k, d))
            b1.append(u(k))
            w2.append(u(d, k))
            b2.append(u(d))
        self.W1, self.b1 = nn.Parameter(torch.stack(w1)), nn.Parameter(torch.stack(b1))  # (S, k, d), (S, k)
        self.W2, self.b2 = nn.Parameter(torch.stack(w2)), nn.Parameter(torch.stack(b2))  # (S, d, k), (S, d)

    @property
    def n_nets(self) -> int:
        return len(self.seeds)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # h = sigmoid(W1 x + b1), for every net s:  (N, d) @ (S, d, k) -> (S, N, k)
        return torch.sigmoid(x @ self.W1.transpose(1, 2) + self.b1[:, None, :])

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        if h.dim() != 3 or h.shape[0] != self.n_nets or h.shape[2] != self.code_size:
            raise ValueError(f"decode expects codes (n_nets={self.n_nets}, N, k={self.code_size}); "
                             f"got {tuple(h.shape)}")
        # x_hat = sigmoid(W2 h + b2):  (S, N, k) @ (S, k, d) -> (S, N, d)
        return torch.sigmoid(h @ self.W2.transpose(1, 2) + self.b2[:, None, :])


def stack_reconstruction_loss(model: SigmoidAutoencoderStack, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``loss_fn`` for a :class:`SigmoidAutoencoderStack`: the SUM over nets of each net's batch-mean
    reconstruction error (so every net gets exactly the gradient it would get alone). Logs the mean per net."""
    x = _inputs(batch)
    x_hat = model(x)                                              # (S, N, d)
    # per net and example: ||x_n - x_hat_{s,n}||^2          (S, N, d) -> (S*N, d) -> (S*N,) -> (S, N)
    err = reconstruction_error(x_hat.flatten(0, 1), x.expand_as(x_hat).flatten(0, 1)).view(x_hat.shape[:2])
    per_net = err.mean(dim=1)                                     # (S,)
    return per_net.sum(), {"loss_per_net": per_net.mean().detach()}


# --- codes, sampling, uses ------------------------------------------------------------------------------

def encode_in_batches(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                      batch_size: int = 2048) -> torch.Tensor:
    """``layers.apply_in_batches`` with this module's default of 2048 rows (kept so chapters' numbers stay)."""
    return apply_in_batches(fn, x, batch_size)


def fit_gaussian_to_codes(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum-likelihood Gaussian of codes ``(N, k)``: ``mean (k,)`` and covariance ``(k, k)`` (1/N)."""
    if codes.dim() != 2 or codes.shape[0] < 2:
        raise ValueError(f"fit_gaussian_to_codes needs (N, k) codes with N >= 2; got shape {tuple(codes.shape)}")
    codes = codes.detach()
    # m = (1/N) sum_i z_i
    mean = codes.mean(dim=0)
    zc = codes - mean
    # S = (1/N) sum_i (z_i - m)(z_i - m)^T
    cov = zc.T @ zc / codes.shape[0]
    return mean, cov


def sample_codes(mean: torch.Tensor, cov: torch.Tensor, n: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws ``z = m + L eps`` with ``L L^T = cov`` and ``eps ~ N(0, I)``: ``(n, k)``.

    ``generator`` must live on the device of ``mean`` (or be None for torch's global generator).
    """
    k = mean.shape[0]
    if cov.shape != (k, k):
        raise ValueError(f"cov must be ({k}, {k}) to match mean ({k},); got {tuple(cov.shape)}")
    # a small jitter keeps the Cholesky factor defined for a (nearly) singular covariance
    jitter = 1e-6 * cov.diagonal().mean().clamp_min(1e-12)
    L = torch.linalg.cholesky(cov + jitter * torch.eye(k, dtype=cov.dtype, device=cov.device))
    eps = torch.randn(n, k, generator=generator, device=mean.device, dtype=mean.dtype)
    # z = m + L eps, for rows: (n, k) @ (k, k) -> (n, k)
    return mean + eps @ L.T


# --- measuring ------------------------------------------------------------------------------------------

@torch.no_grad()
def identity_success(model: SigmoidAutoencoderStack, x: torch.Tensor,
                     threshold: float = 0.5) -> dict[str, torch.Tensor]:
    """Did each net of a :class:`SigmoidAutoencoderStack` learn the identity on the rows of ``x`` (e.g. the
    eight one-hot vectors) with a binary code? Per net, booleans ``(n_nets,)``:

    - ``reconstructed``: every output, thresholded at ``threshold``, equals its input;
    - ``distinct``: the hidden values, thresholded, give a different bit pattern to every input;
    - ``success``: both.

    Also ``bits`` ``(n_nets, N, k)``, the thresholded hidden values.
    """
    h = model.encode(x)                                            # (S, N, k)
    x_hat = model.decode(h)                                        # (S, N, d)
    reconstructed = ((x_hat > threshold) == (x > threshold)).flatten(1).all(dim=1)
    bits = (h > threshold).long()
    # each code as an integer, sum_j bit_j 2^(k-1-j)     (S, N, k) @ (k,) -> (S, N)
    weights = 2 ** torch.arange(h.shape[2] - 1, -1, -1, device=h.device)
    ints = bits @ weights
    distinct = torch.tensor([row.unique().numel() == x.shape[0] for row in ints], device=h.device)
    return {"reconstructed": reconstructed, "distinct": distinct, "success": reconstructed & distinct, "bits": bits}
