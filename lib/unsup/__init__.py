"""unsup: the companion library of the book on unsupervised learning with neural networks.

Importing it does nothing but define names: no seeding, no downloads, no device selection.
Submodules (``unsup.data``, ``unsup.train``, ``unsup.pca``, ...) load on first use.
"""

from __future__ import annotations

import importlib
import os
import random

__version__ = "0.1.0"

__all__ = ["__version__", "get_device", "seed_everything"]

_SUBMODULES = {
    "autoencoders", "book", "data", "divergences", "elbo", "gan", "layers", "metrics", "pca", "train", "upsample",
    "vae", "viz", "widgets", "zoo",
}


def get_device(prefer: str | None = None):
    """The one place that picks a device: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the environment variable ``UNSUP_DEVICE``, e.g. ``cpu`` or ``cuda:1``) overrides the
    choice. Everything else in the package follows the device of its inputs.
    """
    import torch

    choice = prefer or os.environ.get("UNSUP_DEVICE")
    if choice:
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"UNSUP_DEVICE={choice!r} asks for CUDA, but torch sees no CUDA device; "
                               "unset UNSUP_DEVICE or set it to 'cpu'.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (all devices). Call it visibly, in a chapter."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
