"""Seconds per epoch of the reference VAE (784-400-20 MLP, Bernoulli decoder, batch 128, Adam 1e-3):

1. through ``unsup.train.fit`` with its tensor-resident ``TensorLoader``;
2. through a bare loop over a ``torch.utils.data.DataLoader`` of a per-item ``Dataset`` (the usual tutorial);
3. the floor this machine sets: the FLOPs of one epoch of training (counted by torch's FlopCounterMode)
   divided by the fp32 matmul rate measured here.

It also prints the test loss (negative ELBO, nats per image) each reaches after the same epochs, so a
faster loop cannot hide a different optimisation. Run: ``make bench`` or
``.venv/bin/python benchmarks/train_throughput.py --epochs 3``.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

import unsup
from unsup import data, train
from unsup.vae import MLPVAE, vae_loss


class PerItem(Dataset):
    """The tutorial pipeline: one example at a time, collated into batches by the DataLoader."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def make_model(seed: int, device) -> MLPVAE:
    unsup.seed_everything(seed)
    return MLPVAE(x_dim=784, hidden=(400,), z_dim=20, likelihood="bernoulli").to(device)


def test_loss(model, x_test, device) -> float:
    return train.evaluate(model, vae_loss, data.TensorLoader(x_test.to(device), batch_size=1000,
                                                             shuffle=False))["loss"]


def bare_loop(model, loader, epochs, device) -> list[float]:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for x, _y in loader:
            x = x.to(device)
            loss, _ = vae_loss(model, x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - t0)
    model.eval()
    return seconds


def matmul_rate(device, n: int = 2048, repeats: int = 10) -> float:
    """Measured fp32 FLOP/s of a large square matmul: the best case for this machine's BLAS."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - t0)


def flops_per_epoch(n_train: int, batch: int, device) -> float:
    model = make_model(0, device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28, device=device)
    with FlopCounterMode(display=False) as counter:
        loss, _ = vae_loss(model, x)
        loss.backward()
        opt.step()
    return counter.get_total_flops() * n_train / batch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("UNSUP_PROGRESS", "0")
    device = unsup.get_device()
    x, y = data.load_fashion_mnist("train")
    x_test, _ = data.load_fashion_mnist("test")
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{len(x)} training images, batch {args.batch_size}, {args.epochs} epochs")

    # 1. unsup.train with the tensor-resident loader
    model = make_model(0, device)
    loader = data.TensorLoader(x.to(device), batch_size=args.batch_size, seed=0)
    h = train.fit(model, vae_loss, loader, epochs=args.epochs, verbose=False)
    ours, ours_loss = h.seconds, test_loss(model, x_test, device)

    # 2. the bare tutorial loop over a DataLoader of a per-item Dataset
    model = make_model(0, device)
    dl = DataLoader(PerItem(x, y), batch_size=args.batch_size, shuffle=True,
                    generator=torch.Generator().manual_seed(0))
    bare = bare_loop(model, dl, args.epochs, device)
    bare_loss = test_loss(model, x_test, device)

    # 3. the floor
    flops = flops_per_epoch(len(x), args.batch_size, device)
    rate = matmul_rate(device)
    floor = flops / rate

    def steady(s):  # the first epoch pays for warm-up; report the best later one when there is one
        return min(s[1:]) if len(s) > 1 else s[0]

    print(f"{'pipeline':44s} {'s/epoch (each)':>24s} {'best':>7s} {'test loss':>10s}")
    print(f"{'unsup.train.fit + TensorLoader':44s} {' '.join(f'{s:.2f}' for s in ours):>24s} "
          f"{steady(ours):7.2f} {ours_loss:10.2f}")
    print(f"{'bare loop + DataLoader(per-item Dataset)':44s} {' '.join(f'{s:.2f}' for s in bare):>24s} "
          f"{steady(bare):7.2f} {bare_loss:10.2f}")
    print(f"floor: {flops / 1e9:.1f} GFLOP per epoch / {rate / 1e9:.1f} GFLOP/s fp32 matmul = {floor:.2f} s/epoch")
    print(f"ratios: unsup/bare = {steady(ours) / steady(bare):.2f}, unsup/floor = {steady(ours) / floor:.2f}, "
          f"bare/floor = {steady(bare) / floor:.2f}")
    print("test loss: negative ELBO in nats per image (Bernoulli on intensities, summed over 784 pixels, plus KL)")


if __name__ == "__main__":
    main()
