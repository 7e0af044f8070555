"""Seconds per epoch of the reference VAE (784-400-20 MLP, Bernoulli decoder, batch 128, Adam 1e-3), measured
interleaved, because one-shot timings on a shared machine swing by 2x:

1. ``shared``: ``unsup.train.fit`` (one epoch per call, the whole call timed) with its ``TensorLoader``;
2. ``bare``: the same model, loss, optimiser and ``TensorLoader`` in a bare ``for batch in loader`` loop, so
   the ratio shared/bare is the cost of the shared loop itself (caching off, logging, divergence checks);
3. optionally (``--dataloader``) a bare loop over a ``torch.utils.data.DataLoader`` of a per-item
   ``Dataset`` (the usual tutorial);
4. the floor this machine sets: the FLOPs of one epoch of training (counted by torch's FlopCounterMode)
   divided by the fp32 matmul rate measured here.

After one warm-up epoch each, the pipelines take turns, one epoch at a time, for ``--rounds`` rounds (the
order flips every round, so a drift in machine load hits both alike). Printed: median and spread (IQR and
min-max) of seconds per epoch, the ratio of medians and the median (and min-max) of the per-round ratios,
and the test loss each model reaches after the same epochs, so a faster loop cannot hide a different
optimisation. Run: ``make bench`` or ``.venv/bin/python benchmarks/train_throughput.py --rounds 5``.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def bare_epoch(model, opt, loader, device) -> None:
    """One epoch of the plainest loop: forward, backward, step."""
    model.train()
    for batch in loader:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        loss, _ = vae_loss(model, x.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def shared_epoch(model, opt, loader, device) -> None:
    train.fit(model, vae_loss, loader, epochs=1, optimizer=opt, verbose=False, progress=False)


def timed(fn, *args, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn(*args, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def quartiles(s: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(s, n=4, method="inclusive")
    return q1, q2, q3


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
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs per pipeline, interleaved (>= 5)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-train", type=int, default=None,
                        help="time epochs over the first N training images (default: all 60000)")
    parser.add_argument("--dataloader", action="store_true", help="also time a DataLoader of a per-item Dataset")
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 to give a spread (5 or more for a trustworthy median)")
    os.environ.setdefault("UNSUP_PROGRESS", "0")
    device = unsup.get_device()
    x, y = data.load_fashion_mnist("train")
    x_test, _ = data.load_fashion_mnist("test")
    if args.n_train is not None:
        x, y = x[: args.n_train], y[: args.n_train]
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{len(x)} training images, batch {args.batch_size}, 1 warm-up + {args.rounds} timed epochs each, "
          "interleaved")

    pipelines = {}
    for name, epoch_fn in (("shared: unsup.train.fit + TensorLoader", shared_epoch),
                           ("bare loop + the same TensorLoader", bare_epoch)):
        model = make_model(0, device)
        loader = data.TensorLoader(x.to(device), batch_size=args.batch_size, seed=0)
        pipelines[name] = (epoch_fn, model, torch.optim.Adam(model.parameters(), lr=1e-3), loader)
    if args.dataloader:
        model = make_model(0, device)
        dl = DataLoader(PerItem(x, y), batch_size=args.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
        pipelines["bare loop + DataLoader(per-item Dataset)"] = (
            bare_epoch, model, torch.optim.Adam(model.parameters(), lr=1e-3), dl)

    names = list(pipelines)
    for name in names:  # warm-up: allocator, thread pools, first-call costs
        epoch_fn, model, opt, loader = pipelines[name]
        timed(epoch_fn, model, opt, loader, device=device)
    seconds: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            epoch_fn, model, opt, loader = pipelines[name]
            seconds[name].append(timed(epoch_fn, model, opt, loader, device=device))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{n.split(':')[0].split(' +')[0]} {seconds[n][-1]:.2f} s"
                                                         for n in names), flush=True)
    losses = {n: test_loss(pipelines[n][1], x_test, device) for n in names}

    flops = flops_per_epoch(len(x), args.batch_size, device)
    rate = matmul_rate(device)
    floor = flops / rate

    header = (f"{'pipeline':42s} {'median s/epoch':>14s} {'IQR (q1-q3)':>13s} {'min-max':>13s} "
              f"{'test loss':>10s}")
    print(header)
    print("-" * len(header))
    for n in names:
        q1, med, q3 = quartiles(seconds[n])
        print(f"{n:42s} {med:14.2f} {f'{q1:.2f}-{q3:.2f}':>13s} "
              f"{f'{min(seconds[n]):.2f}-{max(seconds[n]):.2f}':>13s} {losses[n]:10.2f}")
    print("every epoch, in the order timed: " + "; ".join(
        f"{n.split(':')[0].split(' +')[0]}: {' '.join(f'{s:.2f}' for s in seconds[n])}" for n in names))
    shared, bare = seconds[names[0]], seconds[names[1]]
    per_round = [a / b for a, b in zip(shared, bare)]
    ratio = statistics.median(shared) / statistics.median(bare)
    print(f"shared/bare: ratio of medians {ratio:.3f}; per-round ratios median {statistics.median(per_round):.3f} "
          f"(min-max {min(per_round):.3f}-{max(per_round):.3f}); target <= 1.05: "
          f"{'met' if ratio <= 1.05 else 'NOT met'}")
    print(f"floor: {flops / 1e9:.1f} GFLOP per epoch / {rate / 1e9:.1f} GFLOP/s fp32 matmul = {floor:.2f} s/epoch; "
          f"shared/floor = {statistics.median(shared) / floor:.2f}")
    print("test loss: negative ELBO in nats per image (Bernoulli on intensities, summed over 784 pixels, plus KL), "
          f"after {args.rounds + 1} epochs")


if __name__ == "__main__":
    main()
