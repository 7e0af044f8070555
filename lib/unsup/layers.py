"""Small building blocks shared by the models, the metrics and the explorers.

- ``ACTIVATIONS``: the one table of activation functions, by the name the models' arguments and the
  explorers' JSON specs use. ``activation(name)`` builds one; ``activation_name(module)`` reads one back.
- ``apply_in_batches``: a function applied to a large tensor in chunks, without gradients.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

# name -> module class. The same names appear in the explorers' layer specs and their JavaScript runtime.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}
_NAMES = {cls: name for name, cls in ACTIVATIONS.items()}


def activation(name: str, **kwargs) -> nn.Module:
    """The activation module called ``name`` (``"relu"``, ``"sigmoid"``, ...), built with ``kwargs``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name](**kwargs)


def activation_name(module: nn.Module) -> str | None:
    """The table's name for an activation module, or None if ``module`` is not one of them."""
    return _NAMES.get(type(module))


def apply_in_batches(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                     batch_size: int = 1000) -> torch.Tensor:
    """``fn`` (an encoder, a decoder, a classifier's features) applied to ``x`` in chunks of ``batch_size``
    rows, without gradients, concatenated: the whole test set never sits in one forward pass."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive; got {batch_size}")
    with torch.no_grad():
        return torch.cat([fn(chunk) for chunk in x.split(batch_size)])
