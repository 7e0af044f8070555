"""Trained models that more than one chapter uses, defined once so they share one cache entry.

Chapter 4 trains the reference VAE and studies it; chapter 5 compares its samples with the GAN's. Because the
checkpoint key covers the configuration and the code, both chapters calling ``fashion_vae`` with the same
arguments train it once (in the book's build, in chapter 4) and load it afterwards. A chapter opened alone
(Colab) trains it itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from . import seed_everything
from .data import TensorLoader
from .train import History, fit
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
