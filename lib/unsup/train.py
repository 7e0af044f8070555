"""One training loop for the whole book, with a checkpoint cache keyed by the model's config.

``fit(model, loss_fn, data, epochs=..., cache=config)`` trains, or loads what an earlier run trained with
the same config. The cache entry is written atomically after every epoch, so training cut off mid-way
(a Colab disconnect, Ctrl-C) resumes from the last finished epoch. A corrupt entry is reported, moved
aside and retrained; it never stops the chapter.

``loss_fn(model, batch) -> (loss, logs)``: ``loss`` is the scalar to minimise, ``logs`` a dict of scalar
tensors to record (per-example means, named by the caller). For algorithms with their own update
(a GAN's alternating steps), pass ``step_fn(model, batch, optimizers) -> logs`` instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

LossFn = Callable[[nn.Module, object], tuple[torch.Tensor, Mapping[str, torch.Tensor]]]
StepFn = Callable[[nn.Module, object, dict], Mapping[str, torch.Tensor]]


@dataclass
class History:
    """Per-epoch means of every logged value: ``train["loss"][e]``, ``val["loss"][e]``."""

    train: dict[str, list[float]] = field(default_factory=dict)
    val: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    from_cache: bool = False

    @property
    def epochs(self) -> int:
        return len(self.seconds)

    def append(self, split: str, logs: Mapping[str, float]) -> None:
        for k, v in logs.items():
            getattr(self, split).setdefault(k, []).append(float(v))

    def state_dict(self) -> dict:
        return {"train": self.train, "val": self.val, "seconds": self.seconds}

    @classmethod
    def from_state(cls, state: dict, from_cache: bool = False) -> History:
        return cls(dict(state["train"]), dict(state["val"]), list(state["seconds"]), from_cache)


class Callback:
    """Hooks into ``fit``. Return ``True`` from ``on_epoch_end`` to stop training early.

    A callback whose results a chapter shows (snapshots) keeps them in ``state_dict`` so that they are
    cached with the model and come back when the model is loaded instead of trained.
    """

    def on_epoch_end(self, epoch: int, model: nn.Module, history: History) -> bool | None:
        return None

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` (e.g. ``"val/loss"``) has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val/loss", patience: int = 3, min_delta: float = 0.0):
        self.split, self.key = monitor.split("/", 1)
        self.patience, self.min_delta = patience, min_delta
        self.best, self.bad_epochs = math.inf, 0

    def on_epoch_end(self, epoch, model, history):
        value = getattr(history, self.split)[self.key][-1]
        if value < self.best - self.min_delta:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def state_dict(self):
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state):
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]


class Snapshot(Callback):
    """Record ``fn(model)`` (a tensor, e.g. samples from fixed noise) every ``every`` epochs, on the CPU."""

    def __init__(self, fn: Callable[[nn.Module], torch.Tensor], every: int = 1):
        self.fn, self.every = fn, every
        self.epochs: list[int] = []
        self.values: list[torch.Tensor] = []

    def on_epoch_end(self, epoch, model, history):
        if (epoch + 1) % self.every == 0:
            was_training = model.training
            model.eval()
            with torch.no_grad():
                self.values.append(self.fn(model).detach().cpu())
            model.train(was_training)
            self.epochs.append(epoch + 1)

    def state_dict(self):
        return {"epochs": self.epochs, "values": self.values}

    def load_state_dict(self, state):
        self.epochs, self.values = list(state["epochs"]), list(state["values"])


# --- the cache --------------------------------------------------------------------------------------------

def cache_dir() -> Path:
    """Where trained models live: ``$UNSUP_CACHE``, else ``<user cache>/unsup/checkpoints``."""
    if os.environ.get("UNSUP_CACHE"):
        return Path(os.environ["UNSUP_CACHE"])
    from .data import user_cache_dir

    return user_cache_dir() / "checkpoints"


def _settings(model: nn.Module) -> dict:
    """The plain attributes of every submodule (a decoder's ``sigma``, a likelihood's name): they change
    results without changing ``repr`` or any weight's shape. ``training`` is a mode, not a setting."""
    plain = (bool, int, float, str, type(None))
    out = {}
    for name, m in model.named_modules():
        attrs = {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training"
                 and (isinstance(v, plain) or (isinstance(v, tuple) and all(isinstance(e, plain) for e in v)))}
        if attrs:
            out[name or "."] = attrs
    return out


def cache_key(model: nn.Module, config: Mapping, epochs: int) -> str:
    """A hash of everything that changes the result: the model's class and architecture, the config
    (data, optimiser, seed: the caller names them), the number of epochs and the package version."""
    from . import __version__

    blob = json.dumps({
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "architecture": repr(model),
        "settings": _settings(model),
        "parameters": {k: list(v.shape) for k, v in model.state_dict().items()},
        "config": config,
        "epochs": epochs,
        "unsup": __version__,
    }, sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def atomic_save(obj, path: Path) -> None:
    """``torch.save`` to a temporary file, then rename: a reader never sees half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _set_aside(path: Path, why: str) -> None:
    """Move an unusable cache entry out of the way (kept for inspection, never deleted) and say so."""
    aside = path.with_name(path.name + f".corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists():  # never overwrite an earlier one
        aside, n = aside.with_name(f"{aside.name.split('~')[0]}~{n}"), n + 1
    os.replace(path, aside)
    warnings.warn(f"checkpoint {path} {why}; moved it to {aside} and training from scratch.", stacklevel=4)


def _load_entry(path: Path, model: nn.Module) -> dict | None:
    """The cached checkpoint, already loaded into ``model``, or None if there is none or it is unusable."""
    if not path.exists():
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(entry, dict) or {"model", "epoch", "history"} - entry.keys():
            raise ValueError("missing fields")
    except Exception as e:  # noqa: BLE001 - any unreadable entry is treated the same way
        _set_aside(path, f"could not be read ({type(e).__name__}: {e})")
        return None
    try:
        model.load_state_dict(entry["model"])
    except RuntimeError as e:  # same key, different weights: a stale entry
        _set_aside(path, f"does not fit the model (stale: {str(e).splitlines()[0]})")
        return None
    return entry


# --- the loop ---------------------------------------------------------------------------------------------

def _progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    if os.environ.get("UNSUP_PROGRESS") is not None:
        return os.environ["UNSUP_PROGRESS"] not in ("0", "", "false")
    return not os.environ.get("CI")


def _to(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to(b, device) for b in batch)
    return batch


def _mean_logs(sums: dict[str, torch.Tensor], count: int) -> dict[str, float]:
    # One device->host transfer per epoch: the running sums stay on the device during the epoch.
    if not sums:
        return {}
    keys = list(sums)
    values = torch.stack([sums[k].float() for k in keys]).div(count).tolist()
    return dict(zip(keys, values))


def evaluate(model: nn.Module, loss_fn: LossFn, data: Iterable, device=None) -> dict[str, float]:
    """Mean of ``loss`` and every log over ``data``, in eval mode, without gradients."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    n = 0
    with torch.no_grad():
        for batch in data:
            loss, logs = loss_fn(model, _to(batch, device))
            for k, v in {"loss": loss, **logs}.items():
                sums[k] = sums.get(k, 0) + v.detach()
            n += 1
    model.train(was_training)
    return _mean_logs(sums, n)


def fit(model: nn.Module, loss_fn: LossFn | None, data: Iterable, *, epochs: int,
        optimizer: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] | None = None,
        lr: float = 1e-3, val_data: Iterable | None = None, callbacks: Iterable[Callback] = (),
        clip_grad_norm: float | None = None, step_fn: StepFn | None = None,
        cache: Mapping | None = None, progress: bool | None = None, desc: str | None = None,
        verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``data`` and return the per-epoch history.

    ``optimizer`` defaults to Adam(lr); with ``step_fn`` it may be a dict of optimisers (GAN: D and G).
    ``cache`` is the config that, with the model's architecture, keys the checkpoint: same config,
    same model, no retraining. ``None`` turns caching off. The model is moved to nothing: put it (and
    ``data``) on the device first; batches follow the model's device.
    """
    if (loss_fn is None) == (step_fn is None):
        raise ValueError("fit needs exactly one of loss_fn (the usual loss.backward step) or step_fn")
    device = next(model.parameters()).device
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    optimizers = dict(optimizer) if isinstance(optimizer, Mapping) else {"opt": optimizer}
    callbacks = list(callbacks)
    history = History()
    start_epoch = 0
    name = desc or type(model).__name__

    path = None
    if cache is not None:
        path = cache_dir() / f"{type(model).__name__}-{cache_key(model, dict(cache), epochs)}.pt"
        entry = _load_entry(path, model)
        if entry is not None:
            history = History.from_state(entry["history"])
            for cb, state in zip(callbacks, entry.get("callbacks", [])):
                cb.load_state_dict(state)
            if entry.get("complete"):
                history.from_cache = True
                model.eval()
                if verbose:
                    print(f"{name}: loaded from the cache ({history.epochs} epochs, "
                          f"{sum(history.seconds):.1f} s of training when it was made)")
                return history
            for k, opt in optimizers.items():
                opt.load_state_dict(entry["optimizers"][k])
            if hasattr(data, "load_state_dict") and "data" in entry:
                data.load_state_dict(entry["data"])
            if "rng" in entry:
                torch.set_rng_state(entry["rng"])
            start_epoch = entry["epoch"]
            if verbose:
                print(f"{name}: resuming from epoch {start_epoch} of {epochs}")

    def save(epoch: int, complete: bool) -> None:
        if path is None:
            return
        atomic_save({
            "model": model.state_dict(), "epoch": epoch, "complete": complete,
            "history": history.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
            "callbacks": [cb.state_dict() for cb in callbacks],
            "data": data.state_dict() if hasattr(data, "state_dict") else {},
            "rng": torch.get_rng_state(),
        }, path)

    show = _progress_enabled(progress)
    if show:
        from tqdm.auto import tqdm
    params = [p for g in (o.param_groups for o in optimizers.values()) for group in g for p in group["params"]]
    model.train()
    stopped = False
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        sums: dict[str, torch.Tensor] = {}
        steps = 0
        bar = tqdm(total=len(data) if hasattr(data, "__len__") else None, desc=f"{name} {epoch + 1}/{epochs}",
                   leave=False, file=sys.stderr) if show else None
        for batch in data:
            batch = _to(batch, device)
            if step_fn is not None:
                logs = dict(step_fn(model, batch, optimizers))
            else:
                opt = optimizers["opt"]
                loss, logs = loss_fn(model, batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
                opt.step()
                logs = {"loss": loss, **logs}
            for k, v in logs.items():
                sums[k] = sums.get(k, 0) + v.detach()  # stays on the device: no sync per step
            steps += 1
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        if steps == 0:
            raise ValueError("the training data yielded no batch")
        history.append("train", _mean_logs(sums, steps))
        if val_data is not None and loss_fn is not None:
            history.append("val", evaluate(model, loss_fn, val_data, device))
        history.seconds.append(time.perf_counter() - t0)
        for cb in callbacks:
            stopped = bool(cb.on_epoch_end(epoch, model, history)) or stopped
        done = stopped or epoch + 1 == epochs
        save(epoch + 1, complete=done)
        if show or (verbose and done):
            last = {f"train {k}": v[-1] for k, v in history.train.items()}
            last.update({f"val {k}": v[-1] for k, v in history.val.items()})
            text = ", ".join(f"{k} {v:.4g}" for k, v in list(last.items())[:4])
            print(f"{name}: epoch {epoch + 1}/{epochs} ({history.seconds[-1]:.1f} s): {text}")
        if stopped:
            break
    model.eval()
    return history
