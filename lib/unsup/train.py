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

import contextlib
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


# --- the code in the key ----------------------------------------------------------------------------------
# Editing a model's forward, a loss or a step function must retrain; re-running unchanged code (a new process,
# a re-executed notebook cell) must load. So the key hashes compiled code (bytecode, constants, names), never
# anything that moves between runs: memory addresses, file paths, line numbers (an edit above a function
# changes its line numbers, not its bytecode).

_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def _followed(obj, namespace: str) -> bool:
    """Code we hash rather than name: the package's own, and the caller's namespace (a notebook's ``__main__``)."""
    mod = getattr(obj, "__module__", None) or ""
    return mod == "unsup" or mod.startswith("unsup.") or mod == namespace or mod == "__main__"


def _followed_name(module: str, namespace: str) -> bool:
    return module in ("unsup", namespace, "__main__") or module.startswith("unsup.")


def _const(c, out: list, seen: dict, namespace: str, doc) -> None:
    if hasattr(c, "co_code"):
        _code(c, out, seen, namespace, None, None)
    elif isinstance(c, (tuple, list)):
        out.append(f"{type(c).__name__}[{len(c)}]")
        for e in c:
            _const(e, out, seen, namespace, None)
    elif isinstance(c, (frozenset, set)):  # string hashing is randomised per process: sort
        out.append("set:" + ",".join(sorted(repr(e) for e in c)))
    elif doc is not None and c == doc:
        out.append("<doc>")  # a docstring edit does not change results
    else:
        out.append(repr(c) if isinstance(c, _PLAIN) else type(c).__qualname__)


def _code(co, out: list, seen: dict, namespace: str, globals_: dict | None, doc) -> None:
    out.append(co.co_code.hex())
    out.append("names:" + ",".join(co.co_names))
    out.append("vars:" + ",".join(co.co_varnames) + "|" + ",".join(co.co_freevars))
    for c in co.co_consts:
        _const(c, out, seen, namespace, doc)
    if globals_ is None:
        return
    # the functions and classes this code calls by name, when they are ours or the caller's (recursively)
    for name in _all_names(co):
        value = globals_.get(name)
        if value is None or name.startswith("__"):  # `__name__` and friends name the namespace, not code
            continue
        if isinstance(value, type(sys)):  # a module: `elbo.gaussian_kl` names `elbo` and `gaussian_kl`
            if value.__name__ == "unsup" or value.__name__.startswith("unsup."):
                for attr in _all_names(co):
                    target = getattr(value, attr, None)
                    if target is not None and not isinstance(target, type(sys)) and callable(target):
                        out.append(f"{value.__name__}.{attr}")
                        _fingerprint(target, out, seen, namespace)
        elif callable(value) and _followed(value, namespace):
            out.append(f"global {name}")
            _fingerprint(value, out, seen, namespace)
        elif not isinstance(value, type(sys)) and _followed_name(globals_.get("__name__") or "", namespace):
            out.append(f"global {name}")  # a constant such as a notebook's BETA = 4 or a table of losses
            _value(value, out, seen, namespace)


def _all_names(co) -> list[str]:
    names = list(co.co_names)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            names += _all_names(c)
    return sorted(set(names))


def _fingerprint(obj, out: list, seen: dict, namespace: str) -> None:
    """Append to ``out`` a description of ``obj``'s code that is stable across processes."""
    import functools

    if id(obj) in seen:  # recursion (a function that calls itself) or already hashed
        out.append(f"<seen {seen[id(obj)]}>")
        return
    label = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"
    seen[id(obj)] = label
    seen.setdefault("_keep", []).append(obj)  # keep objects alive so ids are not reused during hashing
    out.append(label)
    if isinstance(obj, functools.partial):
        _fingerprint(obj.func, out, seen, namespace)
        for a in (*obj.args, *sorted(obj.keywords.items())):
            _value(a, out, seen, namespace)
        return
    if isinstance(obj, (staticmethod, classmethod)):
        _fingerprint(obj.__func__, out, seen, namespace)
        return
    if isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            if f is not None:
                _fingerprint(f, out, seen, namespace)
        return
    if hasattr(obj, "__func__") and hasattr(obj, "__self__"):  # a bound method: its function and its owner
        _fingerprint(obj.__func__, out, seen, namespace)
        _value(obj.__self__, out, seen, namespace)
        return
    if isinstance(obj, type):
        _class(obj, out, seen, namespace)
        return
    code = getattr(obj, "__code__", None)
    if code is not None:
        if not _followed(obj, namespace) and seen.get("_root") is not obj:
            return  # torch's or another library's function: its name is enough
        _code(code, out, seen, namespace, getattr(obj, "__globals__", None), getattr(obj, "__doc__", None))
        for d in (obj.__defaults__ or ()):
            _value(d, out, seen, namespace)
        for item in sorted((obj.__kwdefaults__ or {}).items()):
            _value(item, out, seen, namespace)
        for cell in (obj.__closure__ or ()):
            try:
                _value(cell.cell_contents, out, seen, namespace)
            except ValueError:  # an empty cell
                out.append("<empty cell>")
        if hasattr(obj, "__wrapped__"):
            _fingerprint(obj.__wrapped__, out, seen, namespace)
        return
    if callable(obj):  # an instance with __call__: its class and settings
        _value(obj, out, seen, namespace)


def _value(v, out: list, seen: dict, namespace: str) -> None:
    """A default, a closed-over value or a partial's argument."""
    if isinstance(v, _PLAIN):
        out.append(repr(v))
    elif isinstance(v, (tuple, list)):
        out.append(f"{type(v).__name__}[{len(v)}]")
        for e in v:
            _value(e, out, seen, namespace)
    elif isinstance(v, dict):
        out.append(f"dict[{len(v)}]")
        for k in sorted(v, key=repr):
            out.append(repr(k))
            _value(v[k], out, seen, namespace)
    elif isinstance(v, torch.Tensor):
        out.append(f"tensor{tuple(v.shape)}:{v.dtype}")
    elif isinstance(v, nn.Module):
        out.append(f"module {type(v).__qualname__}")
        _fingerprint(type(v), out, seen, namespace)
    elif callable(v) and (isinstance(v, type) or hasattr(v, "__code__") or hasattr(v, "__func__")
                          or type(v).__name__ == "partial"):
        _fingerprint(v, out, seen, namespace)
    elif callable(v):
        out.append(f"instance {type(v).__module__}.{type(v).__qualname__}")
        _fingerprint(type(v), out, seen, namespace)
        _value({k: x for k, x in vars(v).items() if isinstance(x, _PLAIN)} if hasattr(v, "__dict__") else {},
               out, seen, namespace)
    else:
        out.append(type(v).__qualname__)


def _class(cls: type, out: list, seen: dict, namespace: str) -> None:
    """A class's own code and that of its bases up to ``nn.Module``; other libraries' classes by name only."""
    for base in cls.__mro__:
        if base is object or base is nn.Module or not _followed(base, namespace):  # torch's, typing's: by name
            out.append(f"base {base.__module__}.{base.__qualname__}")
            continue
        out.append(f"class {base.__module__}.{base.__qualname__}")
        for attr in sorted(vars(base)):
            if attr in ("__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__firstlineno__",
                        "__static_attributes__", "__annotations__", "__parameters__", "__orig_bases__"):
                continue
            v = vars(base)[attr]
            out.append(attr)
            if isinstance(v, (staticmethod, classmethod, property)) or hasattr(v, "__code__"):
                if id(v) in seen:
                    out.append(f"<seen {seen[id(v)]}>")
                    continue
                seen[id(v)] = attr
                _fingerprint_member(v, out, seen, namespace)
            else:
                _value(v, out, seen, namespace)


def _fingerprint_member(v, out: list, seen: dict, namespace: str) -> None:
    if isinstance(v, (staticmethod, classmethod)):
        v = v.__func__
    if isinstance(v, property):
        for f in (v.fget, v.fset, v.fdel):
            if f is not None:
                _fingerprint_member(f, out, seen, namespace)
        return
    _code(v.__code__, out, seen, namespace, getattr(v, "__globals__", None), getattr(v, "__doc__", None))
    for d in (v.__defaults__ or ()):
        _value(d, out, seen, namespace)
    for cell in (v.__closure__ or ()):
        try:
            _value(cell.cell_contents, out, seen, namespace)
        except ValueError:
            out.append("<empty cell>")


def code_fingerprint(*objs) -> str:
    """A hash of the code behind ``objs`` (model classes, loss and step functions, partials): their bytecode,
    constants and names, and, recursively, the functions they call by name that live in ``unsup`` or in the
    caller's own namespace. Stable across processes; blind to line numbers, paths and addresses."""
    out: list[str] = []
    for obj in objs:
        if obj is None:
            continue
        seen: dict = {"_root": obj}
        namespace = getattr(obj, "__module__", None) or "__main__"
        _fingerprint(obj, out, seen, namespace)
    return hashlib.sha256("\n".join(out).encode()).hexdigest()


def cache_key(model: nn.Module, config: Mapping, epochs: int, code: Iterable = ()) -> str:
    """A hash of everything that changes the result: the model's class and architecture, the code of every
    class in ``model.modules()``, of ``code`` (the loss or step function) and of what they call in ``unsup``
    or their own namespace, the config (data, optimiser, seed: the caller names them), the number of epochs
    and the package version."""
    from . import __version__

    classes = sorted({type(m) for m in model.modules()}, key=lambda c: f"{c.__module__}.{c.__qualname__}")

    blob = json.dumps({
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "architecture": repr(model),
        "settings": _settings(model),
        "parameters": {k: list(v.shape) for k, v in model.state_dict().items()},
        "config": config,
        "epochs": epochs,
        "unsup": __version__,
        "code": code_fingerprint(*classes, *code),
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


class TrainingDiverged(FloatingPointError):
    """The loss or a logged value became NaN or infinite; nothing of that run was cached as complete."""


def _first_bad(steps_logs: list[dict[str, torch.Tensor]]) -> tuple[int, str, float] | None:
    """(step, name, value) of the first non-finite logged value of an epoch, or None. One sync, at the end."""
    where = [(step, k) for step, logs in enumerate(steps_logs) for k in logs]
    if not where:
        return None
    # every value of the epoch in one tensor, checked at once
    values = torch.stack([v.float().reshape(()) for logs in steps_logs for v in logs.values()])
    bad = ~torch.isfinite(values)
    if not bool(bad.any()):
        return None
    i = int(bad.nonzero()[0, 0])
    return where[i][0], where[i][1], float(values[i])


def _scheduler_key(scheduler) -> object:
    """What of a scheduler changes results: a factory's code, or an instance's class and plain settings."""
    if scheduler is None:
        return None
    if isinstance(scheduler, Mapping):
        return {k: _scheduler_key(v) for k, v in sorted(scheduler.items())}
    if hasattr(scheduler, "state_dict") and hasattr(scheduler, "step"):
        plain = (bool, int, float, str, type(None))
        return [type(scheduler).__qualname__,
                {k: v for k, v in scheduler.state_dict().items() if isinstance(v, plain)}]
    return code_fingerprint(scheduler)


def _rng_state(data, generator) -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    # a DataLoader's own generator (TensorLoader saves its generator through its state_dict)
    if not hasattr(data, "state_dict") and isinstance(getattr(data, "generator", None), torch.Generator):
        state["data_generator"] = data.generator.get_state()
    return state


def _set_rng_state(state: dict, data, generator) -> None:
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])
    if "data_generator" in state and isinstance(getattr(data, "generator", None), torch.Generator):
        data.generator.set_state(state["data_generator"])


def fit(model: nn.Module, loss_fn: LossFn | None, data: Iterable, *, epochs: int,
        optimizer: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] | None = None,
        lr: float = 1e-3, val_data: Iterable | None = None, callbacks: Iterable[Callback] = (),
        clip_grad_norm: float | None = None, step_fn: StepFn | None = None,
        scheduler=None, generator: torch.Generator | None = None,
        cache: Mapping | None = None, progress: bool | None = None, desc: str | None = None,
        verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``data`` and return the per-epoch history.

    ``optimizer`` defaults to Adam(lr); with ``step_fn`` it may be a dict of optimisers (GAN: D and G).
    ``scheduler``: a torch LR scheduler (or a dict of them, one per optimiser), or a factory
    ``f(optimizer) -> scheduler`` (given the dict of optimisers when there are several); it is stepped once
    per epoch and its state is cached, so a resumed run continues its schedule.
    ``generator``: a ``torch.Generator`` the loss or step function samples from (pass it to them yourself,
    e.g. with ``functools.partial``); its state is saved and restored on resume, like the global torch RNG,
    CUDA's and the data loader's generator.
    ``cache`` is the config that, with the model's architecture and the code of the model, loss and step
    function, keys the checkpoint: same config, same code, no retraining. ``None`` turns caching off. The model
    is moved to nothing: put it (and ``data``) on the device first; batches follow the model's device.

    A NaN or infinite loss or logged value raises ``TrainingDiverged`` naming the model, epoch and step;
    the epoch it happened in is not cached (an earlier finished epoch stays as a resume point).
    With ``step_fn``, ``clip_grad_norm`` and ``val_data`` are refused: the step function makes its own
    updates (clip inside it), and validation needs a ``loss_fn`` (use ``evaluate`` in a callback).
    """
    if (loss_fn is None) == (step_fn is None):
        raise ValueError("fit needs exactly one of loss_fn (the usual loss.backward step) or step_fn")
    if step_fn is not None and clip_grad_norm is not None:
        raise ValueError("fit(step_fn=...) makes no optimiser step of its own, so it cannot clip: call "
                         "torch.nn.utils.clip_grad_norm_ inside your step_fn, or drop clip_grad_norm")
    if step_fn is not None and val_data is not None:
        raise ValueError("fit(step_fn=...) has no loss to evaluate val_data with: drop val_data, or evaluate "
                         "in a Callback with unsup.train.evaluate(model, loss_fn, val_data)")
    if _CACHED_ONLY and cache is None:
        raise NotCached(f"{desc or type(model).__name__}: fit(cache=None) is never cached")
    device = next(model.parameters()).device
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    optimizers = dict(optimizer) if isinstance(optimizer, Mapping) else {"opt": optimizer}
    schedulers: dict = {}
    if scheduler is not None:
        if not (isinstance(scheduler, Mapping) or hasattr(scheduler, "step")):  # a factory
            scheduler = scheduler(optimizer)
        schedulers = dict(scheduler) if isinstance(scheduler, Mapping) else {"sched": scheduler}
        for k, sch in schedulers.items():
            if not (hasattr(sch, "step") and hasattr(sch, "state_dict")):
                raise TypeError(f"scheduler {k!r} is a {type(sch).__name__}, not an LR scheduler: pass "
                                "torch.optim.lr_scheduler.X(optimizer, ...) or a factory lambda opt: X(opt, ...)")
    callbacks = list(callbacks)
    history = History()
    start_epoch = 0
    name = desc or type(model).__name__

    path = None
    if cache is not None:
        config = dict(cache)
        if schedulers:
            config = {**config, "_scheduler": _scheduler_key(schedulers)}
        path = cache_dir() / f"{type(model).__name__}-{cache_key(model, config, epochs, (loss_fn, step_fn))}.pt"
        entry = _load_entry(path, model)
        if _CACHED_ONLY and not (entry is not None and entry.get("complete")):
            raise NotCached(f"{name}: not in the cache ({path.name})")
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
            for k, sch in schedulers.items():
                sch.load_state_dict(entry.get("schedulers", {})[k])
            if hasattr(data, "load_state_dict") and "data" in entry:
                data.load_state_dict(entry["data"])
            rng = entry.get("rng")
            _set_rng_state(rng if isinstance(rng, dict) else {"torch": rng} if rng is not None else {},
                           data, generator)
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
            "schedulers": {k: sch.state_dict() for k, sch in schedulers.items()},
            "callbacks": [cb.state_dict() for cb in callbacks],
            "data": data.state_dict() if hasattr(data, "state_dict") else {},
            "rng": _rng_state(data, generator),
        }, path)

    def diverged(epoch: int, where: str, key: str, value: float) -> TrainingDiverged:
        return TrainingDiverged(
            f"{name}: training diverged at epoch {epoch + 1} of {epochs}, {where}: {key} = {value}. "
            "Nothing of this epoch was cached (an earlier finished epoch stays as a resume point). "
            "Try a lower learning rate, clip_grad_norm=..., or look for log(0) or a division by zero in the loss.")

    show = _progress_enabled(progress)
    if show:
        from tqdm.auto import tqdm
    params = [p for g in (o.param_groups for o in optimizers.values()) for group in g for p in group["params"]]
    model.train()
    stopped = False
    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        sums: dict[str, torch.Tensor] = {}
        # every step's logs, kept as device tensors (no sync per step) to name the step that went non-finite
        trace: list[dict[str, torch.Tensor]] = []
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
            logs = {k: v.detach() for k, v in logs.items()}
            trace.append(logs)
            for k, v in logs.items():
                sums[k] = sums.get(k, 0) + v  # stays on the device: no sync per step
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        if not trace:
            raise ValueError("the training data yielded no batch")
        bad = _first_bad(trace)
        if bad is not None:
            step, key, value = bad
            raise diverged(epoch, f"step {step + 1} of {len(trace)}", key, value)
        if params and not bool(torch.stack([torch.isfinite(p).all() for p in params]).all()):  # a step overflowed
            raise diverged(epoch, f"after step {len(trace)}", "a parameter", math.nan)
        history.append("train", _mean_logs(sums, len(trace)))
        if val_data is not None:
            val = evaluate(model, loss_fn, val_data, device)
            for k, v in val.items():
                if not math.isfinite(v):
                    raise diverged(epoch, "in validation", f"val {k}", v)
            history.append("val", val)
        for sch in schedulers.values():
            sch.step()
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


# --- many cached runs on several cores ---------------------------------------------------------------------

class NotCached(LookupError):
    """Raised by ``fit`` inside ``cached_only()`` where it would have to train."""


_CACHED_ONLY = False


@contextlib.contextmanager
def cached_only():
    """Within this block ``fit`` loads finished runs from the cache and raises ``NotCached`` for the rest."""
    global _CACHED_ONLY
    before, _CACHED_ONLY = _CACHED_ONLY, True
    try:
        yield
    finally:
        _CACHED_ONLY = before


def _one_thread() -> None:
    torch.set_num_threads(1)


def _train_only(fn: Callable, kwargs: Mapping) -> None:
    fn(**kwargs)  # the result reaches the parent through the cache, not through a pickle


def run_all(fn: Callable, calls: Iterable[Mapping], *, processes: int | None = None) -> list:
    """``[fn(**kw) for kw in calls]``, with the training they need spread over the CPU's cores.

    Small models (the ring's MLP GANs) use one core no faster than two, so independent runs are better
    trained side by side: calls whose ``fit`` is not yet cached are first run in ``processes`` worker
    processes at one thread each (default: one per available core), then every call is made here, loading
    from the cache. Results are the same as running the calls one after another, except for
    floating-point rounding that the number of threads may change. ``fn`` must train through
    ``fit(cache=...)``, seed itself, and be importable by name (defined in a module, not in a notebook: the
    workers are started fresh, which is safe after OpenMP and CUDA are in use). On a GPU, or with
    ``processes=1``, the calls simply run here in turn.
    """
    calls = [dict(kw) for kw in calls]
    results: dict[int, object] = {}
    missing = []
    with cached_only():
        for i, kw in enumerate(calls):
            try:
                results[i] = fn(**kw)
            except NotCached:
                missing.append(i)
    if processes is None:
        processes = 1 if torch.cuda.is_available() else len(os.sched_getaffinity(0)) \
            if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    processes = min(processes, len(missing))
    if processes > 1:
        if "<" in getattr(fn, "__qualname__", "<") or fn.__module__ == "__main__":
            raise ValueError(f"run_all needs a function importable by name for its worker processes; "
                             f"{fn!r} is defined in a notebook or script: move it into a module")
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_one_thread) as pool:
            for future in [pool.submit(_train_only, fn, calls[i]) for i in missing]:
                future.result()  # a worker's exception (TrainingDiverged, ...) is raised here
    for i in missing:
        results[i] = fn(**calls[i])  # trained above (loads), or here when there is one process
    return [results[i] for i in range(len(calls))]
