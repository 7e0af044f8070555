"""Going from small feature maps to large ones: unpooling and transposed convolution, from scratch.

Everything here works on ``(N, C, H, W)`` tensors and matches PyTorch exactly (``tests/test_upsample.py``
checks it over random shapes):

- ``nearest_unpool2d(x, k)``: copy every value into a ``k x k`` block (``F.interpolate(mode="nearest")``);
- ``bed_of_nails_unpool2d(x, k)``: put every value in the top-left corner of a ``k x k`` block of zeros;
- ``max_unpool2d(x, indices, k)``: put every value back where ``F.max_pool2d(..., return_indices=True)``
  found the maximum (``F.max_unpool2d``);
- ``conv_transpose2d(x, weight, stride, padding, output_padding)``: each input value scatters a copy of the
  kernel, weighted by itself, onto the output; overlapping copies add up (``F.conv_transpose2d``, no bias);
- ``conv1d_matrix(weight, length, stride, padding)``: a 1-D convolution as the matrix ``C``, so that
  ``C @ x`` is ``F.conv1d`` and ``C.T @ y`` is ``F.conv_transpose1d``;
- ``conv_output_size`` and ``conv_transpose_output_size``: the shape arithmetic.

It also holds ``Unpool`` (nearest or bed-of-nails unpooling as a layer; ``NearestUnpool`` and ``BedOfNails``
name its two kinds) and ``upsample_block`` (double the size by one of the three ``UPSAMPLING`` ways), which the one
``unsup.autoencoders.ConvAutoencoder`` uses for its ``upsampling=`` option, and ``nyquist_energy``.
``ConvAutoencoder``, ``squared_error`` and ``reconstruction_loss`` remain importable from here (chapter 2's
names for the autoencoder, ``reconstruction_error`` and ``reconstruction_loss`` of ``unsup.autoencoders``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

UPSAMPLING = ("transposed", "nearest", "bed_of_nails")


# --- small helpers ----------------------------------------------------------------------------------------

def _pair(v, name: str) -> tuple[int, int]:
    """An int or a pair of ints as ``(along H, along W)``; anything else is an error that says so."""
    if isinstance(v, bool):
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, Sequence) and len(v) == 2 and all(isinstance(u, int) and not isinstance(u, bool) for u in v):
        return (int(v[0]), int(v[1]))
    raise TypeError(f"{name} must be an int or a pair of ints (along H, along W), got {v!r}")


def _check_nchw(x: torch.Tensor, fn: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{fn} needs a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        hint = " (add a batch dimension with x[None] or x.unsqueeze(0))" if x.dim() == 3 else ""
        raise ValueError(f"{fn} needs a 4-D tensor (N, C, H, W); got shape {tuple(x.shape)}{hint}")


def _check_factor(k, fn: str) -> tuple[int, int]:
    kh, kw = _pair(k, "k")
    if kh < 1 or kw < 1:
        raise ValueError(f"{fn}: the upsampling factor k must be >= 1, got {k!r}")
    return kh, kw


# --- shape arithmetic -------------------------------------------------------------------------------------

def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of a convolution's output along one axis (PyTorch's ``Conv*d``):

    ``floor((n + 2 p - d (k - 1) - 1) / s) + 1``.
    """
    _check_size_args(n, kernel_size, stride, padding, dilation)
    # n_out = floor((n + 2p - d(k-1) - 1) / s) + 1
    out = (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"a convolution with kernel {kernel_size} (dilation {dilation}) does not fit an input of "
                         f"length {n} padded by {padding} on each side (output length would be {out}); "
                         "use a larger input, more padding or a smaller kernel")
    return out


def conv_transpose_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Length of a transposed convolution's output along one axis (PyTorch's ``ConvTranspose*d``):

    ``(n - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Read it as: the ``n`` inputs sit ``s`` apart, so the first and last are ``(n - 1) s`` apart; each
    scatters a kernel that spans ``d (k - 1) + 1`` outputs; ``padding`` crops ``p`` from each end;
    ``output_padding`` adds back that many at the far end (it must be smaller than ``s`` or ``d``).
    """
    _check_size_args(n, kernel_size, stride, padding, dilation)
    if not isinstance(output_padding, int) or output_padding < 0:
        raise ValueError(f"output_padding must be a non-negative int, got {output_padding!r}")
    if output_padding >= max(stride, dilation):
        raise ValueError(f"output_padding ({output_padding}) must be smaller than the stride ({stride}) or the "
                         f"dilation ({dilation}); it only picks among the {max(stride, dilation)} input lengths "
                         "that a convolution with this stride maps to the same output length")
    # n_out = (n - 1) s - 2p + d (k - 1) + output_padding + 1
    out = (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"a transposed convolution with these settings has output length {out}: padding "
                         f"{padding} crops more than the {out + 2 * padding} values it produces; use less padding")
    return out


def _check_size_args(n, kernel_size, stride, padding, dilation) -> None:
    for name, v, low in (("n", n, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                         ("padding", padding, 0), ("dilation", dilation, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an int >= {low}, got {v!r}")


# --- unpooling --------------------------------------------------------------------------------------------

def nearest_unpool2d(x: torch.Tensor, k=2) -> torch.Tensor:
    """Nearest-neighbour unpooling: each value becomes a ``k x k`` block of copies.

    ``(N, C, H, W) -> (N, C, k H, k W)``; equals ``F.interpolate(x, scale_factor=k, mode="nearest")``.
    """
    _check_nchw(x, "nearest_unpool2d")
    kh, kw = _check_factor(k, "nearest_unpool2d")
    # x_up[i, j] = x[i // kh, j // kw]
    return x.repeat_interleave(kh, dim=2).repeat_interleave(kw, dim=3)  # (N, C, H, W) -> (N, C, kh H, kw W)


def bed_of_nails_unpool2d(x: torch.Tensor, k=2) -> torch.Tensor:
    """"Bed of nails" unpooling: each value goes to the top-left corner of a ``k x k`` block of zeros.

    ``(N, C, H, W) -> (N, C, k H, k W)``.
    """
    _check_nchw(x, "bed_of_nails_unpool2d")
    kh, kw = _check_factor(k, "bed_of_nails_unpool2d")
    n, c, h, w = x.shape
    out = x.new_zeros(n, c, kh * h, kw * w)
    # x_up[k i, k j] = x[i, j]; every other entry is 0
    out[:, :, ::kh, ::kw] = x
    return out


def max_unpool2d(x: torch.Tensor, indices: torch.Tensor, k=2, output_size=None) -> torch.Tensor:
    """Max unpooling: put each value back at the position where max pooling found the maximum; zeros elsewhere.

    ``indices`` are those returned by ``F.max_pool2d(input, k, return_indices=True)``: for each value, the
    flat position ``row * W_in + col`` in its ``(H_in, W_in)`` plane. The output is ``(N, C, k H, k W)``,
    or ``output_size = (H_in, W_in)`` when pooling dropped a ragged edge (e.g. a 5 x 5 input).
    Equals ``F.max_unpool2d(x, indices, k)``.
    """
    _check_nchw(x, "max_unpool2d")
    kh, kw = _check_factor(k, "max_unpool2d")
    if not isinstance(indices, torch.Tensor) or indices.shape != x.shape:
        got = tuple(indices.shape) if isinstance(indices, torch.Tensor) else type(indices).__name__
        raise ValueError(f"max_unpool2d: indices must have the shape of x {tuple(x.shape)}, got {got}; pass the "
                         "indices that F.max_pool2d(..., return_indices=True) returned with the pooled tensor")
    n, c, h, w = x.shape
    h_out, w_out = (kh * h, kw * w) if output_size is None else tuple(output_size)[-2:]
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= h_out * w_out):
        raise ValueError(f"max_unpool2d: an index ({int(indices.max())}) lies outside the {h_out} x {w_out} "
                         "output; if the pooled input had a ragged edge, pass output_size=(H_in, W_in)")
    out = x.new_zeros(n, c, h_out * w_out)
    # x_up[n, c, indices[n, c, i, j]] = x[n, c, i, j]
    out.scatter_(2, indices.reshape(n, c, h * w), x.reshape(n, c, h * w))  # (N, C, H, W) -> (N, C, H*W)
    return out.view(n, c, h_out, w_out)  # (N, C, H_out*W_out) -> (N, C, H_out, W_out)


# --- transposed convolution -------------------------------------------------------------------------------

def _check_conv_transpose(x, weight, stride, padding, output_padding, dilation):
    _check_nchw(x, "conv_transpose2d")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        got = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"conv_transpose2d: weight must be 4-D (C_in, C_out, kH, kW); got {got}")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(f"conv_transpose2d: x has C_in={x.shape[1]} channels but weight {tuple(weight.shape)} "
                         f"expects C_in={weight.shape[0]}. A transposed convolution's weight is (C_in, C_out, kH, "
                         "kW), the reverse of Conv2d's (C_out, C_in, kH, kW); for Conv2d weights use "
                         "weight.transpose(0, 1)")
    s, p, op, d = (_pair(stride, "stride"), _pair(padding, "padding"), _pair(output_padding, "output_padding"),
                   _pair(dilation, "dilation"))
    k = tuple(weight.shape[2:])
    sizes = tuple(conv_transpose_output_size(x.shape[2 + a], k[a], s[a], p[a], op[a], d[a]) for a in range(2))
    return s, p, op, d, k, sizes


def conv_transpose2d(x: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, output_padding=0,
                     dilation=1) -> torch.Tensor:
    """Transposed convolution from scratch: every input value scatters a copy of the kernel, weighted by the
    value, onto the output; where copies overlap they add up.

    ``x`` ``(N, C_in, H, W)``, ``weight`` ``(C_in, C_out, kH, kW)``; ``stride``, ``padding``,
    ``output_padding`` and ``dilation`` are ints or pairs. Input position ``(i, j)`` puts its copy with its
    top-left corner at ``(s i, s j)`` of the full output, ``s`` apart from its neighbour's; ``padding``
    then crops ``p`` rows and columns from each side, and ``output_padding`` keeps that many more at the
    bottom and right. Output ``(N, C_out, H_out, W_out)`` with sizes from ``conv_transpose_output_size``.
    Equals ``F.conv_transpose2d(x, weight, None, stride, padding, output_padding, 1, dilation)``.
    """
    (sh, sw), (ph, pw), _, (dh, dw), (kh, kw), (h_out, w_out) = _check_conv_transpose(
        x, weight, stride, padding, output_padding, dilation)
    n, _, h, w = x.shape
    c_out = weight.shape[1]
    # The full (uncropped) canvas, large enough for every copy and for output_padding beyond the last one.
    full_h = max((h - 1) * sh + dh * (kh - 1) + 1, ph + h_out)
    full_w = max((w - 1) * sw + dw * (kw - 1) + 1, pw + w_out)
    full = x.new_zeros(n, c_out, full_h, full_w)
    # One kernel tap (a, b) at a time, for all input positions at once: input (i, j) adds
    # x[n, ci, i, j] * weight[ci, co, a, b] to the full output at (s_h i + d_h a, s_w j + d_w b).
    for a in range(kh):
        for b in range(kw):
            # contrib[n, co, i, j] = sum_ci x[n, ci, i, j] * weight[ci, co, a, b]
            contrib = torch.einsum("nchw,co->nohw", x, weight[:, :, a, b])
            rows = slice(dh * a, dh * a + sh * (h - 1) + 1, sh)
            cols = slice(dw * b, dw * b + sw * (w - 1) + 1, sw)
            full[:, :, rows, cols] += contrib
    # crop `padding` from the top/left; keep h_out x w_out (output_padding extends the bottom/right)
    return full[:, :, ph:ph + h_out, pw:pw + w_out]


def scatter_steps(x: torch.Tensor, weight: torch.Tensor, stride=1, padding=0, output_padding=0
                  ) -> Iterator[dict]:
    """The scatter of ``conv_transpose2d`` one input value at a time, for pictures and explorers.

    ``x`` ``(H, W)`` and ``weight`` ``(kH, kW)`` (one channel). Yields, for each input position in row-major
    order, a dict with ``pos`` ``(i, j)``, ``corner`` (top-left of its copy on the full canvas), ``copy``
    (the weighted kernel ``x[i, j] * weight``), ``full`` (the canvas so far) and ``crop`` ``(top, left,
    H_out, W_out)``, the window that ``padding``/``output_padding`` keep. The last ``full``, cropped, is
    ``conv_transpose2d`` of ``x``.
    """
    if x.dim() != 2 or weight.dim() != 2:
        raise ValueError(f"scatter_steps draws one channel: x (H, W) and weight (kH, kW); got shapes "
                         f"{tuple(x.shape)} and {tuple(weight.shape)}")
    (sh, sw), (ph, pw), _, _, (kh, kw), (h_out, w_out) = _check_conv_transpose(
        x[None, None], weight[None, None], stride, padding, output_padding, 1)
    h, w = x.shape
    full = x.new_zeros(max((h - 1) * sh + kh, ph + h_out), max((w - 1) * sw + kw, pw + w_out))
    for i in range(h):
        for j in range(w):
            # the copy of the kernel weighted by x[i, j], top-left corner at (s_h i, s_w j)
            copy = x[i, j] * weight
            full[sh * i:sh * i + kh, sw * j:sw * j + kw] += copy
            yield {"pos": (i, j), "corner": (sh * i, sw * j), "copy": copy.clone(), "full": full.clone(),
                   "crop": (ph, pw, h_out, w_out)}


def overlap_count(n: int, kernel_size: int, stride: int, padding: int = 0, output_padding: int = 0
                  ) -> torch.Tensor:
    """How many kernel copies land on each output pixel of a transposed convolution of an ``n x n`` input:
    ``conv_transpose2d`` of ones with a kernel of ones. Uneven counts are the checkerboard of
    Odena et al. (2016): they appear when ``kernel_size`` is not a multiple of ``stride``."""
    ones = torch.ones(1, 1, n, n)
    return conv_transpose2d(ones, torch.ones(1, 1, kernel_size, kernel_size), stride, padding, output_padding)[0, 0]


# --- the matrix form (1-D) --------------------------------------------------------------------------------

def conv1d_matrix(weight: torch.Tensor, length: int, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The ``(L_out, L_in)`` matrix ``C`` of a single-channel 1-D convolution (PyTorch's cross-correlation).

    ``weight`` is ``(k,)`` (or ``(1, 1, k)``); ``length`` is ``L_in``, the length before padding. Row ``o``
    holds the kernel at columns ``s o - p, ..., s o - p + k - 1`` (entries that fall on the padding are
    dropped), so ``C @ x == F.conv1d(x, w, stride=s, padding=p)`` and ``C.T @ y`` is the transposed
    convolution ``F.conv_transpose1d(y, w, stride=s, padding=p, output_padding=...)`` back to length ``L_in``.
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"conv1d_matrix needs the kernel as a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() == 3 and weight.shape[:2] == (1, 1):
        weight = weight[0, 0]  # (1, 1, k) -> (k,)
    if weight.dim() != 1:
        raise ValueError(f"conv1d_matrix needs a 1-D kernel (k,) or (1, 1, k); got shape {tuple(weight.shape)}")
    k = weight.shape[0]
    l_out = conv_output_size(length, k, stride, padding)
    C = weight.new_zeros(l_out, length)
    for o in range(l_out):
        for a in range(k):
            # (C x)[o] = sum_a w[a] x[s o - p + a]   (x is 0 outside 0..L_in-1: the padding)
            col = stride * o - padding + a
            if 0 <= col < length:
                C[o, col] = weight[a]
    return C


def symbolic_conv1d_matrix(kernel_labels: Sequence[str], length: int, stride: int = 1, padding: int = 0,
                           zero: str = "0") -> list[list[str]]:
    """``conv1d_matrix`` with letters for the kernel's entries (e.g. ``("x", "y", "z")``): built from the
    numeric matrices of one-hot kernels, so the letters are where the numbers are."""
    k = len(kernel_labels)
    mats = [conv1d_matrix(torch.eye(k)[a], length, stride, padding) for a in range(k)]
    rows, cols = mats[0].shape
    return [[next((kernel_labels[a] for a in range(k) if mats[a][r, c] != 0), zero) for c in range(cols)]
            for r in range(rows)]


def symbolic_matvec(matrix_labels: Sequence[Sequence[str]], vector_labels: Sequence[str], zero: str = "0"
                    ) -> list[str]:
    """The product of a matrix of letters and a vector of letters, written out: ``["ay + bz", ...]``."""
    if any(len(row) != len(vector_labels) for row in matrix_labels):
        raise ValueError(f"symbolic_matvec: a row has {len(matrix_labels[0])} entries but the vector has "
                         f"{len(vector_labels)}")
    out = []
    for row in matrix_labels:
        terms = [f"{v}{m}" for m, v in zip(row, vector_labels) if m != zero and v != zero]
        out.append(" + ".join(terms) if terms else zero)
    return out


def format_matrix(rows: Sequence[Sequence], width: int | None = None) -> str:
    """Rows of numbers or letters as an aligned block of text with brackets."""
    cells = [[f"{v:g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    width = width or max(len(c) for row in cells for c in row)
    return "\n".join("[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells)


# --- upsampling layers, and the checkerboard experiment's autoencoder -------------------------------------

class Unpool(nn.Module):
    """Unpooling by ``k`` as a layer: ``kind="nearest"`` (``nearest_unpool2d``) or ``"bed_of_nails"``
    (``bed_of_nails_unpool2d``). No parameters."""

    _KINDS = {"nearest": nearest_unpool2d, "bed_of_nails": bed_of_nails_unpool2d}

    def __init__(self, k: int = 2, kind: str = "nearest"):
        super().__init__()
        if kind not in self._KINDS:
            raise ValueError(f"kind must be one of {sorted(self._KINDS)}, got {kind!r}")
        self.k, self.kind = k, kind

    def forward(self, x):
        return self._KINDS[self.kind](x, self.k)

    def extra_repr(self):
        return f"k={self.k}, kind={self.kind!r}"


class BedOfNails(Unpool):
    """``bed_of_nails_unpool2d`` as a layer."""

    def __init__(self, k: int = 2):
        super().__init__(k, "bed_of_nails")


class NearestUnpool(Unpool):
    """``nearest_unpool2d`` as a layer."""

    def __init__(self, k: int = 2):
        super().__init__(k, "nearest")


def upsample_block(c_in: int, c_out: int, upsampling: str, kernel_size: int = 3) -> nn.Module:
    """Double the height and width, ``(N, c_in, H, W) -> (N, c_out, 2H, 2W)``, in one of three ways:

    - ``"transposed"``: ``ConvTranspose2d(k, stride 2, padding (k-1)//2, output_padding)``;
    - ``"nearest"``: nearest unpooling by 2, then ``Conv2d(k, padding (k-1)//2)`` (resize-then-convolve);
    - ``"bed_of_nails"``: bed of nails by 2, then the same ``Conv2d`` (this is a transposed convolution in
      disguise: zeros between the values, then a convolution).
    """
    if upsampling not in UPSAMPLING:
        raise ValueError(f"upsampling must be one of {UPSAMPLING}, got {upsampling!r}")
    if kernel_size % 2 == 0 and upsampling != "transposed":
        raise ValueError(f"a 'same' convolution after unpooling needs an odd kernel_size, got {kernel_size}")
    p = (kernel_size - 1) // 2
    if upsampling == "transposed":
        # 2H = (H - 1) 2 - 2p + k + output_padding  =>  output_padding = 2 + 2p - k
        op = 2 + 2 * p - kernel_size
        return nn.ConvTranspose2d(c_in, c_out, kernel_size, stride=2, padding=p, output_padding=op)
    return nn.Sequential(Unpool(2, upsampling), nn.Conv2d(c_in, c_out, kernel_size, padding=p))


def nyquist_energy(images: torch.Tensor) -> torch.Tensor:
    """Per image, the fraction of its (mean-removed) energy at the highest spatial frequencies, where a
    2-pixel checkerboard lives: the three DFT coefficients (H/2, 0), (0, W/2) and (H/2, W/2).

    ``images`` ``(N, 1, H, W)`` with even ``H`` and ``W``; returns ``(N,)``.
    """
    if images.dim() != 4 or images.shape[-1] % 2 or images.shape[-2] % 2:
        raise ValueError(f"nyquist_energy needs (N, C, H, W) with even H and W; got {tuple(images.shape)}")
    x = images.mean(1)  # (N, C, H, W) -> (N, H, W)
    x = x - x.mean(dim=(-2, -1), keepdim=True)  # remove each image's mean
    power = torch.fft.fft2(x).abs().pow(2)  # (N, H, W)
    h, w = x.shape[-2:]
    nyq = power[:, h // 2, 0] + power[:, 0, w // 2] + power[:, h // 2, w // 2]
    return nyq / power.flatten(1).sum(1).clamp_min(1e-12)


def symbolic_conv1d(kernel_labels: Sequence[str], input_labels: Sequence[str], stride: int = 1, padding: int = 0,
                    transposed: bool = False, output_padding: int = 0, zero: str = "0") -> list[str]:
    """Each output of PyTorch's ``F.conv1d`` (or ``F.conv_transpose1d`` with ``transposed=True``) written
    with letters, e.g. kernel ``("x", "y", "z")`` and input ``("a", "b")`` give ``["ax", "ay", ...]``.

    Found by running torch itself on one-hot kernels and one-hot inputs (the output is bilinear in the
    two), so it is an oracle independent of ``conv1d_matrix``. Input labels equal to ``zero`` are zeros.
    """
    k, n = len(kernel_labels), len(input_labels)
    terms: list[list[str]] = []
    for b in range(n):
        if input_labels[b] == zero:
            continue
        for a in range(k):
            w = torch.eye(k, dtype=torch.float64)[a].view(1, 1, k)  # (k,) -> (1, 1, k)
            x = torch.eye(n, dtype=torch.float64)[b].view(1, 1, n)  # (n,) -> (1, 1, n)
            if transposed:
                y = F.conv_transpose1d(x, w, stride=stride, padding=padding, output_padding=output_padding)[0, 0]
            else:
                y = F.conv1d(x, w, stride=stride, padding=padding)[0, 0]
            if not terms:
                terms = [[] for _ in range(y.shape[0])]
            for o in torch.nonzero(y).flatten().tolist():
                terms[o].append((b, a))
    if not terms:  # every input is zero: run once for the length
        y = (F.conv_transpose1d if transposed else F.conv1d)(
            torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=stride, padding=padding,
            **({"output_padding": output_padding} if transposed else {}))
        return [zero] * y.shape[-1]
    # order the terms as a person would: by input position, then kernel position
    return [" + ".join(f"{input_labels[b]}{kernel_labels[a]}" for b, a in sorted(t)) or zero for t in terms]


def _conv_autoencoder(upsampling: str = "transposed", latent_dim: int = 32, channels: int = 16, kernel_size: int = 3):
    """Chapter 2's autoencoder: ``autoencoders.ConvAutoencoder`` with ``code_size=latent_dim`` and widths
    ``(channels, 2 * channels)``; only the decoder's ``upsampling`` changes between the three runs."""
    from .autoencoders import ConvAutoencoder

    return ConvAutoencoder(code_size=latent_dim, channels=(channels, 2 * channels), upsampling=upsampling,
                           kernel_size=kernel_size)


def __getattr__(name: str):
    # resolved on first use: unsup.autoencoders imports this module (for upsample_block), not the reverse
    if name == "ConvAutoencoder":
        return _conv_autoencoder
    if name in ("squared_error", "reconstruction_loss"):
        from . import autoencoders

        return autoencoders.reconstruction_error if name == "squared_error" else autoencoders.reconstruction_loss
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
