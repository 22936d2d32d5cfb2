"""Issue 15 through the torch adapter: checkpoints carry the plan and its format version, a
resumed run with another plan warns naming what changed (or follows ``prefer=``), and tiny
runs (durations of 1, 2, 3; warmup as long as the run) apply the reference or fail clearly
at construction, never NaN. All in real training loops, checkpoints through
``torch.save`` / ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import io
import math
import warnings

import pytest

import lrcore
from lrcore.checkpoint import FORMAT, PlanChangedWarning
from tests.catalog_cases import CASES
from tests.conftest import require
from tests.core.test_durations import TINY, tiny

torch = require("torch")
adapter = require("lrcore.adapters.torch")

pytestmark = pytest.mark.torch

PLAN = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1000), steps=50)
CUT = 300  # the update the run is checkpointed at
REST = 120  # updates after resuming


class Run:
    """A real regression trained with SGD (momentum) and the adapter."""

    def __init__(self, schedule, **kw) -> None:
        generator = torch.Generator().manual_seed(0)
        self.weights = torch.nn.Parameter(torch.randn(4, generator=generator))
        self.data = torch.randn(8, 4, generator=generator)
        self.target = torch.randn(8, generator=generator)
        self.optimizer = torch.optim.SGD([self.weights], lr=1.0, momentum=0.9)
        self.sched = adapter.scheduler(self.optimizer, schedule, **kw)

    def train(self, updates: int) -> list[float]:
        """``updates`` real updates; the lr each one applied."""
        applied = []
        for _ in range(updates):
            applied.append(self.optimizer.param_groups[0]["lr"])
            self.optimizer.zero_grad()
            (self.data @ self.weights - self.target).square().mean().backward()
            self.optimizer.step()
            self.sched.step()
        return applied

    def checkpoint(self) -> dict:
        buffer = io.BytesIO()
        torch.save({"optimizer": self.optimizer.state_dict(), "scheduler": self.sched.state_dict()}, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)

    def resume(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.sched.load_state_dict(state["scheduler"])


@pytest.fixture(scope="module")
def saved():
    run = Run(PLAN)
    run.train(CUT)
    return run.checkpoint()


def test_the_checkpoint_carries_the_plan_and_its_format(saved):
    state = saved["scheduler"]
    assert state["lrcore_format"] == FORMAT
    assert state["schedules"] == [PLAN.to_config()]
    assert state["last_epoch"] == CUT


def test_the_same_plan_resumes_silently(saved):
    run = Run(PLAN)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.resume(saved)
        applied = run.train(REST)
    assert applied == [PLAN(t) for t in range(CUT, CUT + REST)]


def test_a_changed_horizon_warns_naming_it_and_resumes_with_the_checkpoints(saved):
    longer = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=2000), steps=50)
    run = Run(longer)
    with pytest.warns(
        PlanChangedWarning, match=r"schedules\[0\]: .*\(schedule\.steps: 1000 -> 2000\)"
    ) as info:
        run.resume(saved)
    assert len(info) == 1 and "prefer='current'" in str(info[0].message)
    assert info[0].filename == __file__  # the warning points at the line that resumed
    assert run.sched.schedules == (PLAN,)
    assert run.train(REST) == [PLAN(t) for t in range(CUT, CUT + REST)]


def test_prefer_current_runs_the_new_curve_from_the_resumed_step(saved):
    longer = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=2000), steps=50)
    run = Run(longer, prefer="current")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.resume(saved)
    assert run.optimizer.param_groups[0]["lr"] == longer(CUT) != PLAN(CUT)  # the very next update
    assert run.train(REST) == [longer(t) for t in range(CUT, CUT + REST)]
    assert run.sched.state_dict()["schedules"] == [longer.to_config()]


def test_prefer_checkpoint_resumes_the_saved_curve_silently(saved):
    other = lrcore.linear(start=0.5, end=0.0, steps=10)
    run = Run(other, prefer="checkpoint")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.resume(saved)
    assert run.train(REST) == [PLAN(t) for t in range(CUT, CUT + REST)]


def test_a_state_dict_without_a_format_version_still_loads(saved):
    old = {**saved, "scheduler": dict(saved["scheduler"])}
    del old["scheduler"]["lrcore_format"], old["scheduler"]["hyperparameters"]  # as written before
    run = Run(PLAN)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.resume(old)
    assert run.train(REST) == [PLAN(t) for t in range(CUT, CUT + REST)]


def test_a_format_from_a_newer_lrcore_is_refused_naming_the_field(saved):
    newer = {**saved, "scheduler": {**saved["scheduler"], "lrcore_format": FORMAT + 1}}
    run = Run(PLAN)
    with pytest.raises(lrcore.ConfigError, match=r"^state_dict\.schedules\[0\]\.lrcore_format: expected"):
        run.resume(newer)


def test_a_hyperparameter_schedule_added_or_dropped_is_a_changed_plan():
    momentum = lrcore.linear(start=0.95, end=0.85, steps=500)
    with_momentum = Run(PLAN, momentum=momentum)
    with_momentum.train(CUT)
    state = with_momentum.checkpoint()

    dropped = Run(PLAN)
    with pytest.warns(PlanChangedWarning, match=r"hyperparameters\.momentum\[0\]: .*linear -> \(none\)"):
        dropped.resume(state)
    assert dropped.sched.hyperparameters["momentum"] == (momentum,)  # the checkpoint's
    dropped.train(1)
    assert dropped.optimizer.param_groups[0]["momentum"] == momentum(CUT + 1)

    current = Run(PLAN, prefer="current")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        current.resume(state)
    assert current.sched.hyperparameters == {}

    plain = Run(PLAN)
    plain.train(CUT)
    added = Run(PLAN, momentum=momentum)
    with pytest.warns(PlanChangedWarning, match=r"\(momentum: \(none\) -> linear\)"):
        added.resume(plain.checkpoint())
    assert added.sched.hyperparameters == {}


# -- tiny runs -------------------------------------------------------------------------------------


def one_group():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=1.0)


@pytest.mark.parametrize(("name", "n"), TINY)
def test_tiny_runs_apply_the_reference_or_fail_at_construction(name, n):
    """The core's tiny-run matrix (tests/core/test_durations.py) through the adapter."""
    config = tiny(CASES[name].to_config(), n)
    try:
        reference = lrcore.from_config(config)
    except lrcore.ConfigError as error:
        with pytest.raises(lrcore.ConfigError) as refused:
            adapter.scheduler(one_group(), config)
        assert refused.value.path == f"schedule.{error.path}" or refused.value.path.startswith("schedule")
        return
    optimizer = one_group()
    sched = adapter.scheduler(optimizer, config)
    applied = []
    for _ in range(4 * n + 8):
        applied.append(optimizer.param_groups[0]["lr"])
        optimizer.param_groups[0]["params"][0].grad = torch.ones(3)
        optimizer.step()
        sched.step()
    assert all(math.isfinite(v) for v in applied), applied
    assert applied == [reference(t) for t in range(4 * n + 8)]


@pytest.mark.parametrize("total", [1, 2, 3, 10])
def test_warmup_as_long_as_the_run_through_the_scheduler(total):
    """Durations bound by the scheduler's ``total_steps``: warmup over 100% of the run."""
    recipes = [
        lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1), steps="100%"),
        lrcore.warmup_stable_decay(peak=0.1, warmup="100%", decay=0, total="100%"),
    ]
    for recipe in recipes:
        optimizer = one_group()
        sched = adapter.scheduler(optimizer, recipe, total_steps=total)
        bound = recipe.bind(total_steps=total)
        applied = []
        for _ in range(total + 3):
            applied.append(optimizer.param_groups[0]["lr"])
            optimizer.param_groups[0]["params"][0].grad = torch.ones(3)
            optimizer.step()
            sched.step()
        assert all(math.isfinite(v) for v in applied)
        assert applied == [bound(t) for t in range(total + 3)]
        assert applied[0] == 0.0 and bound(total) == 0.1
