"""The torch adapter in real training loops: the learning rate each update applies is the
core's float64 value ``schedule(t)``, bit for bit, for every catalog case; resuming from a
checkpoint continues the same curve; param groups, tensor learning rates, torch.compile,
ChainedScheduler and SequentialLR work; bad arguments fail clearly.

The two catalog-wide runs train one optimizer with a param group per catalog case (a list
of schedules, one per group): 10,000 real updates of every case cost one training loop,
and each case's test reads its own group.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lrcore
from lrcore.checkpoint import PlanChangedWarning
from tests.catalog_cases import CASES
from tests.conftest import require

torch = require("torch")
adapter = require("lrcore.adapters.torch")
runner = require("lrcore.adapters.torch.runner")
lr_scheduler = require("lrcore.adapters.torch.lr_scheduler")

pytestmark = pytest.mark.torch

UPDATES = 10_000
NAMES = list(CASES)


class Regression:
    """Tiny real models: one linear regression on a fixed sample per param group, trained
    together on the sum of their losses. ``seed`` picks the initial weights."""

    def __init__(self, make_optimizer, groups: int = 1, seed: int = 0) -> None:
        self.x = torch.randn(4, generator=torch.Generator().manual_seed(0))  # the same data always
        generator = torch.Generator().manual_seed(seed + 1)
        self.weights = [torch.nn.Parameter(torch.randn(4, generator=generator)) for _ in range(groups)]
        self.optimizer = make_optimizer([{"params": [w]} for w in self.weights])

    def update(self) -> None:
        self.optimizer.zero_grad()
        (torch.stack(self.weights) @ self.x - 1.0).square().sum().backward()
        self.optimizer.step()

    def state(self) -> torch.Tensor:
        return torch.stack(self.weights).detach().clone()


def train(model: Regression, sched, updates: int) -> np.ndarray:
    """Run ``updates`` updates; ``lrs[t, g]`` is group g's lr read just before update t."""
    groups = model.optimizer.param_groups
    lrs = np.empty((updates, len(groups)))
    for t in range(updates):
        lrs[t] = [group["lr"] for group in groups]
        model.update()
        sched.step()
    return lrs


def train1(model: Regression, sched, updates: int) -> list[float]:
    """``train`` for a single param group, as a list."""
    return train(model, sched, updates)[:, 0].tolist()


def sgd(params, **kw):
    return torch.optim.SGD(params, lr=1.0, **kw)


def adamw(params, **kw):
    return torch.optim.AdamW(params, lr=1.0, **kw)


def spot_steps(schedule, n: int) -> list[int]:
    """Steps to check against ``schedule(t)`` one by one: every 7th, each breakpoint and
    each memo boundary of the adapter, with their neighbours."""
    edges = [*schedule.breakpoints(), *range(0, n, adapter.CHUNK)]
    points = set(range(0, n, 7)) | {e + d for e in edges for d in (-1, 0, 1)}
    return sorted(p for p in points if 0 <= p < n)


@pytest.fixture(scope="module")
def catalog_run():
    """10,000 SGD updates with every catalog case at once (one param group each)."""
    model = Regression(sgd, groups=len(NAMES))
    sched = adapter.scheduler(model.optimizer, [CASES[name] for name in NAMES])
    lrs = train(model, sched, UPDATES)
    return {name: lrs[:, i] for i, name in enumerate(NAMES)}, sched.get_last_lr(), sched.last_epoch


@pytest.mark.parametrize("name", NAMES)
def test_applied_lr_is_the_reference_bit_for_bit(name, catalog_run):
    schedule = CASES[name]
    runs, last_lr, last_epoch = catalog_run
    applied = runs[name]
    # Every step against the vectorised reference (bit-identical to schedule(t) by the
    # core's design), and a dense sample against schedule(t) itself.
    reference = schedule.values(np.arange(UPDATES))
    bad = np.flatnonzero(applied != reference)
    assert bad.size == 0, f"first mismatch at t={bad[0]}: {applied[bad[0]]!r} != {reference[bad[0]]!r}"
    for t in spot_steps(schedule, UPDATES):
        assert applied[t] == schedule(t), t
    assert last_epoch == UPDATES
    assert last_lr[NAMES.index(name)] == schedule(UPDATES)


@pytest.mark.parametrize(
    "name", ["warmup", "one_cycle", "cosine_restarts_mult", "cyclic_triangular2", "per_epoch"]
)
def test_one_schedule_with_adamw_moves_the_weights_as_by_hand(name):
    """One schedule for the optimizer; AdamW's weights equal a run that sets lr by hand."""
    schedule, updates = CASES[name], 1_600
    model = Regression(adamw)
    applied = train(model, adapter.scheduler(model.optimizer, schedule), updates)
    assert applied[:, 0].tolist() == [schedule(t) for t in range(updates)]

    by_hand = Regression(adamw)
    for t in range(updates):
        by_hand.optimizer.param_groups[0]["lr"] = schedule(t)
        by_hand.update()
    assert torch.equal(model.state(), by_hand.state())


def checkpoint(model: Regression, sched) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(
        {"model": model.state(), "optimizer": model.optimizer.state_dict(), "scheduler": sched.state_dict()},
        buffer,
    )
    buffer.seek(0)
    return buffer


RESUME_TOTAL = 1_300
RESUME_POINTS = (1, 1_024, 1_200)  # the start, a memo boundary of the adapter, late in the curves


@pytest.fixture(scope="module")
def resume_run():
    """An AdamW run over every catalog case (one group each), checkpointed at
    ``RESUME_POINTS`` through torch.save / torch.load(weights_only=True), each checkpoint
    resumed in fresh objects (other initial weights, a scheduler built at t=0)."""
    schedules = [CASES[name] for name in NAMES]
    whole = Regression(adamw, groups=len(NAMES))
    sched = adapter.scheduler(whole.optimizer, schedules)
    parts, saved = [], {}
    for t in range(RESUME_TOTAL):
        if t in RESUME_POINTS:
            saved[t] = checkpoint(whole, sched)
        parts.append(train(whole, sched, 1))
    expected = np.concatenate(parts)

    resumed = {}
    for resume_at, buffer in saved.items():
        state = torch.load(buffer, weights_only=True)
        fresh = Regression(adamw, groups=len(NAMES), seed=1)
        fresh_sched = adapter.scheduler(fresh.optimizer, schedules)
        fresh.optimizer.load_state_dict(state["optimizer"])
        fresh_sched.load_state_dict(state["scheduler"])
        with torch.no_grad():
            for w, value in zip(fresh.weights, state["model"], strict=True):
                w.copy_(value)
        resumed[resume_at] = (train(fresh, fresh_sched, RESUME_TOTAL - resume_at), fresh.state())
    return expected, whole.state(), resumed


@pytest.mark.parametrize("name", NAMES)
def test_resume_from_state_dict_continues_the_curve(name, resume_run):
    i = NAMES.index(name)
    expected, final_weights, resumed = resume_run
    assert expected[:, i].tolist() == [CASES[name](t) for t in range(RESUME_TOTAL)]
    for resume_at, (lrs, weights) in resumed.items():
        assert lrs[:, i].tolist() == expected[resume_at:, i].tolist(), resume_at
        assert torch.equal(weights[i], final_weights[i]), resume_at


def plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def test_state_dict_stores_configs_not_objects():
    model = Regression(sgd)
    schedule = CASES["warmup_join_nested"]
    sched = adapter.scheduler(model.optimizer, schedule)
    train(model, sched, 5)
    state = sched.state_dict()
    assert plain(state), state
    assert state["schedules"] == [schedule.to_config()]
    assert state["last_epoch"] == 5 and state["mode"] == "absolute"
    json.dumps(state)


def test_load_state_dict_restores_the_saved_schedule():
    """As torch's own schedulers restore their parameters, the saved schedule wins (and,
    the plan having changed, a PlanChangedWarning says so)."""
    saved_schedule = lrcore.step(start=0.1, gamma=0.5, step_size=3)
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, saved_schedule)
    train(model, sched, 4)
    state = sched.state_dict()

    other = Regression(sgd)
    resumed = adapter.scheduler(other.optimizer, lrcore.constant(value=1.0))
    other.optimizer.load_state_dict(model.optimizer.state_dict())
    with pytest.warns(PlanChangedWarning, match=r"schedules\[0\]: .*\(type: step -> constant\)"):
        resumed.load_state_dict(state)
    assert resumed.schedules == (saved_schedule,)
    assert train1(other, resumed, 4) == [saved_schedule(t) for t in range(4, 8)]


def test_resume_with_last_epoch_follows_torch_convention():
    """After n updates, ``last_epoch=n - 1`` (param groups carrying ``initial_lr``)
    continues at ``schedule(n)``, as for torch's own schedulers."""
    schedule, n = CASES["one_cycle"], 700
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, schedule)
    train(model, sched, n)

    fresh = Regression(sgd)
    fresh.optimizer.load_state_dict(model.optimizer.state_dict())
    resumed = adapter.scheduler(fresh.optimizer, schedule, last_epoch=n - 1)
    assert resumed.last_epoch == n
    assert train1(fresh, resumed, 300) == [schedule(t) for t in range(n, n + 300)]

    without = Regression(sgd)
    with pytest.raises(KeyError, match="initial_lr"):
        adapter.scheduler(without.optimizer, schedule, last_epoch=n - 1)


# -- param groups ------------------------------------------------------------------------


def three_groups(make=sgd, lrs=(1e-4, 1e-3, 1e-2)):
    generator = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(3, generator=generator)) for _ in lrs]
    opt = make([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    return params, opt


def run_groups(params, opt, sched, updates):
    lrs = []
    for _ in range(updates):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.zero_grad()
        sum((p * p).sum() for p in params).backward()
        opt.step()
        sched.step()
    return lrs


def test_one_schedule_sets_every_group():
    schedule = CASES["warmup"]
    params, opt = three_groups()
    lrs = run_groups(params, opt, adapter.scheduler(opt, schedule), 1_500)
    assert lrs == [[schedule(t)] * 3 for t in range(1_500)]


def test_one_schedule_per_group():
    schedules = [CASES["cosine"], CASES["step"], CASES["one_cycle"]]
    params, opt = three_groups(adamw)
    sched = adapter.scheduler(opt, schedules)
    lrs = run_groups(params, opt, sched, 1_500)
    assert lrs == [[s(t) for s in schedules] for t in range(1_500)]
    assert sched.get_last_lr() == [s(1_500) for s in schedules]


def test_multiplier_mode_scales_each_initial_lr():
    """Discriminative learning rates: lr_i = initial_lr_i * schedule(t)."""
    shape = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps=1_000), steps=200)
    initial = (1e-4, 3e-3, 1e-2)
    params, opt = three_groups(adamw, initial)
    lrs = run_groups(params, opt, adapter.scheduler(opt, shape, mode="multiplier"), 1_500)
    assert lrs == [[lr0 * shape(t) for lr0 in initial] for t in range(1_500)]


def test_multiplier_mode_with_a_list_and_configs():
    factors = [lrcore.constant(value=1.0), {"type": "linear", "start": 1.0, "end": 0.0, "steps": 10}]
    initial = (0.1, 0.2)
    params, opt = three_groups(sgd, initial)
    lrs = run_groups(params, opt, adapter.scheduler(opt, factors, mode="multiplier"), 12)
    decay = lrcore.linear(start=1.0, end=0.0, steps=10)
    assert lrs == [[0.1 * 1.0, 0.2 * decay(t)] for t in range(12)]


def test_multiplier_mode_resumes_from_state_dict():
    shape, initial = CASES["one_cycle"], (1e-4, 3e-3, 1e-2)
    params, opt = three_groups(adamw, initial)
    sched = adapter.scheduler(opt, shape, mode="multiplier")
    expected = run_groups(params, opt, sched, 1_100)

    params, opt = three_groups(adamw, initial)
    sched = adapter.scheduler(opt, shape, mode="multiplier")
    before = run_groups(params, opt, sched, 1_030)
    state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
    fresh_params, fresh = three_groups(adamw, (1.0, 1.0, 1.0))
    # replaced by the saved schedule and mode (chosen explicitly: no PlanChangedWarning)
    resumed = adapter.scheduler(fresh, CASES["cosine"], prefer="checkpoint")
    fresh.load_state_dict(state["optimizer"])
    resumed.load_state_dict(state["scheduler"])
    assert resumed.mode == "multiplier" and resumed.schedules[0] is resumed.schedules[2]
    with torch.no_grad():
        for p, q in zip(fresh_params, params, strict=True):
            p.copy_(q)
    assert before + run_groups(fresh_params, fresh, resumed, 70) == expected


# -- tensor learning rates and torch.compile -----------------------------------------------


def test_tensor_lr_is_updated_in_place():
    schedule = CASES["cosine_restarts"]
    lr = torch.tensor(1.0, dtype=torch.float64)
    model = Regression(lambda p: torch.optim.SGD(p, lr=lr))
    sched = adapter.scheduler(model.optimizer, schedule)
    seen = []
    for _ in range(1_200):
        group_lr = model.optimizer.param_groups[0]["lr"]
        assert group_lr is lr  # the same tensor object, never replaced
        seen.append(group_lr.item())
        model.update()
        sched.step()
    assert seen == [schedule(t) for t in range(1_200)]
    last = sched.get_last_lr()[0]
    assert isinstance(last, torch.Tensor) and last is not lr and last.item() == schedule(1_200)


def _step_state(sched) -> dict:
    """The scheduler's attributes (torch's private ones included), tensors as values."""
    return {
        key: [(type(v), v.tolist() if isinstance(v, torch.Tensor) else v) for v in value]
        if isinstance(value, list)
        else value
        for key, value in vars(sched).items()
        if key not in lr_scheduler._NOT_STATE  # torch's state; lrcore's own is not torch's to mirror
    }


@pytest.mark.parametrize("lr", ["float", "tensor"])
def test_fast_step_matches_torchs_step(lr):
    """After torch's first two calls, ``Scheduler.step()`` bypasses ``LRScheduler.step()``
    and writes torch's private step state itself (``_step_count``, ``_last_lr``, and reads
    ``_get_lr_called_within_step``) for speed. Stepping one scheduler that way and a twin
    through ``LRScheduler.step`` itself must leave the same attributes, learning rates and
    state dict, across a cache refill. Checked on torch 2.13.0 (the pin in
    constraints.txt); a torch that renames or adds step state fails here."""
    schedule = CASES["cosine_restarts"]

    def make():
        value = torch.tensor(1.0, dtype=torch.float64) if lr == "tensor" else 1.0
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=value)
        return opt, adapter.scheduler(opt, schedule)

    (fast_opt, fast), (slow_opt, slow) = make(), make()
    for _ in range(adapter.CHUNK + 3):
        fast_opt.step()
        slow_opt.step()
        fast.step()
        torch.optim.lr_scheduler.LRScheduler.step(slow)
        assert _step_state(fast) == _step_state(slow)
        assert [g["lr"] for g in fast_opt.param_groups] == [g["lr"] for g in slow_opt.param_groups]
    assert fast.get_last_lr() == slow.get_last_lr()
    assert fast.state_dict() == slow.state_dict()
    assert fast.last_epoch == adapter.CHUNK + 3 and fast.get_last_lr()[0] == schedule(adapter.CHUNK + 3)


def test_compiled_step_is_not_recompiled():
    """A torch.compile'd optimizer step with a tensor lr compiles once for all steps."""
    compiles = []

    def counting_backend(graph_module, example_inputs):
        compiles.append(graph_module)
        return graph_module.forward

    torch._dynamo.reset()
    schedule = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=20), steps=5)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01), foreach=False)
    sched = adapter.scheduler(opt, schedule)

    @torch.compile(backend=counting_backend)
    def compiled_step():
        opt.step()

    x = torch.randn(8, 4)
    try:  # can dynamo trace here at all? (compiles nothing to machine code: the backend is eager)
        torch.compile(lambda a: a * 2, backend="eager")(x)
    except Exception as error:  # pragma: no cover - depends on the platform
        pytest.skip(f"torch.compile does not work here: {type(error).__name__}: {error}")
    counts, applied = [], []
    try:
        for _ in range(30):
            applied.append(opt.param_groups[0]["lr"].item())
            opt.zero_grad()
            model(x).square().mean().backward()
            compiled_step()
            sched.step()
            counts.append(len(compiles))
    finally:
        torch._dynamo.reset()
    assert counts[0] >= 1 and counts[-1] == counts[0], counts
    assert applied == [float(np.float32(schedule(t))) for t in range(30)]


# -- inside torch's own composite schedulers ------------------------------------------------


def test_inside_chained_scheduler():
    """ChainedScheduler steps each member in turn: lrcore sets schedule(t), then
    ExponentialLR multiplies it (lrcore, like LambdaLR, is a closed form)."""
    schedule = CASES["cosine"]
    model = Regression(sgd)
    opt = model.optimizer
    chained = torch.optim.lr_scheduler.ChainedScheduler(
        [adapter.scheduler(opt, schedule), torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)]
    )
    lrs = train1(model, chained, 1_000)
    assert lrs == [schedule(0)] + [schedule(t) * 0.5 for t in range(1, 1_000)]


def test_inside_sequential_lr():
    """SequentialLR restarts each member at its milestone: lrcore.join's convention."""
    first, second, milestone = CASES["linear"], CASES["cosine_exponent"], 300
    model = Regression(sgd)
    opt = model.optimizer
    sequential = torch.optim.lr_scheduler.SequentialLR(
        opt, [adapter.scheduler(opt, first), adapter.scheduler(opt, second)], milestones=[milestone]
    )
    lrs = train1(model, sequential, 2_000)
    joined = lrcore.join([first, second], boundaries=[milestone])
    assert lrs == [joined(t) for t in range(2_000)]


def test_after_a_native_warmup_in_sequential_lr():
    schedule, milestone = CASES["cosine"], 100
    model = Regression(lambda p: torch.optim.SGD(p, lr=0.1))
    opt = model.optimizer
    sequential = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=milestone),
            adapter.scheduler(opt, schedule),
        ],
        milestones=[milestone],
    )
    lrs = train1(model, sequential, 1_000)
    assert lrs[milestone:] == [schedule(t) for t in range(1_000 - milestone)]


def test_lightning():
    lightning = pytest.importorskip("lightning", reason="lightning is not installed (optional; not required)")
    schedule = CASES["warmup"]
    seen = []

    class Module(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            seen.append(self.optimizers().param_groups[0]["lr"])
            return self.layer(batch[0]).square().mean()

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=1.0)
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": adapter.scheduler(opt, schedule), "interval": "step"},
            }

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(64, 4)), batch_size=4)
    trainer = lightning.Trainer(
        max_steps=40,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Module(), data)
    assert seen == [schedule(t) for t in range(40)]


# -- torch's call-order warnings -------------------------------------------------------------


def test_warns_when_stepped_before_the_optimizer():
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, CASES["cosine"])
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        sched.step()


def test_no_warning_in_the_right_order():
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, CASES["cosine"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(model, sched, 3)


def test_get_lr_outside_step_warns_like_torch():
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, CASES["cosine"])
    train(model, sched, 3)
    with pytest.warns(UserWarning, match="get_last_lr"):
        assert sched.get_lr() == [CASES["cosine"](3)]


# -- bad arguments ---------------------------------------------------------------------------


def test_list_length_mismatch_names_the_argument():
    _, opt = three_groups()
    with pytest.raises(
        lrcore.ConfigError, match=r"schedule: expected one schedule per param group \(3 groups\)"
    ):
        adapter.scheduler(opt, [CASES["cosine"], CASES["step"]])


def test_bad_arguments_raise_clear_errors():
    _, opt = three_groups()
    with pytest.raises(lrcore.ConfigError, match=r"mode: expected one of 'absolute', 'multiplier'"):
        adapter.scheduler(opt, CASES["cosine"], mode="relative")
    with pytest.raises(lrcore.ConfigError, match=r"schedule: expected an lrcore schedule"):
        adapter.scheduler(opt, 0.1)
    with pytest.raises(lrcore.ConfigError, match=r"schedule\[1\]\.steps"):
        adapter.scheduler(
            opt, [CASES["cosine"], {"type": "linear", "start": 0.1, "end": 0.0, "steps": 0}, CASES["step"]]
        )
    with pytest.raises(TypeError, match=r"optimizer: expected a torch\.optim\.Optimizer"):
        adapter.scheduler([torch.nn.Parameter(torch.zeros(1))], CASES["cosine"])
    with pytest.raises(ValueError):  # ConfigError is a ValueError for generic handlers
        adapter.scheduler(opt, [CASES["cosine"]])


@pytest.mark.parametrize("as_config", [False, True])
def test_a_plateau_is_refused_at_construction_pointing_to_plateau_scheduler(as_config):
    plateau = lrcore.plateau(CASES["cosine"], patience=2)
    value = plateau.to_config() if as_config else plateau
    _, opt = three_groups()
    with pytest.raises(lrcore.ConfigError, match=r"^schedule: .*lrcore\.adapters\.torch\.plateau_scheduler"):
        adapter.scheduler(opt, value)
    with pytest.raises(lrcore.ConfigError, match=r"^schedule\[1\]: .*plateau_scheduler"):
        adapter.scheduler(opt, [CASES["cosine"], value, CASES["step"]])


def test_loading_a_foreign_state_dict_is_an_error():
    model = Regression(sgd)
    native = torch.optim.lr_scheduler.StepLR(model.optimizer, step_size=3)
    sched = adapter.scheduler(model.optimizer, CASES["cosine"])
    with pytest.raises(ValueError, match="no 'schedules' entry"):
        sched.load_state_dict(native.state_dict())


def test_param_group_added_later_is_an_error():
    params, opt = three_groups()
    sched = adapter.scheduler(opt, CASES["cosine"])
    run_groups(params, opt, sched, 2)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1})
    with pytest.raises(ValueError, match="param groups"):
        sched.step()


# -- the torch array namespace ---------------------------------------------------------------


def float32_ulps(reference, value):
    tiny = np.finfo(np.float32).tiny
    a, b = np.asarray(reference).astype(np.float32), np.asarray(value).astype(np.float32)
    a = np.where(np.abs(a) < tiny, np.float32(0), a)
    b = np.where(np.abs(b) < tiny, np.float32(0), b)
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


@pytest.mark.parametrize("name", list(CASES))
def test_namespace_evaluates_the_same_formula(name):
    """On torch tensors: float64 rounds to float32(reference) at every step (SPEC 7);
    float32 stays within 4 float32 ulps."""
    schedule = CASES[name]
    steps = np.arange(4_000)
    reference = schedule.values(steps)
    for dtype, bound in ((torch.float64, 0), (torch.float32, 4)):
        xp = adapter.namespace(dtype=dtype)
        value = schedule.evaluate(xp.as_int(steps), xp)
        assert value.dtype == dtype
        assert int(float32_ulps(reference, value.numpy()).max()) <= bound, dtype


# -- the conformance runner ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["warmup_join_nested", "cyclic_exp_range", "exponential_staircase"])
def test_runner_applied_and_witness_are_the_reference(name):
    schedule = CASES[name]
    result = runner.run(schedule.to_config(), 2_000)
    reference = schedule.values(np.arange(2_000)).tolist()
    assert result["applied"] == reference
    assert result["witness"] == reference


def test_runner_per_epoch_and_main(monkeypatch, capsys):
    schedule = lrcore.step(start=0.1, gamma=0.5, step_size=2)
    request = {"config": schedule.to_config(), "steps": 500, "steps_per_epoch": 37}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(request)))
    runner.main()
    result = json.loads(capsys.readouterr().out)
    reference = lrcore.per_epoch(schedule, steps_per_epoch=37).values(np.arange(500)).tolist()
    assert result["applied"] == reference and result["witness"] == reference


def test_runner_as_a_module():
    request = {"config": CASES["one_cycle"].to_config(), "steps": 50}
    done = subprocess.run(
        [sys.executable, "-m", "lrcore.adapters.torch.runner"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout)["applied"] == [CASES["one_cycle"](t) for t in range(50)]


# -- durations (SPEC section 8) -------------------------------------------------------

RECIPE = lrcore.warmup(
    lrcore.join(
        [lrcore.cosine(start=0.1, end=0.001, steps="8ep"), lrcore.constant(value=0.001)], boundaries=["8ep"]
    ),
    steps="5%",
)


@pytest.mark.parametrize(("steps_per_epoch", "total"), [(13, 13 * 10), (40, 40 * 10)])
def test_a_recipe_with_durations_is_bound_by_the_scheduler(steps_per_epoch: int, total: int) -> None:
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, RECIPE, total_steps=total, steps_per_epoch=steps_per_epoch)
    bound = RECIPE.bind(total_steps=total, steps_per_epoch=steps_per_epoch)
    assert sched.schedules[0] == bound
    assert train1(model, sched, total + 5) == bound.values(np.arange(total + 5)).tolist()


def test_an_unbound_recipe_is_refused_when_the_scheduler_is_built() -> None:
    model = Regression(sgd)
    with pytest.raises(lrcore.ConfigError, match="steps_per_epoch") as info:
        adapter.scheduler(model.optimizer, RECIPE, total_steps=100)
    assert info.value.path.startswith("schedule.")
    with pytest.raises(lrcore.ConfigError, match="total_steps"):
        adapter.scheduler(model.optimizer, RECIPE, steps_per_epoch=10)


def test_after_horizon_raise_fails_at_the_step_past_the_horizon_not_before() -> None:
    s = lrcore.after_horizon(lrcore.linear(start=0.1, end=0.0, steps=6), policy="raise")
    model = Regression(sgd)
    sched = adapter.scheduler(model.optimizer, s)
    assert train1(model, sched, 6) == s.values(np.arange(6)).tolist()
    model.update()
    with pytest.raises(lrcore.ConfigError, match="horizon"):
        sched.step()  # to step 7, past the horizon 6
