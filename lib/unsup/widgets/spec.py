"""A network as a JSON spec the browser runs, and back: the layer dicts the explorers' JavaScript evaluates
(``js/runtime.js``), with weights as base64 little-endian float32, and their inverses, which rebuild from a
page alone the network it runs (what the browser tests compare with PyTorch).

Layer dicts: ``{"type": "linear", "in", "out", "W", "b"}`` (``W (out, in)`` row-major),
``{"type": "convT", "in", "out", "k", "s", "p", "W", "b"}`` (``W (in, out, k, k)``),
``{"type": "affine", "c", "scale", "shift"}`` (batch norm in eval mode), and an activation
``{"type": name}`` named as in ``unsup.layers.ACTIVATIONS`` (``leaky_relu`` adds ``slope``, ``elu`` adds
``alpha``).
"""

from __future__ import annotations

import base64

import numpy as np
import torch
from torch import nn

from ..layers import ACTIVATIONS, activation, activation_name

# the activations' parameters: spec key -> module attribute (and constructor argument)
_ACTIVATION_PARAMS = {"leaky_relu": {"slope": "negative_slope"}, "elu": {"alpha": "alpha"}}


def b64_f32(t: torch.Tensor) -> str:
    """A tensor, flattened, as base64 little-endian float32: what the page's ``unsupRuntime.f32`` reads back
    bit for bit."""
    return base64.b64encode(np.ascontiguousarray(t.detach().cpu().double().numpy(), dtype="<f4").tobytes()
                            ).decode("ascii")


def f32_from_b64(s: str) -> torch.Tensor:
    """The inverse of ``b64_f32``: a flat float32 tensor."""
    raw = base64.b64decode(s, validate=True)
    if len(raw) % 4:
        raise ValueError(f"{len(raw)} bytes is not a whole number of float32 values: the string is not from b64_f32")
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())


def activation_spec(m: nn.Module) -> dict | None:
    """An activation module as a layer dict, or None if it is not one of ``unsup.layers.ACTIVATIONS``."""
    name = activation_name(m)
    if name is None:
        return None
    return {"type": name, **{key: float(getattr(m, attr)) for key, attr in _ACTIVATION_PARAMS.get(name, {}).items()}}


def activation_from_spec(layer: dict) -> nn.Module:
    """The inverse of ``activation_spec``."""
    name = layer["type"]
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown layer type {name!r} in the spec; activations are {sorted(ACTIVATIONS)}")
    return activation(name, **{attr: layer[key] for key, attr in _ACTIVATION_PARAMS.get(name, {}).items()
                               if key in layer})


def _tensor(layer: dict, key: str, shape) -> torch.Tensor:
    t = f32_from_b64(layer[key])
    n = int(np.prod(shape))
    if t.numel() != n:
        raise ValueError(f"a {layer['type']} layer's {key} holds {t.numel()} numbers; its shape {tuple(shape)} "
                         f"needs {n}")
    return t.reshape(shape)


def _flatten(module: nn.Module) -> list[nn.Module]:
    return [m for sub in module for m in _flatten(sub)] if isinstance(module, nn.Sequential) else [module]


def _export(net: nn.Module, converters: dict, allowed: str) -> list[dict]:
    """``net``'s layers (nested ``nn.Sequential`` flattened) as layer dicts: ``converters[type](i, m)`` for
    the weighted layers, ``activation_spec`` for the activations; anything else raises, naming the layer."""
    layers = []
    for i, m in enumerate(_flatten(net)):
        convert = next((f for cls, f in converters.items() if isinstance(m, cls)), None)
        if convert is not None:
            layers.append(convert(i, m))
        elif (act := activation_spec(m)) is not None:
            layers.append(act)
        else:
            raise TypeError(f"layer {i} ({type(m).__name__}) cannot run in the browser explorer: use {allowed} "
                            f"and the activations {sorted(ACTIVATIONS)}")
    return layers


def _linear(i: int, m: nn.Linear) -> dict:
    b = m.bias if m.bias is not None else torch.zeros(m.out_features)
    return {"type": "linear", "in": m.in_features, "out": m.out_features, "W": b64_f32(m.weight), "b": b64_f32(b)}


def mlp_spec(decoder: nn.Module) -> list[dict]:
    """An MLP (``nn.Sequential``, nested ones included, of Linear and the activations of
    ``unsup.layers.ACTIVATIONS``) as a list of layer dicts, each Linear's weight ``(out, in)`` row-major and bias
    as base64 little-endian float32 (what the browser reads back bit for bit). Anything else raises, naming the
    layer."""
    return _export(decoder, {nn.Linear: _linear}, "an nn.Sequential of Linear layers")


def mlp_from_spec(layers: list[dict]) -> nn.Sequential:
    """The inverse of ``mlp_spec``: the ``nn.Sequential`` whose float32 weights are those in the spec.
    Used by the browser tests to rebuild, from a built page alone, the decoder that page runs."""
    modules = []
    for layer in layers:
        if layer["type"] == "linear":
            lin = nn.Linear(layer["in"], layer["out"])
            with torch.no_grad():
                lin.weight.copy_(_tensor(layer, "W", (layer["out"], layer["in"])))
                lin.bias.copy_(_tensor(layer, "b", (layer["out"],)))
            modules.append(lin)
        else:
            modules.append(activation_from_spec(layer))
    return nn.Sequential(*modules)


def _conv_transpose(i: int, m: nn.ConvTranspose2d) -> dict:
    k, st, pad = m.kernel_size, m.stride, m.padding
    square = k[0] == k[1] and st[0] == st[1] and pad[0] == pad[1]
    if m.groups != 1 or m.dilation != (1, 1) or m.output_padding != (0, 0) or not square:
        raise TypeError(f"layer {i}: the browser runs only square ConvTranspose2d layers without groups, "
                        "dilation or output_padding")
    bias = m.bias if m.bias is not None else torch.zeros(m.out_channels)
    return {"type": "convT", "in": m.in_channels, "out": m.out_channels, "k": k[0], "s": st[0], "p": pad[0],
            "W": b64_f32(m.weight), "b": b64_f32(bias)}


def _batch_norm(i: int, m: nn.BatchNorm2d) -> dict:
    if m.running_var is None or m.running_mean is None:
        raise TypeError(f"layer {i}: a BatchNorm2d without running statistics cannot be folded; "
                        "build it with track_running_stats=True")
    gamma = m.weight if m.weight is not None else torch.ones(m.num_features)
    beta = m.bias if m.bias is not None else torch.zeros(m.num_features)
    # eval mode: y = gamma (x - mean) / sqrt(var + eps) + beta = scale x + shift
    scale = gamma / torch.sqrt(m.running_var + m.eps)
    return {"type": "affine", "c": m.num_features, "scale": b64_f32(scale),
            "shift": b64_f32(beta - m.running_mean * scale)}


def convnet_spec(generator: nn.Module) -> list[dict]:
    """A convolutional generator (an ``nn.Sequential``, or a module whose ``.net`` is one, of ConvTranspose2d,
    BatchNorm2d and the activations of ``unsup.layers.ACTIVATIONS``) as a list of layer dicts for the browser.
    Weights are base64 little-endian float32; a BatchNorm2d becomes the per-channel affine map it computes in
    eval mode. The input is a code ``z`` of ``C`` numbers, read as a ``(C, 1, 1)`` image."""
    net = generator.net if hasattr(generator, "net") else generator
    return _export(net, {nn.ConvTranspose2d: _conv_transpose, nn.BatchNorm2d: _batch_norm},
                   "ConvTranspose2d, BatchNorm2d")


class _Affine(nn.Module):
    """Batch norm in eval mode, folded: ``h * scale + shift`` per channel."""

    def __init__(self, scale: torch.Tensor, shift: torch.Tensor):
        super().__init__()
        self.register_buffer("scale", scale)
        self.register_buffer("shift", shift)

    def forward(self, h):
        return h * self.scale[:, None, None] + self.shift[:, None, None]  # (C,) -> (C, 1, 1) over (N, C, H, W)


class _FromCode(nn.Module):
    """A generator body applied to codes: ``z (N, C)`` read as ``(N, C, 1, 1)`` images."""

    def __init__(self, net: nn.Sequential):
        super().__init__()
        self.net = net

    def forward(self, z):
        return self.net(z[:, :, None, None])  # (N, C) -> (N, C, 1, 1)


def convnet_from_spec(layers: list[dict]) -> nn.Module:
    """The inverse of ``convnet_spec``: a module mapping ``z (N, C)`` to images, with the spec's float32 weights
    (batch norm as the fixed affine map). Used by the browser tests to rebuild the generator a page runs."""
    modules = []
    for layer in layers:
        if layer["type"] == "convT":
            conv = nn.ConvTranspose2d(layer["in"], layer["out"], layer["k"], layer["s"], layer["p"])
            with torch.no_grad():
                conv.weight.copy_(_tensor(layer, "W", conv.weight.shape))
                conv.bias.copy_(_tensor(layer, "b", (layer["out"],)))
            modules.append(conv)
        elif layer["type"] == "affine":
            modules.append(_Affine(_tensor(layer, "scale", (layer["c"],)), _tensor(layer, "shift", (layer["c"],))))
        else:
            modules.append(activation_from_spec(layer))
    return _FromCode(nn.Sequential(*modules))
