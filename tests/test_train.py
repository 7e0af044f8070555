"""unsup.train: the loop learns, logs per epoch, caches, survives a corrupt cache, resumes, stops early."""

import warnings

import pytest
import torch
from torch import nn

import unsup
from unsup import train
from unsup.data import TensorLoader

# every test here gets its own checkpoint cache (the `private_cache` fixture of conftest.py)
pytestmark = pytest.mark.usefixtures("private_cache")


def regression_data(n=256, seed=0):
    """y = X w + 0.01 noise: a problem a linear model solves, so the loss must go well down."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    w = torch.randn(5, 1, generator=g)
    return x, x @ w + 0.01 * torch.randn(n, 1, generator=g)


def mse(model, batch):
    x, y = batch
    err = ((model(x) - y) ** 2).sum(dim=1)  # per example
    return err.mean(), {"abs": (model(x) - y).abs().mean()}


def make(seed=0):
    unsup.seed_everything(seed)
    return nn.Linear(5, 1)


def test_fit_reduces_the_loss_and_logs_every_epoch():
    x, y = regression_data()
    history = train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=8, lr=0.05,
                        val_data=TensorLoader(x, y, batch_size=64, shuffle=False))
    assert history.epochs == 8
    assert set(history.train) == {"loss", "abs"} and set(history.val) == {"loss", "abs"}
    assert len(history.train["loss"]) == len(history.val["loss"]) == 8
    assert history.train["loss"][-1] < 0.01 * history.train["loss"][0]
    assert not history.from_cache


def test_cache_hit_loads_the_same_model_without_training(private_cache):
    x, y = regression_data()
    config = {"lr": 0.05, "data": "regression_data(0)"}
    m1 = make()
    h1 = train.fit(m1, mse, TensorLoader(x, y, batch_size=32), epochs=3, lr=0.05, cache=config)
    assert len(list(private_cache.glob("*.pt"))) == 1
    m2 = make(seed=123)  # different initial weights: only the cache can make them equal
    h2 = train.fit(m2, mse, TensorLoader(x, y, batch_size=32), epochs=3, lr=0.05, cache=config)
    assert h2.from_cache and h2.train == h1.train
    torch.testing.assert_close(m1.state_dict(), m2.state_dict())
    assert not m2.training  # loaded models come back in eval mode, like trained ones


def test_cache_key_tracks_what_changes_results():
    m = make()
    k = train.cache_key(m, {"lr": 0.1}, 3)
    assert k == train.cache_key(make(seed=5), {"lr": 0.1}, 3)   # weights are not config
    assert k != train.cache_key(m, {"lr": 0.2}, 3)             # config
    assert k != train.cache_key(m, {"lr": 0.1}, 4)             # epochs
    assert k != train.cache_key(nn.Linear(5, 2), {"lr": 0.1}, 3)  # architecture
    assert k != train.cache_key(nn.Sequential(nn.Linear(5, 1)), {"lr": 0.1}, 3)
    assert k == train.cache_key(make().eval(), {"lr": 0.1}, 3)  # train/eval is a mode, not a setting


def test_cache_key_tracks_plain_attributes_that_repr_does_not_show():
    # a fixed decoder variance changes what is learned, but neither the repr nor any weight's shape
    from unsup.vae import MLPVAE

    def key(**kw):
        return train.cache_key(MLPVAE(hidden=(8,), z_dim=2, **kw), {"seed": 0}, 1)

    assert repr(MLPVAE(hidden=(8,), z_dim=2, likelihood="gaussian", sigma=0.1)) == \
        repr(MLPVAE(hidden=(8,), z_dim=2, likelihood="gaussian", sigma=0.4))
    assert key(likelihood="gaussian", sigma=0.1) != key(likelihood="gaussian", sigma=0.4)
    assert key(likelihood="gaussian", sigma=0.1) != key(likelihood="bernoulli")
    assert key(likelihood="gaussian", sigma=0.1) == key(likelihood="gaussian", sigma=0.1)


def test_corrupt_cache_entry_is_reported_kept_aside_and_retrained(private_cache):
    x, y = regression_data()
    config = {"case": "corrupt"}
    train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=2, cache=config)
    (entry,) = private_cache.glob("*.pt")
    entry.write_bytes(b"this is not a checkpoint")
    with pytest.warns(UserWarning, match="could not be read"):
        h = train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=2, cache=config)
    assert not h.from_cache and h.epochs == 2
    assert len(list(private_cache.glob("*.corrupt-*"))) == 1   # the bad file is kept for inspection
    assert entry.exists()                                       # and a good entry replaced it


def test_stale_entry_that_does_not_fit_the_model_is_set_aside(private_cache):
    x, y = regression_data()
    train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=1, cache={"case": "stale"})
    (entry,) = private_cache.glob("*.pt")
    ckpt = torch.load(entry, weights_only=True)
    ckpt["model"] = {"weight": torch.zeros(3, 3)}  # what an old version of the model might have saved
    torch.save(ckpt, entry)
    with pytest.warns(UserWarning, match="stale"):
        h = train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=1, cache={"case": "stale"})
    assert not h.from_cache and len(list(private_cache.glob("*.corrupt-*"))) == 1


def test_interrupted_training_resumes_from_its_last_epoch(private_cache):
    x, y = regression_data()
    config = {"case": "resume"}

    # The uninterrupted reference run, in its own cache.
    ref_model = make()
    ref = train.fit(ref_model, mse, TensorLoader(x, y, batch_size=32, seed=3), epochs=4, lr=0.05,
                    cache={"case": "reference"})

    class Boom(Exception):
        pass

    class Probe:  # counts batches; one loss function (one code) for the crashed and the resumed run
        batches, crash_at = 0, 2 * 8 + 3  # third batch of epoch 3 (8 batches per epoch)

    probe = Probe()

    def counted_mse(model, batch):
        probe.batches += 1
        if probe.batches == probe.crash_at:
            raise Boom
        return mse(model, batch)

    with pytest.raises(Boom):
        train.fit(make(), counted_mse, TensorLoader(x, y, batch_size=32, seed=3), epochs=4, lr=0.05,
                  cache=config)
    resumed_model = make(seed=99)
    probe.batches, probe.crash_at = 0, None
    h = train.fit(resumed_model, counted_mse, TensorLoader(x, y, batch_size=32, seed=3), epochs=4, lr=0.05,
                  cache=config)
    assert probe.batches == 2 * 8                 # only epochs 3 and 4 ran again
    assert h.epochs == 4 and not h.from_cache
    # the resumed run is the uninterrupted run: same weights, same history
    torch.testing.assert_close(resumed_model.state_dict(), ref_model.state_dict())
    for a, b in zip(h.train["loss"], ref.train["loss"]):
        assert a == pytest.approx(b, rel=1e-5)


def test_early_stopping_stops():
    x, y = regression_data()
    stopper = train.EarlyStopping("val/loss", patience=1)
    stopper.best = -1.0  # nothing can beat this, so the first epoch without improvement stops training
    h = train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=10,
                  val_data=TensorLoader(x, y, batch_size=64), callbacks=[stopper])
    assert h.epochs == 1


def test_snapshots_are_cached_with_the_model():
    x, y = regression_data()
    probe = torch.ones(1, 5)
    snap = train.Snapshot(lambda m: m(probe), every=1)
    train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=3, cache={"case": "snap"}, callbacks=[snap])
    assert snap.epochs == [1, 2, 3] and len(snap.values) == 3
    again = train.Snapshot(lambda m: m(probe), every=1)
    h = train.fit(make(), mse, TensorLoader(x, y, batch_size=32), epochs=3, cache={"case": "snap"},
                  callbacks=[again])
    assert h.from_cache and again.epochs == [1, 2, 3]
    torch.testing.assert_close(torch.stack(again.values), torch.stack(snap.values))


def test_gradient_clipping_bounds_the_step():
    x, y = regression_data()
    y = y * 1000  # a huge first gradient
    m = make()
    before = torch.nn.utils.parameters_to_vector(m.parameters()).detach().clone()
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    train.fit(m, mse, TensorLoader(x[:32], y[:32], batch_size=32), epochs=1, optimizer=opt, clip_grad_norm=0.5)
    step = torch.nn.utils.parameters_to_vector(m.parameters()).detach() - before
    # one SGD step with lr 1 moves the parameters by exactly the clipped gradient
    assert step.norm() == pytest.approx(0.5, rel=1e-4)


def test_step_fn_with_two_optimisers():
    """The hook the GAN chapter uses: a custom update with a dict of optimisers, cached like the rest."""
    a, b = nn.Linear(1, 1), nn.Linear(1, 1)
    model = nn.ModuleDict({"a": a, "b": b})
    opts = {"a": torch.optim.SGD(a.parameters(), lr=0.1), "b": torch.optim.SGD(b.parameters(), lr=0.1)}

    def step(model, batch, optimizers):
        logs = {}
        for name in ("a", "b"):
            loss = ((model[name](batch) - 3.0) ** 2).mean()
            optimizers[name].zero_grad()
            loss.backward()
            optimizers[name].step()
            logs[name] = loss
        return logs

    h = train.fit(model, None, TensorLoader(torch.ones(64, 1), batch_size=8), epochs=5, optimizer=opts,
                  step_fn=step, cache={"case": "step_fn"})
    assert h.train["a"][-1] < 0.01 * h.train["a"][0]
    with pytest.raises(ValueError, match="exactly one"):
        train.fit(model, mse, [], epochs=1, step_fn=step)


def test_training_logs_do_not_sync_every_step(monkeypatch):
    """Progress and logging read the device once per epoch, not once per batch (.item() would force a sync)."""
    x, y = regression_data()
    calls = {"n": 0}
    real_item = torch.Tensor.item

    def counting_item(self):
        calls["n"] += 1
        return real_item(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    m = make()
    # SGD: Adam reads its own CPU step counter with .item(), which is no device sync and not ours to count
    train.fit(m, mse, TensorLoader(x, y, batch_size=8), epochs=2, optimizer=torch.optim.SGD(m.parameters(), 0.01))
    assert calls["n"] <= 2


def test_quiet_in_ci(monkeypatch):
    monkeypatch.delenv("UNSUP_PROGRESS")
    monkeypatch.setenv("CI", "true")
    assert not train._progress_enabled(None)
    monkeypatch.delenv("CI")
    assert train._progress_enabled(None)
    assert not train._progress_enabled(False)


def test_get_device_and_seed(monkeypatch):
    monkeypatch.setenv("UNSUP_DEVICE", "cpu")
    assert unsup.get_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        monkeypatch.setenv("UNSUP_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="UNSUP_DEVICE"):
            unsup.get_device()
    monkeypatch.delenv("UNSUP_DEVICE")
    assert unsup.get_device().type in {"cuda", "mps", "cpu"}
    unsup.seed_everything(3)
    a = torch.rand(3)
    unsup.seed_everything(3)
    assert torch.equal(a, torch.rand(3))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda():
    x, y = regression_data()
    m = make().cuda()
    h = train.fit(m, mse, TensorLoader(x.cuda(), y.cuda(), batch_size=32), epochs=3, lr=0.05)
    assert h.train["loss"][-1] < h.train["loss"][0]


@pytest.mark.gpu
def test_resume_on_cuda_restores_the_cuda_rng_and_gives_the_same_weights():
    """On CUDA: a loss drawing noise on the device resumes to the weights of the uninterrupted run."""
    x, y = (t.cuda() for t in regression_data())

    class Boom(Exception):
        pass

    class Probe:
        batches, crash_at = 0, None

    probe = Probe()

    def noisy(model, batch):
        probe.batches += 1
        if probe.batches == probe.crash_at:
            raise Boom
        xb, yb = batch
        return mse(model, (xb + 0.1 * torch.randn(xb.shape, device=xb.device), yb))

    def run(config, seed_model=0):
        m = make(seed_model).cuda()
        train.fit(m, noisy, TensorLoader(x, y, batch_size=32, seed=2), epochs=3, lr=0.05, cache=config,
                  verbose=False)
        return m

    torch.cuda.manual_seed_all(0)
    ref = run({"case": "cuda-ref"})
    torch.cuda.manual_seed_all(0)
    probe.batches, probe.crash_at = 0, 2 * 8 + 2
    with pytest.raises(Boom):
        run({"case": "cuda"})
    probe.crash_at = None
    torch.cuda.manual_seed_all(999)
    resumed = run({"case": "cuda"}, seed_model=3)
    torch.testing.assert_close(resumed.state_dict(), ref.state_dict())

def test_warnings_are_clean():
    x, y = regression_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train.fit(make(), mse, TensorLoader(x, y, batch_size=64), epochs=1)


# --- the code in the cache key ----------------------------------------------------------------------------

LOSS_CELL = '''
import torch

def helper(err):
    return err.mean()

def loss(model, batch):
    x, y = batch
    err = ((model(x) - y) ** 2).sum(dim=1)
    return helper(err), {}
'''

MODEL_CELL = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(5, 1)

    def forward(self, x):
        return self.lin(x)
'''


def cell(source, **extra):
    """Run ``source`` as a notebook cell would: in a fresh ``__main__`` namespace."""
    ns = {"__name__": "__main__", **extra}
    exec(compile(source, "<cell>", "exec"), ns)
    return ns


def key(model_src=MODEL_CELL, loss_src=LOSS_CELL, config=None):
    torch.manual_seed(0)
    model = cell(model_src)["Net"]()
    return train.cache_key(model, config or {"lr": 0.1}, 3, (cell(loss_src)["loss"], None))


def test_cache_key_is_the_same_for_unchanged_code_in_a_new_namespace_even_moved_down():
    assert key() == key()
    # an edit above a function moves its line numbers: that must not retrain it
    assert key("\n\n# a comment\n" + MODEL_CELL, "x = 1\n\n" + LOSS_CELL) == key()


def test_cache_key_changes_when_the_loss_the_forward_or_a_called_helper_changes():
    base = key()
    assert key(loss_src=LOSS_CELL.replace("** 2", "** 3")) != base  # the loss itself
    assert key(loss_src=LOSS_CELL.replace("err.mean()", "err.sum()")) != base  # a helper the loss calls
    assert key(MODEL_CELL.replace("return self.lin(x)", "return self.lin(x).tanh()")) != base  # forward
    assert key(MODEL_CELL.replace("nn.Linear(5, 1)", "nn.Linear(5, 1, bias=True)")) != base  # __init__


def test_cache_key_follows_library_functions_a_loss_calls_indirectly(monkeypatch):
    from unsup import elbo, vae

    model = vae.MLPVAE()
    before = train.cache_key(model, {}, 1, (vae.vae_loss, None))
    assert train.cache_key(model, {}, 1, (vae.vae_loss, None)) == before
    # an edit to elbo.gaussian_kl, which vae_loss reaches only through elbo_terms
    monkeypatch.setattr(elbo.gaussian_kl, "__code__", (lambda mu, logvar: 2 * mu).__code__)
    assert train.cache_key(model, {}, 1, (vae.vae_loss, None)) != before


def test_cache_key_covers_partials_and_their_arguments():
    import functools

    from unsup import gan

    a = train.code_fingerprint(functools.partial(gan.gan_step, k=1))
    assert a == train.code_fingerprint(functools.partial(gan.gan_step, k=1))
    assert a != train.code_fingerprint(functools.partial(gan.gan_step, k=2))


def test_cache_key_is_the_same_in_a_fresh_process():
    import subprocess
    import sys

    script = (f"import torch\nfrom unsup import train\nMODEL_CELL={MODEL_CELL!r}\nLOSS_CELL={LOSS_CELL!r}\n"
              "def cell(s):\n    ns = {'__name__': '__main__'}\n    exec(compile(s, '<cell>', 'exec'), ns)\n"
              "    return ns\n"
              "torch.manual_seed(0)\n"
              "print(train.cache_key(cell(MODEL_CELL)['Net'](), {'lr': 0.1}, 3, (cell(LOSS_CELL)['loss'], None)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONHASHSEED": "12345"})
    assert out.stdout.strip() == key()


def test_fit_retrains_after_a_loss_edit_and_loads_after_an_unchanged_rerun():
    x, y = regression_data()
    config = {"lr": 0.05}

    def run(loss_src):
        return train.fit(make(), cell(loss_src)["loss"], TensorLoader(x, y, batch_size=64), epochs=1, lr=0.05,
                         cache=config, verbose=False)

    assert not run(LOSS_CELL).from_cache
    assert run(LOSS_CELL).from_cache  # the same cell, executed again
    assert not run(LOSS_CELL.replace("err.mean()", "2 * err.mean()")).from_cache


# --- divergence, step_fn refusals, schedulers, random states on resume -----------------------------------

def test_a_nan_loss_stops_with_model_epoch_and_step_and_caches_nothing_as_complete(private_cache):
    x, y = regression_data()
    class Probe:  # counts batches; not part of the cache key, so the rerun resumes
        batches, at, value = 0, 2 * 8 + 3, float("nan")  # epoch 3, step 3 (8 batches per epoch)

    probe = Probe()

    def flaky_mse(model, batch):
        probe.batches += 1
        loss, logs = mse(model, batch)
        return (loss * probe.value if probe.batches >= probe.at else loss), logs

    with pytest.raises(train.TrainingDiverged, match=r"Linear.*epoch 3 of 4, step 3 of 8: loss = nan"):
        train.fit(make(), flaky_mse, TensorLoader(x, y, batch_size=32, seed=1), epochs=4, lr=0.05,
                  cache={"case": "nan"}, verbose=False)
    (entry_path,) = private_cache.glob("*.pt")
    entry = torch.load(entry_path, weights_only=True)
    assert entry["epoch"] == 2 and not entry["complete"]  # the last good resume point, not complete
    assert all(torch.isfinite(v).all() for v in entry["model"].values())
    # the same run again resumes from epoch 2 and, with the loss healthy, completes
    probe.batches, probe.at = 0, 10**9
    h = train.fit(make(), flaky_mse, TensorLoader(x, y, batch_size=32, seed=1), epochs=4, lr=0.05,
                  cache={"case": "nan"}, verbose=False)
    assert h.epochs == 4 and probe.batches == 2 * 8


def test_an_infinite_logged_value_stops_too():
    x, y = regression_data()

    def inf_log(model, batch):
        loss, logs = mse(model, batch)
        return loss, {"ratio": logs["abs"] / 0.0}

    with pytest.raises(train.TrainingDiverged, match=r"epoch 1 of 2, step 1 of 8: ratio = inf"):
        train.fit(make(), inf_log, TensorLoader(x, y, batch_size=32), epochs=2, cache={"case": "inf"},
                  verbose=False)


def test_an_overflowing_step_with_a_finite_loss_stops_before_caching(private_cache):
    x, y = regression_data()
    m = make()
    opt = torch.optim.SGD(m.parameters(), lr=1e38)  # the first step overflows the weights to inf
    with pytest.raises(train.TrainingDiverged, match="epoch 1 of 1"):
        train.fit(m, mse, TensorLoader(x[:32], y[:32], batch_size=32), epochs=1, optimizer=opt,
                  cache={"case": "overflow"}, verbose=False)
    assert not list(private_cache.glob("*.pt"))


def test_step_fn_refuses_clip_grad_norm_and_val_data():
    model = nn.Linear(1, 1)

    def step(model, batch, optimizers):
        return {}

    data = TensorLoader(torch.ones(8, 1), batch_size=8)
    with pytest.raises(ValueError, match="clip_grad_norm_ inside your step_fn"):
        train.fit(model, None, data, epochs=1, step_fn=step, clip_grad_norm=1.0)
    with pytest.raises(ValueError, match="evaluate"):
        train.fit(model, None, data, epochs=1, step_fn=step, val_data=data)


def test_scheduler_steps_per_epoch_and_resumes_its_schedule(private_cache):
    x, y = regression_data()

    def sched(opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    m = make()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    train.fit(m, mse, TensorLoader(x, y, batch_size=32), epochs=3, optimizer=opt, scheduler=sched,
              verbose=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)

    # interrupted in epoch 3 and resumed: the same weights as one uninterrupted run
    ref = make()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    train.fit(ref, mse, TensorLoader(x, y, batch_size=32, seed=5), epochs=3, optimizer=ref_opt,
              scheduler=sched, cache={"case": "sched-ref"}, verbose=False)

    class Boom(Exception):
        pass

    class Probe:
        batches, crash_at = 0, 2 * 8 + 1

    probe = Probe()

    def counted(model, batch):
        probe.batches += 1
        if probe.batches == probe.crash_at:
            raise Boom
        return mse(model, batch)

    m1 = make()
    with pytest.raises(Boom):
        train.fit(m1, counted, TensorLoader(x, y, batch_size=32, seed=5), epochs=3,
                  optimizer=torch.optim.SGD(m1.parameters(), lr=0.1), scheduler=sched, cache={"case": "sched"},
                  verbose=False)
    probe.crash_at = None
    m2 = make(seed=7)
    opt2 = torch.optim.SGD(m2.parameters(), lr=0.1)
    train.fit(m2, counted, TensorLoader(x, y, batch_size=32, seed=5), epochs=3, optimizer=opt2,
              scheduler=sched, cache={"case": "sched"}, verbose=False)
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)  # the schedule carried on
    torch.testing.assert_close(m2.state_dict(), ref.state_dict())
    with pytest.raises(TypeError, match="not an LR scheduler"):
        train.fit(make(), mse, TensorLoader(x, y), epochs=1, scheduler={"s": 3})


def test_scheduler_is_part_of_the_cache_key(private_cache):
    x, y = regression_data()

    def run(gamma):
        m = make()
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        return train.fit(m, mse, TensorLoader(x, y, batch_size=64), epochs=1, optimizer=opt, cache={"case": "sk"},
                         scheduler=torch.optim.lr_scheduler.StepLR(opt, 1, gamma=gamma), verbose=False)

    assert not run(0.5).from_cache
    assert run(0.5).from_cache
    assert not run(0.9).from_cache


def test_resume_restores_the_global_rng_and_the_given_generator(private_cache):
    """A loss that samples noise from the global RNG and from a generator resumes to the same weights."""
    x, y = regression_data()

    class Boom(Exception):
        pass

    class Probe:
        batches, crash_at = 0, None

    probe = Probe()
    gen = torch.Generator().manual_seed(11)

    def noisy(model, batch):
        probe.batches += 1
        if probe.batches == probe.crash_at:
            raise Boom
        xb, yb = batch
        xb = xb + 0.1 * torch.randn(xb.shape) + 0.1 * torch.randn(xb.shape, generator=gen)
        return mse(model, (xb, yb))

    def run(config, seed_model=0):
        m = make(seed_model)
        train.fit(m, noisy, TensorLoader(x, y, batch_size=32, seed=2), epochs=3, lr=0.05, generator=gen,
                  cache=config, verbose=False)
        return m

    ref = run({"case": "rng-ref"})
    torch.manual_seed(0)
    gen.manual_seed(11)
    probe.batches, probe.crash_at = 0, 2 * 8 + 2
    with pytest.raises(Boom):
        run({"case": "rng"})
    probe.crash_at = None
    torch.manual_seed(999)  # whatever the global state is now, the resume restores the saved one
    gen.manual_seed(999)
    resumed = run({"case": "rng"}, seed_model=3)
    torch.testing.assert_close(resumed.state_dict(), ref.state_dict())


def test_cache_key_covers_a_notebook_constant_the_loss_reads():
    src = "SCALE = {}\n\ndef loss(model, batch):\n    return SCALE * model(batch).mean(), {{}}\n"
    model = nn.Linear(2, 1)

    def k(scale):
        return train.cache_key(model, {}, 1, (cell(src.format(scale))["loss"], None))

    assert k(2) == k(2) and k(2) != k(3)


# --- run_all: independent cached runs in worker processes ---------------------------------------------------

def regression_run(seed: int, epochs: int = 3) -> tuple[nn.Module, train.History]:
    """A cached run that seeds itself: importable by name, so run_all's workers can make it."""
    model = make(seed)
    x, y = regression_data(seed=seed)
    history = train.fit(model, mse, TensorLoader(x, y, batch_size=32, seed=seed), epochs=epochs, lr=1e-2,
                        cache={"data": "regression", "seed": seed}, verbose=False)
    return model, history


def test_cached_only_loads_finished_runs_and_refuses_to_train():
    with pytest.raises(train.NotCached), train.cached_only():
        regression_run(0)
    model, _ = regression_run(0)  # trains
    with train.cached_only():
        loaded, history = regression_run(0)
    assert history.from_cache
    torch.testing.assert_close(loaded.weight, model.weight, rtol=0, atol=0)


def test_run_all_trains_missing_runs_in_workers_and_matches_runs_in_turn(private_cache, monkeypatch):
    calls = [{"seed": s} for s in range(3)]
    in_turn = [regression_run(**kw)[0] for kw in calls]
    monkeypatch.setenv("UNSUP_CACHE", str(private_cache.parent / "fresh"))
    together = train.run_all(regression_run, calls, processes=2)
    # the workers trained every run (so here each was loaded), and trained the same weights
    assert all(history.from_cache for _, history in together)
    for (model, _), expected in zip(together, in_turn):
        torch.testing.assert_close(model.weight, expected.weight)
    # nothing left to train: no workers are started, the same results come back
    again = train.run_all(regression_run, calls, processes=2)
    for (model, _), (first, _) in zip(again, together):
        torch.testing.assert_close(model.weight, first.weight, rtol=0, atol=0)


def test_run_all_refuses_a_function_its_workers_cannot_import():
    def local_run(seed):
        return regression_run(seed)

    with pytest.raises(ValueError, match="importable by name"):
        train.run_all(local_run, [{"seed": 5}, {"seed": 6}], processes=2)
