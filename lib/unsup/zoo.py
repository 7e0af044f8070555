"""Trained models defined once, in a module: shared by chapters, or trained several at a time.

Chapter 4 trains the reference VAE and studies it; chapter 5 compares its samples with the GAN's. Because the
checkpoint key covers the configuration and the code, both chapters calling ``fashion_vae`` with the same
arguments train it once (in the book's build, in chapter 4) and load it afterwards. A chapter opened alone
(Colab) trains it itself.

``ring_gan`` is the mode-collapse experiment of chapter 5: one small GAN on the ring of eight Gaussians. It
lives here because ``unsup.train.run_all`` trains many of them side by side in worker processes, which
import the function by name.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from . import seed_everything
from .data import TensorLoader, ring_of_gaussians
from .gan import GAN, MLPDiscriminator, MLPGenerator, train_gan
from .train import History, Snapshot, fit
from .vae import MLPVAE, vae_loss


def fashion_vae_model(z_dim: int = 20, hidden: int = 400) -> MLPVAE:
    """The reference architecture: an MLP VAE 784-``hidden``-``z_dim`` with a Bernoulli decoder."""
    return MLPVAE(x_dim=784, hidden=(hidden,), z_dim=z_dim, likelihood="bernoulli")


def train_fashion_vae(model: MLPVAE, x_train: torch.Tensor, *, epochs: int = 10, seed: int = 1,
                      batch_size: int = 512, lr: float = 2e-3, val_data: Iterable | None = None,
                      desc: str | None = None) -> History:
    """Adam(``lr``) on shuffled batches of ``batch_size`` of ``x_train`` (images in [0, 1], shape (N, 1, 28, 28)
    or (N, 784)), cached under a config that names the data, batch size, learning rate and seed."""
    if x_train.dim() not in (2, 4) or x_train[0].numel() != 784:
        raise ValueError(f"x_train should be Fashion-MNIST images, (N, 1, 28, 28) or (N, 784); got shape "
                         f"{tuple(x_train.shape)}")
    config = {"data": f"fashion-mnist train[:{len(x_train)}]", "batch_size": batch_size, "lr": lr, "seed": seed}
    return fit(model, vae_loss, TensorLoader(x_train, batch_size=batch_size, seed=seed), epochs=epochs, lr=lr,
               val_data=val_data, cache=config, desc=desc)


def fashion_vae(x_train: torch.Tensor, x_test: torch.Tensor, *, z_dim: int = 20, epochs: int = 10, seed: int = 1,
                device: torch.device | str | None = None, desc: str | None = None) -> tuple[MLPVAE, History]:
    """The book's reference VAE, built from ``seed`` and trained (or loaded from the cache): ``(model, history)``.

    The history has the test set's losses per epoch. Evaluating the test set draws ``z`` from torch's global
    generator, so it is always done, in the same batches: a run without it would train other weights under
    the same cache key, and which chapter trained first would decide what the other loads."""
    seed_everything(seed)
    model = fashion_vae_model(z_dim).to(device if device is not None else x_train.device)
    history = train_fashion_vae(model, x_train, epochs=epochs, seed=seed,
                                val_data=TensorLoader(x_test, batch_size=1000, shuffle=False),
                                desc=desc or f"MLP VAE 784-400-{z_dim}")
    return model, history


def ring_gan(seed: int, *, pack: int = 1, iterations: int = 3000, batch_size: int = 256, hidden: int = 128,
             depth: int = 2, lr_g: float = 1e-3, lr_d: float = 1e-4, std: float = 0.02, every: int = 250,
             decay_after: int | None = None, decay: float = 0.1,
             device: torch.device | str | None = None) -> tuple[GAN, Snapshot]:
    """A GAN on the ring of eight Gaussians (radius 2, standard deviation ``std``), trained or loaded.

    Both networks are MLPs with ``depth`` hidden layers of ``hidden`` units; ``z`` is 2-D. PacGAN's
    ``pack`` gives the discriminator ``pack`` samples at once. Adam (beta1 0.5) with its own rate for each
    network: Metz et al.'s ring experiment, where ``lr_d`` ten times below ``lr_g`` lets the generator
    outrun the discriminator. Each pass over the data is ``every`` iterations; the returned ``Snapshot`` holds
    the generator's outputs for 2,500 fixed noise vectors after every pass. With ``decay_after``, both
    learning rates are multiplied by ``decay`` after that many iterations (a multiple of ``every``).
    """
    if iterations % every:
        raise ValueError(f"iterations ({iterations}) must be a multiple of every ({every})")
    if batch_size % pack:
        raise ValueError(f"batch_size ({batch_size}) must be a multiple of pack ({pack})")
    seed_everything(seed)
    model = GAN(MLPGenerator(2, 2, hidden, depth), MLPDiscriminator(2 * pack, hidden, depth), z_dim=2, pack=pack)
    model.to(device if device is not None else "cpu")
    device = next(model.parameters()).device
    points = ring_of_gaussians(batch_size * every, std=std, generator=torch.Generator().manual_seed(100 + seed))
    z_show = torch.randn(2500, 2, generator=torch.Generator().manual_seed(0)).to(device)
    snaps = Snapshot(lambda mdl: mdl.G(z_show), every=1)
    betas = (0.5, 0.999)
    optimizer = {"D": torch.optim.Adam(model.D.parameters(), lr=lr_d, betas=betas),
                 "G": torch.optim.Adam(model.G.parameters(), lr=lr_g, betas=betas)}
    scheduler = None
    if decay_after is not None:
        if decay_after % every:
            raise ValueError(f"decay_after ({decay_after}) must be a multiple of every ({every})")
        scheduler = {k: torch.optim.lr_scheduler.MultiStepLR(o, [decay_after // every], gamma=decay)
                     for k, o in optimizer.items()}
    train_gan(model, TensorLoader(points.to(device), batch_size=batch_size, seed=seed),
              epochs=iterations // every, optimizer=optimizer, scheduler=scheduler, callbacks=[snaps], verbose=False,
              desc=f"ring GAN, pack {pack}, seed {seed}",
              cache={"data": f"ring 8, std {std}, {len(points)} points, seed {100 + seed}", "seed": seed})
    return model, snaps
