"""Data: Fashion-MNIST from disk or a verified download, batch iterators (``TensorLoader``, ``FullBatch``), 2-D toys.

Where ``load_fashion_mnist`` looks, in order: ``root``; ``$UNSUP_DATA``; the user cache
(``$XDG_CACHE_HOME/unsup/fashion-mnist``, default ``~/.cache/unsup/fashion-mnist``); Debian's
``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``). If none has the files, it downloads
them into the user cache, checks SHA-256 and writes atomically. Nothing happens at import.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

# SHA-256 of the *decompressed* IDX files. Checking the content rather than the .gz makes one table serve
# the official download and Debian's re-compressed copy alike.
FILES = {
    "train": {
        "images": ("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "labels": ("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    },
    "test": {
        "images": ("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        "labels": ("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    },
}

_HOW_TO_GET = (
    "Get Fashion-MNIST in one of these ways: let unsup download it (needs the network; "
    "load_fashion_mnist(download=True)); on Debian or Ubuntu run `sudo apt-get install dataset-fashion-mnist`; "
    "or put the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz (from https://github.com/zalandoresearch/fashion-mnist) in a folder and pass "
    "root=... or set UNSUP_DATA to it."
)


class DataError(RuntimeError):
    """A data file is missing, truncated, corrupt or not what it claims to be."""


# --- IDX files -------------------------------------------------------------------------------------------

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed if it is gzip (by magic bytes, not by name)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as e:  # truncated or damaged gzip stream
            raise DataError(f"{path}: not a readable gzip file ({e}). Delete it and get it again. "
                            + _HOW_TO_GET) from e
    return raw


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the IDX format: two zero bytes, a type code, the number of dimensions, the sizes, the values."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(f"{name}: wrong magic number {data[:4].hex() or 'none'}; this is not an IDX file.")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes).")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{name}: IDX header announces shape {shape} ({expected} bytes) but the file has "
                        f"{len(data)} bytes; it is truncated or corrupt. Delete it and get it again.")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip). With ``sha256``, the decompressed content must match it."""
    path = Path(path)
    data = _read_bytes(path)
    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            raise DataError(f"{path}: SHA-256 of its content is {digest}, expected {sha256}; the file is "
                            "corrupt or not the official one. Delete it and get it again. " + _HOW_TO_GET)
    return parse_idx(data, str(path))


# --- finding and downloading ------------------------------------------------------------------------------

def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "unsup"


def _candidates(root) -> list[Path]:
    dirs = []
    if root is not None:
        dirs.append(Path(root))
    if os.environ.get("UNSUP_DATA"):
        dirs.append(Path(os.environ["UNSUP_DATA"]))
    dirs += [user_cache_dir() / "fashion-mnist", DEBIAN_DIR]
    return dirs


def _find(stem: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        for name in (stem + ".gz", stem):
            if (d / name).is_file():
                return d / name
    return None


def download(url: str, dest: str | os.PathLike, sha256: str, *, timeout: float = 60.0) -> Path:
    """Fetch ``url`` to ``dest``, verified and atomic.

    The bytes go to a temporary file beside ``dest``; only when the SHA-256 of the (decompressed)
    content matches is it renamed over ``dest``. A failed or mismatching download leaves ``dest`` as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        read_idx(tmp, sha256)  # raises DataError on a bad file
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as e:
        raise DataError(f"could not download {url}: {e}. " + _HOW_TO_GET) from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def fashion_mnist_path(split: str, kind: str, root=None, download_missing: bool = True,
                       base_url: str = BASE_URL) -> Path:
    """The path of one Fashion-MNIST file, downloading it into the user cache if no folder has it."""
    stem, sha = FILES[split][kind]
    found = _find(stem, _candidates(root))
    if found is not None:
        return found
    if not download_missing:
        raise DataError(f"{stem}.gz not found in {[str(d) for d in _candidates(root)]}. " + _HOW_TO_GET)
    return download(base_url + stem + ".gz", user_cache_dir() / "fashion-mnist" / (stem + ".gz"), sha)


def load_fashion_mnist(split: str = "train", root=None, *, download: bool = True,
                       base_url: str = BASE_URL) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as tensors: images ``float32 (N, 1, 28, 28)`` in [0, 1], labels ``int64 (N,)``.

    ``split`` is ``"train"`` (60,000) or ``"test"`` (10,000). Class names are ``unsup.data.CLASSES``.
    Every file is checked against its SHA-256, wherever it was found.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    out = []
    for kind in ("images", "labels"):
        path = fashion_mnist_path(split, kind, root, download, base_url)
        out.append(read_idx(path, FILES[split][kind][1]))
    images, labels = out
    # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [0, 1]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{split}: {x.shape[0]} images but {y.shape[0]} labels.")
    return x, y


# --- batches ----------------------------------------------------------------------------------------------

class TensorLoader:
    """Mini-batches sliced from tensors that stay where they are (CPU or GPU): the book's input pipeline.

    Each pass draws a fresh permutation from its own seeded generator, so two loaders with the same seed
    give the same batches, and ``state_dict`` lets interrupted training resume the same sequence.
    Indexing one tensor with a permutation is far cheaper than collating per-item samples.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int = 128, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0):
        if not tensors:
            raise ValueError("TensorLoader needs at least one tensor")
        n = tensors[0].shape[0]
        for t in tensors:
            if t.shape[0] != n:
                raise ValueError(f"all tensors need the same first dimension; got {[t.shape[0] for t in tensors]}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.tensors, self.n = tensors, n
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator:
        device = self.tensors[0].device
        if self.shuffle:
            order = torch.randperm(self.n, generator=self.generator).to(device)
        else:
            order = torch.arange(self.n, device=device)
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            batch = tuple(t[idx] for t in self.tensors)
            yield batch[0] if len(batch) == 1 else batch

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])


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


# --- 2-D toys for the GAN and ELBO chapters ---------------------------------------------------------------

def ring_centers(k: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The ``(k, 2)`` centres of ``k`` Gaussians evenly spaced on a circle."""
    angles = 2 * math.pi * torch.arange(k) / k
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def grid_centers(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """The ``(side*side, 2)`` centres of a square grid of Gaussians, centred on the origin."""
    ticks = (torch.arange(side) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


def _mixture(centers: torch.Tensor, n: int, std: float, generator) -> torch.Tensor:
    which = torch.randint(len(centers), (n,), generator=generator)
    return centers[which] + std * torch.randn(n, 2, generator=generator)


def ring_of_gaussians(n: int, k: int = 8, radius: float = 2.0, std: float = 0.02,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points from an equal mixture of ``k`` Gaussians on a ring (the usual mode-collapse test)."""
    return _mixture(ring_centers(k, radius), n, std, generator)


def grid_of_gaussians(n: int, side: int = 5, spacing: float = 2.0, std: float = 0.05,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points from an equal mixture of ``side*side`` Gaussians on a grid."""
    return _mixture(grid_centers(side, spacing), n, std, generator)


def two_moons(n: int, noise: float = 0.1, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points on two interleaved half circles, with Gaussian noise of std ``noise``."""
    upper = torch.rand(n, generator=generator) < 0.5
    t = math.pi * torch.rand(n, generator=generator)
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    return torch.stack([x, y], dim=1) + noise * torch.randn(n, 2, generator=generator)
