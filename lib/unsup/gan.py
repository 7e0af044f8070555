"""Generative adversarial networks: the minimax game's models, losses and Algorithm 1.

The objective of Goodfellow et al. (2014), with ``D`` the probability that its input is real::

    min_G max_D  V(D, G) = E_{x ~ p_data} log D(x) + E_{z ~ p(z)} log(1 - D(G(z)))

Discriminators here return LOGITS ``a`` (``D = sigmoid(a)``), and the losses are written with
``softplus`` so that ``log D = -softplus(-a)`` and ``log(1 - D) = -softplus(a)`` stay finite when ``D``
is 0 or 1. Every loss returns one value PER EXAMPLE (per packed group with PacGAN), in nats; the caller
takes the mean over the minibatch, as Algorithm 1 does (``1/m sum_i``).

Contents:

- models: ``MLPGenerator``/``MLPDiscriminator`` (2-D and 1-D toys), ``DCGenerator``/``DCDiscriminator``
  (28x28 images, transposed convolutions and batch norm), and ``GAN``, which holds ``G`` and ``D`` in one
  module so that ``unsup.train.fit`` caches both (with optional PacGAN packing of ``D``'s input), and
  ``dcgan_init_`` (DCGAN's N(0, 0.02) initialisation);
- losses: ``discriminator_loss``, ``saturating_generator_loss``, ``non_saturating_generator_loss``, and
  ``discriminator_fit_loss`` (a discriminator alone against fixed fakes, for ``unsup.train.fit``);
- training: ``gan_step`` (one iteration of Algorithm 1: ``k`` discriminator steps, one generator step) and
  ``train_gan`` (Algorithm 1 on ``unsup.train.fit``: callbacks, cache, progress);
- codes and densities: ``interpolate`` (linear or slerp), ``kde_1d``.

The theory on discrete distributions (``optimal_discriminator``, ``js_divergence``, ``kl_divergence``,
``gan_value``) lives in ``unsup.divergences``, the sample-quality measures (``mixture_metrics``,
``FashionClassifier``, ``classifier_frechet_distance``, ``nearest_neighbours``, ...) in ``unsup.metrics``;
both are importable from here as well, under the same names.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

# re-exported: chapters and tests import these from unsup.gan
from .divergences import gan_value, js_divergence, kl_divergence, optimal_discriminator  # noqa: F401
from .layers import apply_in_batches as batched  # noqa: F401
from .metrics import (  # noqa: F401
    FashionClassifier,
    classifier_frechet_distance,
    classifier_loss,
    feature_statistics,
    frechet_distance,
    mixture_metrics,
    nearest_neighbours,
    nn_distance,
)

# --- models ------------------------------------------------------------------------------------------------


class MLPGenerator(nn.Module):
    """``G: z (N, z_dim) -> x (N, out_dim)``: ``depth`` hidden layers of ``hidden`` ReLU units, linear output."""

    def __init__(self, z_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        layers, width = [], z_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.net = nn.Sequential(*layers)
        self.z_dim, self.out_dim = z_dim, out_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"G expects z of shape (N, {self.z_dim}); got {tuple(z.shape)}")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """``D: x (N, in_dim) -> logits (N,)``: ``depth`` hidden layers of LeakyReLU(0.2) units.
    ``D(x) = sigmoid(logit)`` is the probability that ``x`` is real."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        layers, width = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.in_dim = in_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"D expects x of shape (N, {self.in_dim}); got {tuple(x.shape)}")
        return self.net(x).squeeze(1)  # (N, 1) -> (N,)


class DCGenerator(nn.Module):
    """DCGAN-style generator for 28x28 images (Radford et al. 2016), sized for a CPU.

    ``z (N, z_dim)`` is projected to ``(N, c1, 7, 7)`` by a transposed convolution of a 1x1 input with a
    7x7 kernel (the "project and reshape" of DCGAN), then two stride-2 transposed convolutions with a 4x4
    kernel and padding 1 double the size: 7 -> 14 -> 28 (``(i - 1) * 2 - 2 + 4 = 2 i``). Batch norm and ReLU
    in between, no pooling, no fully connected hidden layer. The output is a sigmoid, because the book's
    images are in [0, 1] (DCGAN used tanh for images in [-1, 1]).
    """

    def __init__(self, z_dim: int = 32, channels: tuple[int, int] = (64, 32), out_channels: int = 1):
        super().__init__()
        c1, c2 = channels
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim, c1, 7, 1, 0, bias=False),  # (N, z_dim, 1, 1) -> (N, c1, 7, 7)
            nn.BatchNorm2d(c1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c2, 4, 2, 1, bias=False),  # (N, c1, 7, 7) -> (N, c2, 14, 14)
            nn.BatchNorm2d(c2), nn.ReLU(),
            nn.ConvTranspose2d(c2, out_channels, 4, 2, 1),  # (N, c2, 14, 14) -> (N, 1, 28, 28)
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"G expects z of shape (N, {self.z_dim}); got {tuple(z.shape)}")
        return self.net(z[:, :, None, None])  # (N, z_dim) -> (N, z_dim, 1, 1)


class DCDiscriminator(nn.Module):
    """DCGAN-style discriminator for 28x28 images: stride-2 convolutions (no pooling), LeakyReLU(0.2),
    batch norm after the second, and a 7x7 convolution to one logit. ``x (N, C, 28, 28) -> logits (N,)``."""

    def __init__(self, channels: tuple[int, int] = (32, 64), in_channels: int = 1):
        super().__init__()
        c1, c2 = channels
        self.in_channels = in_channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c1, 4, 2, 1),  # (N, C, 28, 28) -> (N, c1, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, c2, 4, 2, 1, bias=False),  # (N, c1, 14, 14) -> (N, c2, 7, 7)
            nn.BatchNorm2d(c2), nn.LeakyReLU(0.2),
            nn.Conv2d(c2, 1, 7, 1, 0),  # (N, c2, 7, 7) -> (N, 1, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (self.in_channels, 28, 28):
            raise ValueError(f"D expects images of shape (N, {self.in_channels}, 28, 28); got {tuple(x.shape)}")
        return self.net(x).flatten()  # (N, 1, 1, 1) -> (N,)


@torch.no_grad()
def dcgan_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN's initialisation (Radford et al. 2016), in place: convolution and linear weights ``N(0, std^2)``,
    batch-norm scales ``N(1, std^2)``, every bias 0. Randomness from torch's global generator (seed it first)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


class GAN(nn.Module):
    """A generator and a discriminator in one module, so ``unsup.train.fit`` trains and caches both.

    ``pack`` > 1 is PacGAN (Lin et al. 2018): ``D`` judges ``pack`` samples at once, concatenated along
    the feature/channel axis, so its input layer must take ``pack`` times the data's features/channels.
    ``forward(z)`` is ``G(z)``.
    """

    def __init__(self, G: nn.Module, D: nn.Module, z_dim: int, pack: int = 1):
        super().__init__()
        if pack < 1:
            raise ValueError(f"pack must be a positive integer, got {pack}")
        self.G, self.D, self.z_dim, self.pack = G, D, z_dim, pack

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, pack={self.pack}"

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``z ~ N(0, I)``, ``(n, z_dim)``, on the model's device (drawn on the generator's device, then moved)."""
        device = next(self.parameters()).device
        if generator is None:
            return torch.randn(n, self.z_dim, device=device)
        return torch.randn(n, self.z_dim, generator=generator, device=generator.device).to(device)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples ``G(z)`` in eval mode (batch norm uses its running statistics)."""
        was_training = self.training
        self.eval()
        x = self.G(self.sample_z(n, generator))
        self.train(was_training)
        return x

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of ``D`` for a batch; with packing, one logit per group of ``pack`` consecutive samples."""
        if self.pack == 1:
            return self.D(x)
        if x.shape[0] % self.pack:
            raise ValueError(f"with pack={self.pack} the batch size must be a multiple of {self.pack}; "
                             f"got {x.shape[0]}")
        # (B, C, ...) -> (B / pack, pack * C, ...): pack consecutive samples side by side
        return self.D(x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:]))


# --- losses ------------------------------------------------------------------------------------------------


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0):
    """``-[log D(x) + log(1 - D(G(z)))]`` per pair (real, fake): the negative of Algorithm 1's discriminator
    objective, so that DEScending this loss is AScending ``V``. ``real_label < 1`` is one-sided label
    smoothing (the real term becomes the cross-entropy with target ``real_label``)."""
    if real_logits.shape != fake_logits.shape:
        raise ValueError(f"need as many real as fake logits; got {tuple(real_logits.shape)} and "
                         f"{tuple(fake_logits.shape)}")
    # -[t log D(x) + (1 - t) log(1 - D(x))] with log D = -softplus(-a), log(1 - D) = -softplus(a)
    real = real_label * F.softplus(-real_logits) + (1 - real_label) * F.softplus(real_logits)
    # -log(1 - D(G(z)))
    fake = F.softplus(fake_logits)
    return real + fake


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """``log(1 - D(G(z)))`` per example: the minimax game's generator term, which ``G`` MINIMISES.
    Its gradient with respect to the logit is ``-D(G(z))``: it vanishes when ``D`` rejects the fakes."""
    # log(1 - D(G(z))) = -softplus(a)
    return -F.softplus(fake_logits)


def non_saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """``-log D(G(z))`` per example: minimising it is ASCENDING ``log D(G(z))`` (Goodfellow et al.'s fix).
    Its gradient with respect to the logit is ``-(1 - D(G(z)))``: close to -1 when ``D`` rejects the fakes."""
    # -log D(G(z)) = softplus(-a)
    return F.softplus(-fake_logits)


def discriminator_fit_loss(D: nn.Module, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``unsup.train.fit`` loss for training a discriminator ALONE, against a fixed generator whose samples
    are already drawn: ``batch = (x_real, x_fake)`` of equal size. The mean over the minibatch of
    ``discriminator_loss``; logs the mean ``D`` on each half. Its minimiser is ``D*`` of the two sets."""
    x_real, x_fake = batch
    real_logits, fake_logits = D(x_real), D(x_fake)
    loss = discriminator_loss(real_logits, fake_logits).mean()  # mean over the minibatch
    return loss, {"D_real": torch.sigmoid(real_logits).mean(), "D_fake": torch.sigmoid(fake_logits).mean()}


GENERATOR_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "saturating": saturating_generator_loss,
    "non-saturating": non_saturating_generator_loss,
}


# --- Algorithm 1 -------------------------------------------------------------------------------------------


def _grad_norm(params: Iterable[torch.Tensor]) -> torch.Tensor:
    grads = [p.grad.detach().flatten() for p in params if p.grad is not None]
    return torch.cat(grads).norm() if grads else torch.zeros(())


def gan_step(model: GAN, batch, optimizers: Mapping[str, torch.optim.Optimizer], *, k: int = 1,
             generator_loss: str = "non-saturating", real_label: float = 1.0) -> dict[str, torch.Tensor]:
    """One iteration of Algorithm 1 (Goodfellow et al. 2014), for ``unsup.train.fit(step_fn=...)``.

    ``batch`` holds ``k * m`` real examples (or a tuple whose first entry does; labels are ignored): it is
    split into ``k`` minibatches of ``m``, one per discriminator step, each with ``m`` fresh noise samples.
    Then one generator step on ``m`` fresh noise samples. ``optimizers`` has keys ``"D"`` and ``"G"``.
    Logs (means over the minibatch): ``loss_D``, ``loss_G``, ``D_real``, ``D_fake`` (mean ``D`` on the last
    D-step's real and fake batches) and ``grad_G`` (norm of the generator's gradient).
    """
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, not {generator_loss!r}")
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    if x.shape[0] < k:
        raise ValueError(f"a batch of {x.shape[0]} cannot be split into k={k} discriminator minibatches")
    opt_D, opt_G = optimizers["D"], optimizers["G"]
    m = x.shape[0] // k
    for x_real in x[: k * m].split(m):
        # k steps: ascend log D(x) + log(1 - D(G(z))), i.e. descend discriminator_loss
        with torch.no_grad():
            x_fake = model.G(model.sample_z(m))
        real_logits, fake_logits = model.discriminate(x_real), model.discriminate(x_fake)
        loss_D = discriminator_loss(real_logits, fake_logits, real_label).mean()  # mean over the minibatch
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
    # one generator step on fresh noise
    fake_logits_G = model.discriminate(model.G(model.sample_z(m)))
    loss_G = GENERATOR_LOSSES[generator_loss](fake_logits_G).mean()  # mean over the minibatch
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    opt_G.step()
    return {"loss_D": loss_D.detach(), "loss_G": loss_G.detach(),
            "D_real": torch.sigmoid(real_logits).mean().detach(),
            "D_fake": torch.sigmoid(fake_logits).mean().detach(),
            "grad_G": _grad_norm(model.G.parameters())}


def default_optimizers(model: GAN, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999)) -> dict:
    """Adam for D and for G with DCGAN's settings (lr 2e-4, beta1 0.5)."""
    return {"D": torch.optim.Adam(model.D.parameters(), lr=lr, betas=betas),
            "G": torch.optim.Adam(model.G.parameters(), lr=lr, betas=betas)}


def _describe_optimizer(opt: torch.optim.Optimizer) -> str:
    defaults = {k: v for k, v in opt.defaults.items() if isinstance(v, (int, float, tuple, str, bool))}
    return f"{type(opt).__name__}({sorted(defaults.items())})"


def train_gan(model: GAN, data: Iterable, *, epochs: int, k: int = 1, generator_loss: str = "non-saturating",
              real_label: float = 1.0, optimizer: Mapping[str, torch.optim.Optimizer] | None = None,
              cache: Mapping | None = None, callbacks=(), scheduler=None, progress: bool | None = None,
              desc: str | None = None, verbose: bool = True):
    """Algorithm 1 on ``unsup.train.fit``: ``epochs`` passes over ``data`` (batches of ``k * m`` reals).

    ``optimizer`` is a dict ``{"D": ..., "G": ...}`` of any torch optimisers (momentum SGD as in the paper,
    Adam as in DCGAN); default ``default_optimizers(model)``. ``cache`` is the caller's config (data, batch
    size, seed, ...); ``k``, the generator loss, the label and the optimisers' settings are added to it here,
    so changing any of them retrains. ``scheduler``: as for ``fit`` (a dict with keys ``"D"`` and ``"G"``, or
    a factory given the dict of optimisers). Returns fit's ``History``.
    """
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, not {generator_loss!r}")
    from .train import fit

    optimizer = dict(optimizer) if optimizer is not None else default_optimizers(model)
    if set(optimizer) != {"D", "G"}:
        raise ValueError(f"optimizer must be a dict with keys 'D' and 'G'; got {sorted(optimizer)}")
    if cache is not None:
        cache = {**dict(cache), "algorithm1": {
            "k": k, "generator_loss": generator_loss, "real_label": real_label,
            "optimizers": {name: _describe_optimizer(o) for name, o in sorted(optimizer.items())}}}
    step = functools.partial(gan_step, k=k, generator_loss=generator_loss, real_label=real_label)
    return fit(model, None, data, epochs=epochs, step_fn=step, optimizer=optimizer, cache=cache,
               callbacks=callbacks, scheduler=scheduler, progress=progress, desc=desc, verbose=verbose)

# --- many small GANs at once (independent seeds stacked on a leading dimension) --------------------------


class StackedMLP(nn.Module):
    """``S`` independent MLPs evaluated at once: ``x (S, N, in_dim) -> (S, N, out_dim)``.

    Layer ``l`` holds ``weight (S, fan_in, fan_out)`` and ``bias (S, 1, fan_out)``; ``torch.baddbmm`` applies
    all ``S`` copies in one call. That saves per-call overhead where layers are small; it saves no arithmetic
    (measured on a 2-core CPU: a (5, 256, 400) x (5, 400, 400) ``baddbmm`` takes as long as five ``addmm``, about
    60 GFLOP/s on one thread, so 400-unit GANs are compute-bound either way). The copies share nothing: each
    has its own parameters, and because Adam is elementwise, one Adam over the stacked parameters is ``S``
    independent Adams. Build it from ordinary ``MLPGenerator`` or
    ``MLPDiscriminator`` modules (``from_mlps``), so each copy starts exactly where the plain model would.
    """

    def __init__(self, stack: int, dims: list[int], activation: str = "relu", squeeze: bool = False):
        super().__init__()
        if activation not in ("relu", "leaky_relu"):
            raise ValueError(f"activation must be 'relu' or 'leaky_relu', not {activation!r}")
        self.stack, self.dims, self.activation, self.squeeze = stack, list(dims), activation, squeeze
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(stack, a, b)) for a, b in zip(dims, dims[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(stack, 1, b)) for b in dims[1:])

    def extra_repr(self) -> str:
        return f"stack={self.stack}, dims={self.dims}, activation={self.activation}, squeeze={self.squeeze}"

    @classmethod
    def from_mlps(cls, mlps: list[nn.Module]) -> StackedMLP:
        """Stack ``MLPGenerator``s (ReLU) or ``MLPDiscriminator``s (LeakyReLU 0.2, one logit) of one shape."""
        linears = [[m for m in mlp.net if isinstance(m, nn.Linear)] for mlp in mlps]
        dims = [linears[0][0].in_features] + [lin.out_features for lin in linears[0]]
        leaky = any(isinstance(m, nn.LeakyReLU) for m in mlps[0].net)
        out = cls(len(mlps), dims, "leaky_relu" if leaky else "relu", squeeze=isinstance(mlps[0], MLPDiscriminator))
        with torch.no_grad():
            for i, lins in enumerate(linears):
                for lin, w, b in zip(lins, out.weights, out.biases):
                    w[i] = lin.weight.T  # nn.Linear stores (fan_out, fan_in)
                    b[i, 0] = lin.bias
        return out.to(linears[0][0].weight.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.stack or x.shape[2] != self.dims[0]:
            raise ValueError(f"expected x of shape ({self.stack}, N, {self.dims[0]}); got {tuple(x.shape)}")
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)  # (S, N, a) @ (S, a, b) + (S, 1, b)
            if i < last:
                x = F.relu(x) if self.activation == "relu" else F.leaky_relu(x, 0.2)
        return x.squeeze(2) if self.squeeze else x  # a discriminator: (S, N, 1) -> (S, N)


class StackedGAN(nn.Module):
    """``S`` independent MLP GANs (one per seed) in one module, for ``unsup.train.fit(step_fn=stacked_gan_step)``.

    ``G`` and ``D`` are ``StackedMLP``s; ``pack`` is PacGAN's packing, as in ``GAN``. Samples and batches carry
    the seed dimension first: ``G(z)`` maps ``(S, N, z_dim)`` to ``(S, N, out_dim)``.
    """

    def __init__(self, G: StackedMLP, D: StackedMLP, z_dim: int, pack: int = 1):
        super().__init__()
        if pack < 1 or G.stack != D.stack:
            raise ValueError(f"need pack >= 1 and as many G as D copies; got pack={pack}, {G.stack}, {D.stack}")
        self.G, self.D, self.z_dim, self.pack, self.stack = G, D, z_dim, pack, G.stack

    def extra_repr(self) -> str:
        return f"stack={self.stack}, z_dim={self.z_dim}, pack={self.pack}"

    @classmethod
    def from_seeds(cls, seeds: Iterable[int], make_gan: Callable[[int], GAN]) -> StackedGAN:
        """Stack ``make_gan(seed)`` for each seed (each built after ``unsup.seed_everything(seed)`` by the
        caller's function, so every copy has the initial weights its plain run would have)."""
        gans = [make_gan(s) for s in seeds]
        return cls(StackedMLP.from_mlps([g.G for g in gans]), StackedMLP.from_mlps([g.D for g in gans]),
                   z_dim=gans[0].z_dim, pack=gans[0].pack)

    def unstack(self, i: int, make_gan: Callable[[], GAN]) -> GAN:
        """Copy ``i`` as an ordinary ``GAN`` (``make_gan()`` builds one of the right shape)."""
        plain = make_gan()
        with torch.no_grad():
            for net, stacked in ((plain.G, self.G), (plain.D, self.D)):
                lins = [m for m in net.net if isinstance(m, nn.Linear)]
                for lin, w, b in zip(lins, stacked.weights, stacked.biases):
                    lin.weight.copy_(w[i].T)
                    lin.bias.copy_(b[i, 0])
        return plain

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``z ~ N(0, I)`` of shape ``(S, n, z_dim)``, every copy its own noise, from ``generator`` (else
        torch's global one; give each of several models trained side by side in threads its own)."""
        device = self.G.weights[0].device
        if generator is None:
            return torch.randn(self.stack, n, self.z_dim, device=device)
        return torch.randn(self.stack, n, self.z_dim, generator=generator, device=generator.device).to(device)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(S, B / pack)`` of ``D`` for ``x (S, B, d)``; with packing, ``pack`` consecutive samples
        of one copy side by side."""
        S, B, d = x.shape
        if B % self.pack:
            raise ValueError(f"with pack={self.pack} the batch size must be a multiple of {self.pack}; got {B}")
        return self.D(x.reshape(S, B // self.pack, self.pack * d))


def stacked_gan_step(model: StackedGAN, batch, optimizers: Mapping[str, torch.optim.Optimizer], *,
                     generator_loss: str = "non-saturating",
                     generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """One iteration of Algorithm 1 (``k = 1``) for every copy of a ``StackedGAN`` at once.

    ``batch`` is ``(B, S, d)`` (a ``TensorLoader`` over points stored ``(N, S, d)``: column ``s`` is copy
    ``s``'s own data). Each loss is the SUM over copies of each copy's minibatch mean: the copies share no
    parameter, so the gradient with respect to copy ``s`` is exactly that of its own mean loss. Noise is drawn
    in the order D-step ``(S, m, z)``, then G-step, from ``generator`` (pass the same one to ``fit`` so that a
    resumed run continues its stream). Logs are means over the copies.
    """
    if generator_loss not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, not {generator_loss!r}")
    x_real = (batch[0] if isinstance(batch, (tuple, list)) else batch).transpose(0, 1)  # (B, S, d) -> (S, B, d)
    m = x_real.shape[1]
    with torch.no_grad():
        x_fake = model.G(model.sample_z(m, generator))
    real_logits, fake_logits = model.discriminate(x_real), model.discriminate(x_fake)
    # sum over copies of each copy's mean over its minibatch
    loss_D = discriminator_loss(real_logits, fake_logits).mean(1).sum()
    optimizers["D"].zero_grad(set_to_none=True)
    loss_D.backward()
    optimizers["D"].step()
    fake_logits_G = model.discriminate(model.G(model.sample_z(m, generator)))
    loss_G = GENERATOR_LOSSES[generator_loss](fake_logits_G).mean(1).sum()
    optimizers["G"].zero_grad(set_to_none=True)
    loss_G.backward()
    optimizers["G"].step()
    return {"loss_D": loss_D.detach() / model.stack, "loss_G": loss_G.detach() / model.stack,
            "D_real": torch.sigmoid(real_logits).mean().detach(),
            "D_fake": torch.sigmoid(fake_logits).mean().detach()}


# --- latent codes and 1-D densities ------------------------------------------------------------------------


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, kind: str = "linear") -> torch.Tensor:
    """``steps`` codes from ``z0`` to ``z1`` (both ``(z_dim,)``): ``(1 - t) z0 + t z1``, or ``slerp`` along the
    great circle (keeps the norm typical of a Gaussian code). Returns ``(steps, z_dim)``."""
    if z0.shape != z1.shape or z0.dim() != 1:
        raise ValueError(f"z0 and z1 must be vectors of the same size; got {tuple(z0.shape)}, {tuple(z1.shape)}")
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)[:, None]  # (steps, 1)
    if kind == "linear":
        return (1 - t) * z0 + t * z1
    if kind == "slerp":
        omega = torch.arccos((F.normalize(z0, dim=0) @ F.normalize(z1, dim=0)).clamp(-1, 1))
        if omega.abs() < 1e-6:
            return (1 - t) * z0 + t * z1
        # slerp(t) = sin((1 - t) omega) / sin omega z0 + sin(t omega) / sin omega z1
        return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
    raise ValueError(f"kind must be 'linear' or 'slerp', not {kind!r}")


def kde_1d(samples: torch.Tensor, grid: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """Gaussian kernel density estimate of 1-D ``samples`` on ``grid`` (used to draw ``p_g`` of a 1-D GAN)."""
    s = samples.reshape(-1, 1).double()  # (N,) -> (N, 1)
    g = grid.reshape(1, -1).double()  # (M,) -> (1, M)
    # p(x) = 1/N sum_i N(x; s_i, h^2)
    dens = torch.exp(-0.5 * ((g - s) / bandwidth) ** 2).mean(0) / (bandwidth * math.sqrt(2 * math.pi))
    return dens.to(grid.dtype)
