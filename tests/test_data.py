"""unsup.data: IDX parsing, the real files, corrupt files, verified downloads, the batch iterator, 2-D toys."""

import gzip
import hashlib
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from unsup import data
from unsup.data import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in the IDX format (the format of the MNIST family's files)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny_set(tmp_path):
    """A generated 'Fashion-MNIST' with 5 train and 3 test images, gzipped like the real one."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, (5,)),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, (3,)),
    }
    folder = tmp_path / "tiny"
    folder.mkdir()
    sums = {}
    for stem, a in arrays.items():
        raw = idx_bytes(a)
        (folder / (stem + ".gz")).write_bytes(gzip.compress(raw))
        sums[stem] = hashlib.sha256(raw).hexdigest()
    files = {split: {kind: (stem, sums[stem]) for kind, (stem, _) in kinds.items()}
             for split, kinds in data.FILES.items()}
    return folder, arrays, files


def test_parse_idx_roundtrip():
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(data.parse_idx(idx_bytes(a)), a)


@pytest.mark.parametrize("bad, message", [
    (b"\x00\x01\x08\x01" + bytes(8), "magic"),          # wrong magic
    (b"PK\x03\x04" + bytes(20), "magic"),                # a zip file, say
    (idx_bytes(np.zeros((4, 2, 2)))[:-3], "truncated"),  # short body
    (idx_bytes(np.zeros((4, 2, 2))) + b"xx", "corrupt"),  # trailing junk
    (b"\x00\x00\x08\x03\x00", "truncated"),              # short header
])
def test_parse_idx_rejects_bad_files(bad, message):
    with pytest.raises(DataError, match=message):
        data.parse_idx(bad, "somefile")


def test_load_tiny_generated_files(tiny_set, monkeypatch):
    folder, arrays, files = tiny_set
    monkeypatch.setattr(data, "FILES", files)
    x, y = data.load_fashion_mnist("train", root=folder, download=False)
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (5,) and y.dtype == torch.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    torch.testing.assert_close(x[:, 0] * 255, torch.from_numpy(arrays["train-images-idx3-ubyte"]).float())
    xt, _ = data.load_fashion_mnist("test", root=folder, download=False)
    assert xt.shape == (3, 1, 28, 28)


def test_truncated_gzip_names_the_file(tiny_set, monkeypatch):
    folder, _, files = tiny_set
    monkeypatch.setattr(data, "FILES", files)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        data.load_fashion_mnist("train", root=folder, download=False)


def test_checksum_mismatch_is_reported(tiny_set, monkeypatch):
    folder, _, files = tiny_set
    files["train"]["labels"] = (files["train"]["labels"][0], "0" * 64)
    monkeypatch.setattr(data, "FILES", files)
    with pytest.raises(DataError, match="SHA-256"):
        data.load_fashion_mnist("train", root=folder, download=False)


def test_nothing_found_and_no_download_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("UNSUP_DATA", raising=False)
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        data.load_fashion_mnist("test", root=tmp_path / "empty", download=False)


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        data.load_fashion_mnist("validation")


# --- downloads from a local HTTP server ------------------------------------------------------------------

@pytest.fixture
def server(tiny_set):
    folder = tiny_set[0]

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(folder), **k)

        def log_message(self, *a):  # keep pytest's output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", tiny_set
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_loads(server, tmp_path, monkeypatch):
    url, (_, arrays, files) = server
    monkeypatch.setattr(data, "FILES", files)
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("UNSUP_DATA", raising=False)
    x, y = data.load_fashion_mnist("train", base_url=url)
    assert x.shape == (5, 1, 28, 28)
    np.testing.assert_array_equal(y.numpy(), arrays["train-labels-idx1-ubyte"])
    cached = tmp_path / "cache" / "unsup" / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_download_checksum_mismatch_keeps_the_good_file(server, tmp_path):
    url, (_, _, files) = server
    (tmp_path / "out").mkdir()
    dest = tmp_path / "out" / "train-labels-idx1-ubyte.gz"
    data.download(url + dest.name, dest, files["train"]["labels"][1])
    good = dest.read_bytes()
    with pytest.raises(DataError, match="SHA-256"):
        data.download(url + dest.name, dest, "f" * 64)
    assert dest.read_bytes() == good                       # not replaced by the bad download
    assert list(dest.parent.iterdir()) == [dest]              # and no temporary file left behind


def test_download_of_a_missing_url_is_a_clear_error(server, tmp_path):
    url, _ = server
    with pytest.raises(DataError, match="could not download"):
        data.download(url + "no-such-file.gz", tmp_path / "x.gz", "0" * 64)
    assert not (tmp_path / "x.gz").exists()


# --- the real files, when this machine has them ----------------------------------------------------------

def _have_real_data():
    return data._find(data.FILES["test"]["images"][0], data._candidates(None)) is not None


@pytest.mark.skipif(not _have_real_data(), reason="Fashion-MNIST is not on this machine")
def test_real_fashion_mnist():
    x, y = data.load_fashion_mnist("test", download=False)
    assert x.shape == (10000, 1, 28, 28) and y.shape == (10000,)
    assert torch.bincount(y).tolist() == [1000] * 10          # the test set is balanced
    assert y[:5].tolist() == [9, 2, 1, 1, 6]                   # Ankle boot, Pullover, Trouser, Trouser, Shirt
    assert len(data.CLASSES) == 10


# --- the batch iterator ----------------------------------------------------------------------------------

def test_tensor_loader_covers_every_example_once_per_epoch():
    x = torch.arange(10)
    loader = data.TensorLoader(x, batch_size=3, seed=1)
    assert len(loader) == 4
    for _ in range(2):
        seen = torch.cat(list(loader))
        assert sorted(seen.tolist()) == list(range(10))
    first, second = (torch.cat(list(loader)) for _ in range(2))
    assert not torch.equal(first, second)                     # a new permutation each pass


def test_tensor_loader_is_seeded_and_resumable():
    x, y = torch.arange(20), torch.arange(20) * 10
    a = data.TensorLoader(x, y, batch_size=4, seed=7)
    b = data.TensorLoader(x, y, batch_size=4, seed=7)
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        assert torch.equal(yb, xb * 10)
        assert torch.equal(xa, xb) and torch.equal(ya, xa * 10)
    state = a.state_dict()
    after = torch.cat([bx for bx, _ in a])
    a.load_state_dict(state)
    assert torch.equal(torch.cat([bx for bx, _ in a]), after)


def test_tensor_loader_drop_last_and_errors():
    loader = data.TensorLoader(torch.zeros(10, 2), batch_size=4, drop_last=True, shuffle=False)
    assert [b.shape[0] for b in loader] == [4, 4]
    with pytest.raises(ValueError, match="first dimension"):
        data.TensorLoader(torch.zeros(3), torch.zeros(4))


# --- 2-D toys --------------------------------------------------------------------------------------------

def test_ring_of_gaussians_lies_near_its_centres():
    g = torch.Generator().manual_seed(0)
    x = data.ring_of_gaussians(4000, k=8, radius=2.0, std=0.02, generator=g)
    centres = data.ring_centers(8, 2.0)
    d = torch.cdist(x, centres)
    assert (d.min(dim=1).values < 0.1).all()
    counts = torch.bincount(d.argmin(dim=1), minlength=8)
    assert (counts > 400).all()                               # each mode gets about 1/8 of the points
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))


def test_grid_and_moons_shapes():
    g = torch.Generator().manual_seed(0)
    assert data.grid_centers(5, 2.0).shape == (25, 2)
    assert data.grid_of_gaussians(100, generator=g).shape == (100, 2)
    moons = data.two_moons(1000, noise=0.0, generator=g)
    assert moons.shape == (1000, 2)
    # without noise every point is on one of the two unit half circles
    r_upper = moons.norm(dim=1)
    r_lower = (moons - torch.tensor([1.0, 0.5])).norm(dim=1)
    assert torch.minimum((r_upper - 1).abs(), (r_lower - 1).abs()).max() < 1e-5


def test_import_does_nothing():
    """Importing the package loads no torch, seeds nothing and downloads nothing."""
    code = "import sys, unsup; assert 'torch' not in sys.modules, 'import unsup imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)


def test_full_batch():
    x = torch.arange(6.0).view(3, 2)
    fb = data.FullBatch(x, steps=4)
    assert len(fb) == 4 and all(b is x for b in fb)
    assert isinstance(next(iter(data.FullBatch(x, x, steps=1))), tuple)
    with pytest.raises(ValueError, match="steps must be positive"):
        data.FullBatch(x, steps=0)
