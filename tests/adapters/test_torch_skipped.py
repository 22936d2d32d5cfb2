"""Skipped updates and gradient accumulation with the torch scheduler (SPEC sections 3 and 9):
``t`` counts the updates the optimizer applied.

- A real ``torch.amp.GradScaler("cpu")`` run with infinite gradients injected on chosen
  iterations (the first included): with ``skipped="hold"`` (default) the n-th applied update
  uses ``schedule(n)`` and torch's call-order warning is not raised; ``skipped="advance"``
  counts every iteration, as torch's schedulers do. A fused optimizer, which GradScaler
  calls with ``found_inf`` and which skips inside its ``step()``, is held too.
- Accumulation over k = 1, 2, 4 micro-batches for every catalog case (one param group each):
  ``sched.step()`` once per applied update or once per micro-batch, without stating k
  anywhere, gives ``schedule(n)`` at the n-th applied update.
- Stepping the scheduler without training (no optimizer step, no gradients) advances as
  torch's schedulers do.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import CASES
from tests.conftest import require

torch = require("torch")
adapter = require("lrcore.adapters.torch")

pytestmark = pytest.mark.torch

NAMES = list(CASES)
SCHEDULE = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=30), steps=5)
SKIP = {0, 1, 4, 9, 10, 11, 20}  # iterations whose gradients are infinite


def record_applied(optimizer):
    """``applied[n]``: the groups' lr when the n-th update is applied (a step pre hook; an
    optimizer skipping inside its step with GradScaler's ``found_inf`` applies nothing)."""
    applied = []

    def hook(opt, args, kwargs):
        found_inf = getattr(opt, "found_inf", None)
        if found_inf is None or not found_inf.item():
            applied.append([group["lr"] for group in opt.param_groups])

    optimizer.register_step_pre_hook(hook)
    return applied


def scaled_run(skipped, iterations=30, fused=False, zero_grad="first"):
    """A GradScaler training loop (CPU); returns the applied lrs, the scheduler, the number
    of skipped iterations and the weights."""
    generator = torch.Generator().manual_seed(0)
    weights = torch.nn.Parameter(torch.randn(4, generator=generator))
    data, target = torch.randn(8, 4, generator=generator), torch.randn(8, generator=generator)
    optimizer = torch.optim.AdamW([weights], lr=1.0, fused=fused)
    sched = adapter.scheduler(optimizer, SCHEDULE, skipped=skipped)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    applied = record_applied(optimizer)
    scales = []
    for i in range(iterations):
        if zero_grad == "first":
            optimizer.zero_grad()
        loss = (data @ weights - target).square().mean()
        if i in SKIP:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scales.append(scaler.get_scale())
        if zero_grad == "before_scheduler":
            optimizer.zero_grad()
        sched.step()
    skipped_count = sum(1 for a, b in zip([2.0**10, *scales], scales, strict=False) if b < a)
    return [lr[0] for lr in applied], sched, skipped_count, weights.detach().clone()


@pytest.mark.parametrize("fused", [False, True])
def test_gradscaler_skips_do_not_advance_the_schedule(fused):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no call-order warning, though iteration 0 is skipped
        applied, sched, skipped, _ = scaled_run("hold", fused=fused)
    assert skipped == len(SKIP)  # GradScaler really skipped those iterations (its scale backed off)
    assert len(applied) == 30 - len(SKIP)
    assert applied == [SCHEDULE(n) for n in range(len(applied))]
    assert sched.last_epoch == len(applied) and sched.get_last_lr() == [SCHEDULE(len(applied))]


def test_gradscaler_with_advance_counts_every_iteration_as_torch():
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        applied, sched, _, _ = scaled_run("advance")
    kept = [i for i in range(30) if i not in SKIP]
    assert applied == [SCHEDULE(i) for i in kept]
    assert sched.last_epoch == 30


def test_a_held_run_trains_like_a_run_without_the_skipped_iterations():
    """Holding is what makes a skipped iteration a no-op: the weights equal a run whose
    skipped iterations never happened (same data every iteration)."""
    _, _, _, held = scaled_run("hold")
    generator = torch.Generator().manual_seed(0)
    weights = torch.nn.Parameter(torch.randn(4, generator=generator))
    data, target = torch.randn(8, 4, generator=generator), torch.randn(8, generator=generator)
    optimizer = torch.optim.AdamW([weights], lr=1.0)
    sched = adapter.scheduler(optimizer, SCHEDULE)
    for _ in range(30 - len(SKIP)):
        optimizer.zero_grad()
        (data @ weights - target).square().mean().backward()
        optimizer.step()
        sched.step()
    torch.testing.assert_close(held, weights.detach(), rtol=1e-6, atol=0.0)  # GradScaler's unscale rounds


def test_gradients_cleared_before_the_scheduler_step_advance_as_torch():
    """The documented limit: a held step needs the unapplied gradients in place, so a loop
    that sets them to None between ``scaler.update()`` and ``sched.step()`` advances at
    every skip (with torch's warning at the first), as torch's schedulers do."""
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)"):
        applied, sched, _, _ = scaled_run("hold", zero_grad="before_scheduler")
    assert applied == [SCHEDULE(i) for i in range(30) if i not in SKIP]
    assert sched.last_epoch == 30


def test_stepping_after_training_without_gradients_advances():
    """After real updates, ``step()`` calls with no update and no gradients (fast-forwarding,
    a benchmark) advance; with gradients pending they hold."""
    w = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([w], lr=1.0)
    sched = adapter.scheduler(optimizer, SCHEDULE)
    for _ in range(3):
        w.grad = torch.ones(2)
        optimizer.step()
        sched.step()
    w.grad = torch.ones(2)  # computed, not applied: held
    sched.step()
    assert sched.last_epoch == 3
    w.grad = None
    for _ in range(4):
        sched.step()
    assert sched.last_epoch == 7 and sched.get_last_lr() == [SCHEDULE(7)]


# -- gradient accumulation --------------------------------------------------------------------


APPLIED_UPDATES = 120


def accumulate(k, per):
    """Every catalog case as a param group of one SGD optimizer; ``k`` micro-batches per
    applied update; ``sched.step()`` once per applied update (``per="update"``) or once per
    micro-batch (``per="micro_batch"``). Returns ``applied[n, group]``."""
    x = torch.randn(4, generator=torch.Generator().manual_seed(0))
    weights = [torch.nn.Parameter(torch.zeros(4)) for _ in NAMES]
    optimizer = torch.optim.SGD([{"params": [w]} for w in weights], lr=1.0)
    sched = adapter.scheduler(optimizer, [CASES[name] for name in NAMES])
    applied = record_applied(optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for micro in range(APPLIED_UPDATES * k):
            ((torch.stack(weights) @ x - 1.0).square().sum() / k).backward()
            if (micro + 1) % k == 0:
                optimizer.step()
                optimizer.zero_grad()
                if per == "update":
                    sched.step()
            if per == "micro_batch":
                sched.step()
    return np.array(applied), sched


@pytest.fixture(scope="module", params=[1, 2, 4], ids=lambda k: f"k{k}")
def accumulated(request):
    k = request.param
    return k, {per: accumulate(k, per) for per in ("update", "micro_batch")}


@pytest.mark.parametrize("per", ["update", "micro_batch"])
def test_accumulation_counts_applied_updates_for_every_case(accumulated, per):
    k, runs = accumulated
    applied, sched = runs[per]
    assert applied.shape == (APPLIED_UPDATES, len(NAMES))
    steps = np.arange(APPLIED_UPDATES)
    for i, name in enumerate(NAMES):
        reference = CASES[name].values(steps)
        bad = np.flatnonzero(applied[:, i] != reference)
        assert bad.size == 0, f"{name}, k={k}, per {per}: first mismatch at update {bad[0]}"
    assert sched.last_epoch == APPLIED_UPDATES


# -- stepping without training ---------------------------------------------------------------------


@pytest.mark.parametrize("skipped", ["hold", "advance"])
def test_stepping_without_an_optimizer_step_or_gradients_advances_as_torch(skipped):
    """Plotting a curve (no optimizer step, no backward): every ``step()`` advances, with
    torch's own warning at the first one."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = adapter.scheduler(optimizer, SCHEDULE, skipped=skipped)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)"):
        curve = [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(40)]
    assert curve == [SCHEDULE(t) for t in range(41)]


def test_skipped_must_be_hold_or_advance():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    with pytest.raises(lrcore.ConfigError, match=r"^skipped: expected one of 'hold', 'advance', got 'skip'"):
        adapter.scheduler(optimizer, SCHEDULE, skipped="skip")


def test_two_schedulers_on_one_optimizer_count_the_same_updates():
    """The update counter is the optimizer's (one hook), read by each scheduler."""
    w = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([w], lr=1.0)
    first = adapter.scheduler(optimizer, SCHEDULE)
    second = adapter.scheduler(optimizer, SCHEDULE)
    for i in range(12):
        w.grad = torch.ones(2)
        if i % 3:
            optimizer.step()
        first.step()
        second.step()
    assert first.last_epoch == second.last_epoch == 8
    assert len(optimizer._optimizer_step_post_hooks) == 1


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_scheduler_counts_its_copied_optimizers_updates(how):
    w = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([w], lr=1.0)
    sched = adapter.scheduler(optimizer, SCHEDULE)
    for _ in range(3):
        w.grad = torch.ones(2)
        optimizer.step()
        sched.step()
    copied = copy.deepcopy(sched) if how == "deepcopy" else pickle.loads(pickle.dumps(sched))
    assert copied.optimizer is not optimizer
    params = copied.optimizer.param_groups[0]["params"]
    for _ in range(4):
        params[0].grad = torch.ones(2)
        copied.optimizer.step()
        copied.step()
    assert copied.last_epoch == 7 and copied.get_last_lr() == [SCHEDULE(7)]
    assert sched.last_epoch == 3
