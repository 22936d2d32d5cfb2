"""Resuming torch training from a checkpoint continues the learning-rate curve bit for bit.

A run trains for ``UPDATES`` updates and, at a few stop steps (seeded random ones, one
inside the warmup or first phase, one right at a breakpoint of the schedule), writes a
full training checkpoint with ``torch.save``: model, optimizer (AdamW, so it has moment
state) and scheduler state dicts. Each checkpoint is then loaded with
``torch.load(weights_only=True)`` into a *fresh* model, optimizer and scheduler, which
train on; the learning rates they apply (``param_groups[i]["lr"]`` read just before each
``optimizer.step()``) must equal the uninterrupted run's, and the float64 reference,
bit for bit (SPEC 7), and the parameters must come out identical. The plateau scheduler
is resumed the same way, with checkpoints in the middle of a patience window.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require

pytestmark = pytest.mark.torch

torch = require("torch")

import lrcore  # noqa: E402
from lrcore.adapters.torch import plateau_scheduler, scheduler  # noqa: E402

UPDATES = 1600  # past every case's horizon (about 1,500) and its breakpoints
AFTER = 100  # updates trained after each resume
EPOCH = 10  # updates between plateau reports


def stop_steps(schedule: lrcore.Schedule, seed: int) -> list[int]:
    """Where to interrupt: a seeded random step, an early one (inside a warmup or the
    first phase) and the first breakpoint of the schedule (a boundary) when it has one."""
    rng = random.Random(seed)
    stops = {rng.randrange(1, UPDATES - AFTER), rng.randrange(1, 60)}
    points = [b for b in schedule.breakpoints() if 0 < b < UPDATES - AFTER]
    if points:
        stops.add(points[0])
    return sorted(stops)


def batch(t: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The data of update ``t``: a function of ``t`` only, so a resumed run sees the same."""
    g = torch.Generator().manual_seed(t)
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    return x, x.sum(dim=1, keepdim=True)


def fresh(make_scheduler, groups: int = 1):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    if groups == 1:
        params = model.parameters()
    else:  # two groups with their own initial rates (mode="multiplier")
        params = [{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters(), "lr": 1.0}]
    opt = torch.optim.AdamW(params, lr=1.0)
    return model, opt, make_scheduler(opt)


def train(model, opt, sched, first: int, last: int, lrs: list, *, report=None, save=None) -> None:
    """Updates ``first .. last - 1``; ``lrs`` gets each update's applied rates.
    ``report(t)``: a metric to report after update ``t`` (or None). ``save(t)``: called
    with the step count before update ``t``, to checkpoint there."""
    for t in range(first, last):
        if save is not None:
            save(t)
        lrs.append([group["lr"] for group in opt.param_groups])
        x, y = batch(t)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
        if report is not None and (metric := report(t)) is not None:
            sched.step(metric)


def checkpoint(path, model, opt, sched) -> None:
    torch.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path
    )


def restore(path, make_scheduler, groups: int = 1):
    model, opt, sched = fresh(make_scheduler, groups)
    state = torch.load(path, weights_only=True)  # plain types only: no pickled schedule objects
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    return model, opt, sched


def check_resumes(
    tmp_path, make_scheduler, stops, *, groups: int = 1, report=None, inspect=None, updates=None
):
    """Train uninterrupted (``updates``, default: until the last resumed run ends) with
    checkpoints at ``stops``; resume each; compare. Returns the uninterrupted rates."""
    updates = updates if updates is not None else max(stops) + AFTER + 1
    model, opt, sched = fresh(make_scheduler, groups)
    lrs: list = []
    params_after: dict[int, list] = {}

    def save(t: int) -> None:
        if t in stops:
            checkpoint(tmp_path / f"step{t}.pt", model, opt, sched)
            if inspect is not None:
                inspect(t, sched)
        if t - AFTER in stops:
            params_after[t - AFTER] = [p.detach().clone() for p in model.parameters()]

    train(model, opt, sched, 0, updates, lrs, report=report, save=save)
    for k in stops:
        resumed: list = []
        model2, opt2, sched2 = restore(tmp_path / f"step{k}.pt", make_scheduler, groups)
        train(model2, opt2, sched2, k, k + AFTER, resumed, report=report)
        expected = lrs[k : k + AFTER]
        first_bad = next((i for i, (a, b) in enumerate(zip(resumed, expected, strict=True)) if a != b), None)
        assert first_bad is None, (
            f"stop {k}: update {k + first_bad} applied {resumed[first_bad]}, expected {expected[first_bad]}"
        )
        for p, q in zip(model2.parameters(), params_after[k], strict=True):
            assert torch.equal(p.detach(), q), f"stop {k}: parameters differ after resuming"
    return lrs


@pytest.mark.parametrize("name", list(CASES))
def test_scheduler_resumes_bit_exact(tmp_path, name) -> None:
    schedule = CASES[name]
    stops = stop_steps(schedule, seed=sorted(CASES).index(name))
    lrs = check_resumes(tmp_path, lambda opt: scheduler(opt, schedule), stops)
    # ... and the uninterrupted curve is the reference itself.
    assert [row[0] for row in lrs] == schedule.values(np.arange(len(lrs))).tolist()


def test_multiplier_mode_with_param_groups_resumes_bit_exact(tmp_path) -> None:
    shape = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps=1300), steps=200)
    stops = [37, 200, 811]
    lrs = check_resumes(tmp_path, lambda opt: scheduler(opt, shape, mode="multiplier"), stops, groups=2)
    values = shape.values(np.arange(len(lrs)))
    assert [row[0] for row in lrs] == (0.1 * values).tolist()
    assert [row[1] for row in lrs] == (1.0 * values).tolist()


# -- the plateau scheduler, checkpointed in the middle of a patience window -----------


def metrics(seed: int):
    """A validation loss per epoch: noisy, slowly improving, with long flat stretches so
    that the plateau reduces several times."""
    rng = random.Random(seed)
    values = []
    level = 1.0
    for epoch in range(UPDATES // EPOCH + 1):
        if epoch % 13 < 5:
            level *= 0.9
        values.append(level + rng.choice([0.0, 0.01, 0.02]))
    return values


PLATEAUS = {
    "constant_inner": lrcore.plateau(0.1, patience=3, factor=0.5, cooldown=1),
    "schedule_inner": lrcore.plateau(
        lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1300), steps=200),
        patience=2,
        factor=0.3,
        min_lr=1e-4,
    ),
}


@pytest.mark.parametrize("name", list(PLATEAUS))
def test_plateau_scheduler_resumes_mid_patience(tmp_path, name) -> None:
    plateau = PLATEAUS[name]
    losses = metrics(seed=len(name))

    def report(t: int):
        return losses[t // EPOCH] if (t + 1) % EPOCH == 0 else None

    # Checkpoints right after a report (an epoch boundary) and in the middle of epochs.
    stops = sorted({15 * EPOCH, 15 * EPOCH + 3, *random.Random(7).sample(range(1, UPDATES - AFTER), 6)})
    seen = []

    def inspect(t: int, sched) -> None:
        seen.append((sched.plateau_state.num_bad_epochs, sched.plateau_state.reductions))

    lrs = check_resumes(
        tmp_path,
        lambda opt: plateau_scheduler(opt, plateau),
        stops,
        report=report,
        inspect=inspect,
        updates=UPDATES,
    )
    # The test means something: some checkpoints hold a pending patience window, some
    # follow reductions, and the uninterrupted run is the core's reference.
    assert any(bad > 0 for bad, _ in seen), seen
    assert any(reductions > 0 for _, reductions in seen), seen
    state = plateau.initial_state()
    expected = []
    for t in range(UPDATES):
        expected.append(plateau.lr(t, state))
        if (metric := report(t)) is not None:
            state = plateau.update(state, metric)
    assert [row[0] for row in lrs] == expected
