"""Autoencoders: an encoder ``f_theta: R^d -> R^k`` and a decoder ``g_phi: R^k -> R^d`` trained so that
``x_i ~ g_phi(f_theta(x_i))``, i.e. minimising the lecture's reconstruction error
``sum_i ||x_i - g_phi(f_theta(x_i))||^2``.

- :func:`reconstruction_error` is the per-example loss ``||x - x_hat||^2`` (summed over pixels, one value per
  example); :func:`reconstruction_loss` is the ``loss_fn`` for ``unsup.train.fit`` (the batch MEAN of it).
- Models (all with ``encode``, ``decode`` and ``forward = decode(encode(x))``, all taking their device from
  the input): :class:`LinearAutoencoder` (PCA's network, no activation), :class:`MLPAutoencoder`
  (configurable widths), :class:`ConvAutoencoder` (strided convolutions down, transposed convolutions up),
  and :class:`SigmoidAutoencoderStack` (many small all-sigmoid networks such as Mitchell's 8-3-8, trained
  side by side in one model).
- Sampling: :func:`fit_gaussian_to_codes` and :func:`sample_codes` (a Gaussian fitted to the codes of real
  data, the naive way to "generate" with an autoencoder); :func:`encode_in_batches`.
- Measuring: :func:`identity_success` (did a small network learn the identity with distinct binary codes?),
  :func:`fraction_in_holes` (how many sampled codes land where no real code is).
- Data: :class:`FullBatch` (the whole data set as one batch, many steps per epoch: plain gradient descent).
- Uses: :func:`roc_auc` for reconstruction-error anomaly scores.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

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


def denoising_loss(noise_std: float) -> Callable:
    """``loss_fn`` of a denoising autoencoder (Vincent et al. 2008): reconstruct the CLEAN ``x`` from
    ``x + noise_std * eps``, clipped to [0, 1]. The noise comes from torch's global generator (seed it)."""
    if noise_std < 0:
        raise ValueError(f"noise_std must be non-negative; got {noise_std}")

    def loss_fn(model, batch):
        x = _inputs(batch)
        x_noisy = (x + noise_std * torch.randn_like(x)).clamp(0, 1)
        err = reconstruction_error(model(x_noisy), x)
        loss = err.mean()
        return loss, {"mse_per_pixel": loss.detach() / x[0].numel()}

    return loss_fn


# --- models --------------------------------------------------------------------------------------------

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


class Autoencoder(nn.Module):
    """Base class: ``encode`` maps ``(N, *input_shape)`` to codes ``(N, k)``; ``decode`` maps them back."""

    input_shape: tuple[int, ...]
    code_size: int

    def _check_input(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != tuple(self.input_shape):
            shape = ", ".join(map(str, self.input_shape))
            raise ValueError(f"{type(self).__name__} expects inputs of shape (N, {shape}); got {tuple(x.shape)}")

    def _check_code(self, z: torch.Tensor) -> None:
        if z.dim() != 2 or z.shape[1] != self.code_size:
            raise ValueError(f"{type(self).__name__}.decode expects codes of shape (N, {self.code_size}); "
                             f"got {tuple(z.shape)}")

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
        self.encoder = nn.Linear(d, code_size)
        self.decoder = nn.Linear(code_size, d)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # h = W_e x + b_e           (N, *input_shape) -> (N, d) -> (N, k)
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._check_code(z)
        # x_hat = W_d h + b_d       (N, k) -> (N, d) -> (N, *input_shape)
        return self.decoder(z).view(-1, *self.input_shape)

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
            enc += [nn.Linear(a, b), _activation(activation)]
        enc += [nn.Linear(sizes[-1], code_size), _activation(code_activation)]
        dec: list[nn.Module] = []
        sizes = [code_size, *reversed(widths)]
        for a, b in zip(sizes[:-1], sizes[1:]):
            dec += [nn.Linear(a, b), _activation(activation)]
        dec += [nn.Linear(sizes[-1], d), _activation(output_activation)]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # z = f_theta(x)            (N, *input_shape) -> (N, d) -> (N, k)
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._check_code(z)
        # x_hat = g_phi(z)          (N, k) -> (N, d) -> (N, *input_shape)
        return self.decoder(z).view(-1, *self.input_shape)


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder for ``(N, 1, 28, 28)`` images.

    Encoder: two 3x3 convolutions with stride 2 (28 -> 14 -> 7), then a linear map to the code. Decoder: the
    mirror image, a linear map to ``(C, 7, 7)`` and two 3x3 transposed convolutions with stride 2
    (7 -> 14 -> 28; the "opposite of a strided convolution" of the next chapter), sigmoid output.
    """

    def __init__(self, code_size: int = 2, channels: Sequence[int] = (16, 32), in_channels: int = 1,
                 image_size: int = 28):
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"channels must name the two convolutions' widths, e.g. (16, 32); got {tuple(channels)}")
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two stride-2 layers); got {image_size}")
        c1, c2 = channels
        s = image_size // 4
        self.input_shape, self.code_size = (in_channels, image_size, image_size), int(code_size)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),   # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),            # (N, c2, 7, 7)
            nn.Flatten(),                                                    # (N, c2, 7, 7) -> (N, c2*7*7)
            nn.Linear(c2 * s * s, code_size),                                # (N, k)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, c2 * s * s), nn.ReLU(),                     # (N, c2*7*7)
            nn.Unflatten(1, (c2, s, s)),                                     # (N, c2*7*7) -> (N, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # (N, c1, 14, 14)
            nn.ConvTranspose2d(c1, in_channels, 3, stride=2, padding=1, output_padding=1),    # (N, 1, 28, 28)
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # z = f_theta(x)            (N, 1, 28, 28) -> (N, k)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self._check_code(z)
        # x_hat = g_phi(z)          (N, k) -> (N, 1, 28, 28)
        return self.decoder(z)


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

@torch.no_grad()
def encode_in_batches(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                      batch_size: int = 2048) -> torch.Tensor:
    """``fn`` (an encoder, decoder or whole model) applied to ``x`` in batches, without gradients."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive; got {batch_size}")
    return torch.cat([fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


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


def roc_auc(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """Area under the ROC curve of ``scores`` for detecting ``positive`` (bool): the probability that a random
    positive scores higher than a random negative (ties count one half)."""
    scores, positive = scores.detach().flatten().double().cpu(), positive.detach().flatten().bool().cpu()
    if scores.shape != positive.shape:
        raise ValueError(f"scores and positive need the same length; got {scores.numel()} and {positive.numel()}")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs at least one positive and one negative example")
    # Mann-Whitney: AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg), mid-ranks for ties
    order = scores.argsort()
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    uniq, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    if len(uniq) < len(scores):  # average the ranks within each group of ties
        ends = counts.cumsum(0).double()
        mid = ends - (counts.double() - 1) / 2
        ranks[order] = mid[inverse]
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


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


def fraction_in_holes(codes: torch.Tensor, samples: torch.Tensor, *, radius: float = 0.3, min_neighbours: int = 10,
                      n_held_out: int = 2000) -> tuple[float, float]:
    """How many ``samples`` land in a hole of the code space, and, as a baseline, how many real codes do.

    Everything is first whitened by the Gaussian fitted to ``codes`` (``u = L^{-1}(z - m)``, ``L L^T = S``), so
    the radius is in units of the codes' spread. The first ``n_held_out`` codes are held out; a point is *in a
    hole* when fewer than ``min_neighbours`` of the remaining codes lie within ``radius`` of it. Returns
    ``(fraction of samples in holes, fraction of held-out real codes in holes)``; shuffle ``codes`` first if
    their order is not random.
    """
    codes, samples = codes.detach().double().cpu(), samples.detach().double().cpu()
    if codes.dim() != 2 or samples.dim() != 2 or codes.shape[1] != samples.shape[1]:
        raise ValueError(f"fraction_in_holes needs codes (N, k) and samples (M, k); got {tuple(codes.shape)} and "
                         f"{tuple(samples.shape)}")
    if codes.shape[0] <= n_held_out + min_neighbours:
        raise ValueError(f"need more than n_held_out + min_neighbours = {n_held_out + min_neighbours} codes; got "
                         f"{codes.shape[0]}. Pass a smaller n_held_out.")
    mean, cov = fit_gaussian_to_codes(codes)
    white = torch.linalg.inv(torch.linalg.cholesky(cov))
    # u = L^{-1} (z - m), for rows: (N, k) @ (k, k)^T -> (N, k)
    u_codes, u_samples = (codes - mean) @ white.T, (samples - mean) @ white.T
    held_out, rest = u_codes[:n_held_out], u_codes[n_held_out:]

    def in_hole(u: torch.Tensor) -> float:
        return ((torch.cdist(u, rest) < radius).sum(dim=1) < min_neighbours).double().mean().item()

    return in_hole(u_samples), in_hole(held_out)


# --- data -----------------------------------------------------------------------------------------------

class FullBatch:
    """The whole data set as one batch, ``steps`` times per epoch: with ``torch.optim.SGD`` in
    ``unsup.train.fit`` this is plain (full-batch) gradient descent, ``steps`` updates per recorded epoch.
    ``tensors`` are yielded as they are (one tensor, or a tuple of them)."""

    def __init__(self, *tensors: torch.Tensor, steps: int = 1):
        if not tensors:
            raise ValueError("FullBatch needs at least one tensor")
        if steps < 1:
            raise ValueError(f"steps must be positive; got {steps}")
        self.batch = tensors[0] if len(tensors) == 1 else tuple(tensors)
        self.steps = int(steps)

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            yield self.batch
