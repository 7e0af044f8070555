"""The variational autoencoder (Kingma & Welling 2014): models, the per-example ELBO, the IWAE bound.

Notation follows the lecture. The encoder ``q_phi(z|x) = N(mu, diag exp(logvar))``, the prior
``p(z) = N(0, I)``, the decoder ``p_theta(x|z)``. Every model here has the protocol of
``unsup.elbo.LinearGaussianLVM``:

- ``encode(x) -> (mu, logvar)``, each ``(N, z_dim)``;
- ``decode(z)``: the decoder's output for ``z`` of shape ``(..., z_dim)``: logits for a Bernoulli decoder,
  the mean for a Gaussian one (``decode_mean`` always gives the mean, an image in [0, 1]);
- ``log_prob_x_given_z(x, z) -> (..., N)``: ``log p_theta(x|z)`` in nats, summed over the pixels, for
  ``z`` of shape ``(..., N, z_dim)`` (leading dimensions are samples of ``z`` per example).

So ``iwae_log_likelihood`` works on a VAE and on the tractable linear-Gaussian model alike.

Likelihoods (``likelihood=``):

- ``"bernoulli"``: ``log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i)`` with ``p = sigmoid(logits)``,
  applied to grey levels ``x_i`` in [0, 1] as most tutorials do (the PyTorch example's
  ``binary_cross_entropy(..., reduction="sum")``). For binary pixels it is a log-probability. For grey
  levels it is a cross-entropy, not the log-density of any distribution over [0, 1] (that would need the
  continuous Bernoulli's normaliser): its nats are comparable between models on the same data and the same
  likelihood, not with published log-likelihoods of binarised MNIST.
- ``"gaussian"``: ``N(x; mu(z), sigma^2 I)`` with a fixed ``sigma``: a log-density (it can be positive), so
  its nats depend on the pixel scale and compare only with other Gaussian models on the same scale.
  Up to a constant, its negative is ``||x - mu||^2 / (2 sigma^2)``: fixing ``sigma`` is weighting the KL
  by ``beta = 2 sigma^2`` against a squared error.
- ``"gaussian_learned"``: the decoder outputs a mean and a per-pixel ``log sigma^2(z)`` (the lecture's
  ``Sigma_{x|z}``), bounded below by ``min_logvar`` because the density of near-constant pixels (the
  background) would otherwise grow without bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .elbo import (
    bernoulli_log_prob,
    gaussian_kl,
    gaussian_kl_per_dimension,
    gaussian_log_prob,
    log_mean_exp,
    reparameterize,
)

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_learned")


def _check_likelihood(likelihood: str) -> None:
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {likelihood!r}")


class _VAEBase(nn.Module):
    """What the MLP and the convolutional VAE share: the likelihood, the ELBO's pieces, the protocol."""

    image_shape: tuple[int, ...]
    z_dim: int
    likelihood: str

    def _init_likelihood(self, likelihood: str, sigma: float, min_logvar: float) -> None:
        _check_likelihood(likelihood)
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.likelihood = likelihood
        self.sigma = float(sigma)
        self.min_logvar = float(min_logvar)

    @property
    def x_dim(self) -> int:
        return math.prod(self.image_shape)

    @property
    def out_channels(self) -> int:
        """Outputs per pixel of the decoder: 2 (mean and log-variance) for ``gaussian_learned``, else 1."""
        return 2 if self.likelihood == "gaussian_learned" else 1

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, *image_shape)`` or ``(N, x_dim)`` -> ``(N, x_dim)``, with a clear error otherwise."""
        if x.dim() >= 2 and x.shape[1:].numel() == self.x_dim and (
                x.dim() == 2 or tuple(x.shape[1:]) == tuple(self.image_shape)):
            return x.reshape(x.shape[0], self.x_dim)  # (N, C, H, W) -> (N, C*H*W)
        raise ValueError(f"{type(self).__name__} expects x of shape (N, {', '.join(map(str, self.image_shape))}) "
                         f"or (N, {self.x_dim}); got {tuple(x.shape)}")

    def _check_z(self, z: torch.Tensor) -> None:
        if z.dim() < 1 or z.shape[-1] != self.z_dim:
            raise ValueError(f"z must have shape (..., {self.z_dim}) for this model (z_dim={self.z_dim}); "
                             f"got {tuple(z.shape)}")

    def _decoder_out(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder network's raw output for ``z (..., z_dim)``: ``(..., out_channels, x_dim)``."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits (Bernoulli) or mean (Gaussian) of ``p_theta(x|z)``: ``(..., z_dim) -> (..., *image_shape)``."""
        self._check_z(z)
        out = self._decoder_out(z)[..., 0, :]  # (..., out_channels, x_dim) -> (..., x_dim)
        if self.likelihood != "bernoulli":
            out = torch.sigmoid(out)  # the Gaussian mean lives in [0, 1], like the pixels
        return out.reshape(*z.shape[:-1], *self.image_shape)  # (..., x_dim) -> (..., C, H, W)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """``E[x|z]``, an image in [0, 1]: sigmoid of the logits (Bernoulli) or the Gaussian mean."""
        out = self.decode(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def decoder_logvar(self, z: torch.Tensor) -> torch.Tensor:
        """``log sigma^2`` of ``p_theta(x|z)`` per pixel, ``(..., *image_shape)`` (constant unless learned)."""
        self._check_z(z)
        if self.likelihood == "gaussian_learned":
            raw = self._decoder_out(z)[..., 1, :]  # (..., 2, x_dim) -> (..., x_dim)
            # a smooth floor: logvar = min_logvar + softplus(raw - min_logvar) >= min_logvar
            logvar = self.min_logvar + F.softplus(raw - self.min_logvar)
        else:
            logvar = torch.full(z.shape[:-1] + (self.x_dim,), 2 * math.log(self.sigma), device=z.device)
        return logvar.reshape(*z.shape[:-1], *self.image_shape)

    def log_prob_x_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``log p_theta(x|z)`` in nats, summed over pixels: ``x (N, ...)``, ``z (..., N, z_dim)`` -> ``(..., N)``."""
        x_flat = self._flat(x)
        self._check_z(z)
        if z.dim() < 2 or z.shape[-2] != x_flat.shape[0]:
            raise ValueError(f"z must have shape (..., N, {self.z_dim}) with N={x_flat.shape[0]} (the batch of x); "
                             f"got {tuple(z.shape)}")
        out = self._decoder_out(z)  # (..., N, out_channels, x_dim)
        if self.likelihood == "bernoulli":
            # log p(x|z) = sum_i x_i log sigmoid(l_i) + (1 - x_i) log sigmoid(-l_i)
            return bernoulli_log_prob(x_flat, out[..., 0, :])
        mean = torch.sigmoid(out[..., 0, :])
        if self.likelihood == "gaussian":
            logvar = torch.full_like(mean, 2 * math.log(self.sigma))
        else:
            logvar = self.min_logvar + F.softplus(out[..., 1, :] - self.min_logvar)
        # log N(x; mu, diag sigma^2) = -1/2 sum_i [log 2 pi + log sigma_i^2 + (x_i - mu_i)^2 / sigma_i^2]
        return gaussian_log_prob(x_flat, mean, logvar)

    def sample_x_given_z(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One draw from ``p_theta(x|z)`` (not its mean): binary pixels (Bernoulli) or mean plus pixel noise."""
        mean = self.decode_mean(z)
        if self.likelihood == "bernoulli":
            u = torch.rand(mean.shape, generator=generator, device=mean.device)
            return (u < mean).to(mean.dtype)
        std = (0.5 * self.decoder_logvar(z)).exp()
        eps = torch.randn(mean.shape, generator=generator, device=mean.device)
        # x = mu_{x|z} + sigma_{x|z} * eps
        return mean + std * eps

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """``(x_hat, mu, logvar)``: the decoder mean at one reparameterised draw ``z ~ q_phi(z|x)``."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator=generator)
        return self.decode_mean(z), mu, logvar


def _mlp(sizes: Sequence[int]) -> list[nn.Module]:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return layers


class MLPVAE(_VAEBase):
    """A fully connected VAE. The default is the widely used PyTorch example: 784-400-(20, 20), 20-400-784.

    ``hidden`` are the encoder's hidden widths; the decoder mirrors them. ``likelihood`` is
    ``"bernoulli"`` (default), ``"gaussian"`` (fixed ``sigma``) or ``"gaussian_learned"`` (see the module
    docstring for what each one's nats mean).
    """

    def __init__(self, x_dim: int = 784, hidden: Sequence[int] = (400,), z_dim: int = 20,
                 likelihood: str = "bernoulli", *, sigma: float = 0.1, min_logvar: float = -9.0,
                 image_shape: Sequence[int] | None = None):
        super().__init__()
        self._init_likelihood(likelihood, sigma, min_logvar)
        if image_shape is None:
            image_shape = (1, 28, 28) if x_dim == 784 else (x_dim,)
        if math.prod(image_shape) != x_dim:
            raise ValueError(f"image_shape {tuple(image_shape)} has {math.prod(image_shape)} values, not x_dim={x_dim}")
        if z_dim < 1:
            raise ValueError(f"z_dim must be positive, got {z_dim}")
        self.image_shape, self.z_dim, self.hidden = tuple(image_shape), int(z_dim), tuple(hidden)
        self.encoder = nn.Sequential(*_mlp([x_dim, *hidden]), nn.ReLU()) if hidden else nn.Identity()
        h = hidden[-1] if hidden else x_dim
        self.fc_mu = nn.Linear(h, z_dim)
        self.fc_logvar = nn.Linear(h, z_dim)
        self.decoder = nn.Sequential(*_mlp([z_dim, *reversed(hidden), self.out_channels * x_dim]))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``q_phi(z|x) = N(mu, diag exp(logvar))``: ``x (N, ...) -> mu, logvar (N, z_dim)``."""
        h = self.encoder(self._flat(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def _decoder_out(self, z):
        out = self.decoder(z)
        return out.reshape(*z.shape[:-1], self.out_channels, self.x_dim)  # (..., C_out*D) -> (..., C_out, D)

    def decoder_mean_net(self) -> nn.Sequential:
        """The decoder as one ``nn.Sequential`` of Linear/ReLU/Sigmoid layers, ``z -> E[x|z]`` flattened.

        It shares the model's weights. ``unsup.widgets.latent_explorer_html`` runs it in the browser.
        """
        if self.likelihood == "gaussian_learned":
            raise ValueError("decoder_mean_net needs a decoder with one output per pixel; this model's also "
                             "outputs a log-variance (likelihood='gaussian_learned')")
        return nn.Sequential(*self.decoder, nn.Sigmoid())


class ConvVAE(_VAEBase):
    """A convolutional VAE for 28x28 images: two stride-2 convolutions down (28 -> 14 -> 7), a linear layer
    to ``(mu, logvar)``; a linear layer and two stride-2 transposed convolutions back up (7 -> 14 -> 28)."""

    def __init__(self, z_dim: int = 16, channels: Sequence[int] = (32, 64), likelihood: str = "bernoulli", *,
                 in_channels: int = 1, sigma: float = 0.1, min_logvar: float = -9.0):
        super().__init__()
        self._init_likelihood(likelihood, sigma, min_logvar)
        if len(channels) != 2:
            raise ValueError(f"channels needs two widths (after the first and second convolution), got {channels}")
        c1, c2 = channels
        self.image_shape, self.z_dim, self.channels = (in_channels, 28, 28), int(z_dim), tuple(channels)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c1, 4, stride=2, padding=1), nn.ReLU(),  # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),  # (N, c2, 7, 7)
            nn.Flatten(),  # (N, c2, 7, 7) -> (N, c2*49)
        )
        self.fc_mu = nn.Linear(c2 * 49, z_dim)
        self.fc_logvar = nn.Linear(c2 * 49, z_dim)
        self.fc_dec = nn.Linear(z_dim, c2 * 49)
        self.decoder = nn.Sequential(
            nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),  # (M, c2*49) -> (M, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),  # (M, c1, 14, 14)
            nn.ConvTranspose2d(c1, in_channels * self.out_channels, 4, stride=2, padding=1),  # (M, C*out, 28, 28)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``q_phi(z|x) = N(mu, diag exp(logvar))``: ``x (N, C, 28, 28) -> mu, logvar (N, z_dim)``."""
        x = self._flat(x).reshape(-1, *self.image_shape)  # (N, D) -> (N, C, 28, 28)
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def _decoder_out(self, z):
        lead = z.shape[:-1]
        h = self.fc_dec(z.reshape(-1, self.z_dim))  # (..., z_dim) -> (M, z_dim) -> (M, c2*49)
        out = self.decoder(h)  # (M, C*out, 28, 28)
        c = self.image_shape[0]
        out = out.reshape(-1, self.out_channels, c, 28 * 28)  # (M, out*C, H, W) -> (M, out, C, H*W)
        return out.reshape(*lead, self.out_channels, self.x_dim)  # -> (..., out, C*H*W)


class VAE(nn.Module):
    """A VAE made of a separate encoder and decoder, so ``vae_loss`` trains any pair: ``encoder(x) -> (mu,
    logvar)`` (e.g. ``elbo.AmortisedLinearEncoder``) and a ``decoder`` with ``log_prob_x_given_z`` (e.g. a
    fixed ``elbo.LinearGaussianLVM``: freeze it with ``requires_grad_(False)`` to train the encoder alone)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        if not callable(getattr(decoder, "log_prob_x_given_z", None)):
            raise TypeError(f"the decoder needs a log_prob_x_given_z(x, z) method; {type(decoder).__name__} has none")
        self.encoder, self.decoder = encoder, decoder

    @property
    def z_dim(self) -> int:
        return self.decoder.z_dim

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``q_phi(z|x) = N(mu, diag exp(logvar))``: the encoder's ``(mu, logvar)``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder.decode(z)

    def log_prob_x_given_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.decoder.log_prob_x_given_z(x, z)


# --- the objective ----------------------------------------------------------------------------------------

def _images(batch) -> torch.Tensor:
    """A batch is images, or a tuple/list whose first item is the images (labels are ignored)."""
    if isinstance(batch, (tuple, list)):
        if not batch:
            raise ValueError("empty batch")
        batch = batch[0]
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"a batch must be a tensor of images or an (images, labels) tuple; got {type(batch).__name__}")
    return batch


def elbo_terms(model, x: torch.Tensor, *, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The two terms of the negative ELBO, PER EXAMPLE, in nats (``(N,)`` each; nothing is averaged):

    - ``recon = -log p_theta(x|z)`` at one reparameterised draw ``z ~ q_phi(z|x)`` (an unbiased estimate of
      ``-E_q[log p_theta(x|z)]``), summed over pixels;
    - ``kl = KL(q_phi(z|x) || N(0, I))`` in closed form, summed over latent dimensions.

    ``-ELBO = recon + kl`` per example.
    """
    mu, logvar = model.encode(x)
    # z = mu + exp(logvar / 2) * eps, eps ~ N(0, I)
    z = reparameterize(mu, logvar, generator=generator)
    recon = -model.log_prob_x_given_z(x, z)
    # KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)
    kl = gaussian_kl(mu, logvar)
    return {"recon": recon, "kl": kl}


def vae_loss(model, batch, *, beta: float = 1.0, generator: torch.Generator | None = None):
    """``(loss, logs)`` for ``unsup.train.fit``.

    ``loss`` = the MEAN over the batch of the per-example ``recon + beta * kl`` (with ``beta = 1``, the
    negative ELBO in nats per image, summed over the pixels). ``logs``: ``"recon"``, ``"kl"`` and
    ``"neg_elbo"`` (always with ``beta = 1``), each the batch mean of a per-example value in nats.
    A batch may be a tensor of images or an ``(images, labels)`` tuple.
    """
    x = _images(batch)
    terms = elbo_terms(model, x, generator=generator)
    recon, kl = terms["recon"], terms["kl"]
    # loss = 1/N sum_n [recon_n + beta kl_n]
    loss = (recon + beta * kl).mean()
    return loss, {"recon": recon.mean(), "kl": kl.mean(), "neg_elbo": (recon + kl).mean()}


@torch.no_grad()
def negative_elbo(model, x: torch.Tensor, *, samples: int = 1, generator: torch.Generator | None = None,
                  batch_size: int = 500) -> torch.Tensor:
    """``-ELBO`` per example, ``(N,)`` nats, with ``E_q[log p(x|z)]`` averaged over ``samples`` draws."""
    out = []
    for xb in x.split(batch_size):
        terms = [elbo_terms(model, xb, generator=generator) for _ in range(samples)]
        recon = torch.stack([t["recon"] for t in terms]).mean(0)
        out.append(recon + terms[0]["kl"])
    return torch.cat(out)


@torch.no_grad()
def iwae_log_likelihood(model, x: torch.Tensor, k: int, generator: torch.Generator | None = None, *,
                        max_elements: int = 2 ** 23) -> torch.Tensor:
    """The importance-weighted bound on ``log p(x)`` (Burda et al. 2016), per example: ``(N,)`` nats.

    ``log p(x) >= E[ log 1/k sum_{i=1}^k p(x, z_i) / q(z_i|x) ]``, ``z_i ~ q_phi(z|x)``. ``k = 1`` is the ELBO;
    the bound tightens as ``k`` grows and reaches ``log p(x)`` as ``k -> infinity``. Computed with
    ``log_mean_exp``, so no weight is ever exponentiated on its own. The ``k`` draws are processed in
    chunks of at most ``max_elements`` decoder outputs.
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    k = int(k)
    mu, logvar = model.encode(x)  # (N, z_dim) each
    n, z_dim = mu.shape
    x_dim = math.prod(x.shape[1:])
    chunk = max(1, min(k, max_elements // max(1, n * x_dim)))
    log_w = []
    for start in range(0, k, chunk):
        m = min(chunk, k - start)
        eps = torch.randn((m, n, z_dim), generator=generator, device=mu.device, dtype=mu.dtype)
        # z_i = mu + sigma * eps_i: (m, N, z_dim)
        z = mu + (0.5 * logvar).exp() * eps
        # log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x): (m, N)
        log_px_z = model.log_prob_x_given_z(x, z)
        log_pz = gaussian_log_prob(z, torch.zeros_like(mu), torch.zeros_like(logvar))
        log_qz = gaussian_log_prob(z, mu, logvar)
        log_w.append(log_px_z + log_pz - log_qz)
    # log 1/k sum_i w_i, stably
    return log_mean_exp(torch.cat(log_w), dim=0)


@torch.no_grad()
def kl_per_dimension(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``KL(q_phi(z_j|x) || N(0, 1))`` for each latent dimension ``j``, averaged over ``x``: ``(z_dim,)`` nats.

    A dimension whose average KL is near 0 is an inactive unit: its posterior is the prior for every
    input, so the decoder ignores it (posterior collapse).
    """
    total = 0
    for xb in x.split(batch_size):
        mu, logvar = model.encode(xb)
        # sum over the batch of KL_j, per dimension: (B, z_dim) -> (z_dim,)
        total = total + gaussian_kl_per_dimension(mu, logvar).sum(0)
    return total / x.shape[0]


@torch.no_grad()
def encode_mean(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The posterior means ``mu_phi(x)``, ``(N, z_dim)``, in batches."""
    return torch.cat([model.encode(xb)[0] for xb in x.split(batch_size)])


# --- using a trained model --------------------------------------------------------------------------------

def _device(model) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def sample(model, n: int, *, generator: torch.Generator | None = None, mean: bool = True,
           temperature: float = 1.0) -> torch.Tensor:
    """``n`` images from the model: ``z ~ N(0, temperature^2 I)``, then the decoder mean ``E[x|z]``
    (``mean=True``) or a draw ``x ~ p_theta(x|z)`` (``mean=False``). ``(n, *image_shape)``.

    ``generator`` lives on the CPU or on the model's device; the draws are made where it lives.
    """
    dev = _device(model)
    gdev = generator.device if generator is not None else dev
    z = temperature * torch.randn((n, model.z_dim), generator=generator, device=gdev)
    z = z.to(dev)
    if mean:
        return model.decode_mean(z)
    return model.sample_x_given_z(z, generator=None if gdev != dev else generator)


@torch.no_grad()
def reconstruct(model, x: torch.Tensor, *, generator: torch.Generator | None = None,
                sample_z: bool = False) -> torch.Tensor:
    """``x_hat``: the decoder mean at ``z = mu_phi(x)`` (default) or at one draw ``z ~ q_phi(z|x)``."""
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, generator=generator) if sample_z else mu
    return model.decode_mean(z)


@torch.no_grad()
def interpolate(model, x0: torch.Tensor, x1: torch.Tensor, steps: int = 10, *, space: str = "latent",
                generator: torch.Generator | None = None, sample_z: bool = False) -> torch.Tensor:
    """Images on the straight line from ``x0`` to ``x1`` (single images, ``(C, H, W)``): ``(steps, C, H, W)``.

    ``space="latent"``: decode ``(1 - t) z0 + t z1`` with ``z = mu_phi(x)`` (or a draw from ``q_phi`` with
    ``sample_z=True``, using ``generator``). ``space="pixel"``: ``(1 - t) x0 + t x1``, the cross-fade.
    """
    if space not in ("latent", "pixel"):
        raise ValueError(f"space must be 'latent' or 'pixel', not {space!r}")
    if x0.shape != x1.shape:
        raise ValueError(f"x0 and x1 must have the same shape; got {tuple(x0.shape)} and {tuple(x1.shape)}")
    t = torch.linspace(0, 1, steps, device=x0.device)
    if space == "pixel":
        # x_t = (1 - t) x0 + t x1: (steps, C, H, W)
        return torch.lerp(x0.unsqueeze(0), x1.unsqueeze(0), t.view(-1, *([1] * x0.dim())))
    mu, logvar = model.encode(torch.stack([x0, x1]))  # (2, z_dim)
    z = reparameterize(mu, logvar, generator=generator) if sample_z else mu
    # z_t = (1 - t) z0 + t z1: (steps, z_dim)
    z_t = torch.lerp(z[0:1], z[1:2], t.unsqueeze(1))
    return model.decode_mean(z_t)


@torch.no_grad()
def traverse(model, x: torch.Tensor | None = None, *, dims: Sequence[int] | None = None,
             values: Sequence[float] | torch.Tensor = (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5),
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Vary one latent dimension at a time, the others held fixed: ``(len(dims), len(values), C, H, W)``.

    The fixed point is ``mu_phi(x)`` for a single image ``x`` (``(C, H, W)``), or, with ``x=None``, a draw
    from the prior made with ``generator`` (``z = 0`` if no generator is given).
    """
    dev = _device(model)
    dims = list(range(model.z_dim)) if dims is None else list(dims)
    bad = [d for d in dims if not 0 <= d < model.z_dim]
    if bad:
        raise ValueError(f"dims {bad} are out of range for z_dim={model.z_dim}")
    values = torch.as_tensor(values, dtype=torch.float32, device=dev)
    if x is not None:
        z0 = model.encode(x.unsqueeze(0))[0][0]  # (1, z_dim) -> (z_dim,)
    elif generator is not None:
        z0 = torch.randn(model.z_dim, generator=generator, device=generator.device).to(dev)
    else:
        z0 = torch.zeros(model.z_dim, device=dev)
    # (len(dims), len(values), z_dim): row r sets coordinate dims[r] to each value in turn
    z = z0.expand(len(dims), len(values), model.z_dim).clone()
    for r, d in enumerate(dims):
        z[r, :, d] = values
    return model.decode_mean(z)
