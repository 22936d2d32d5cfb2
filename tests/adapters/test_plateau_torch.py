"""lrcore.plateau against torch's own ReduceLROnPlateau, and the torch plateau adapter.

Golden: the core's pure state machine, fed the same random metric sequence as
``torch.optim.lr_scheduler.ReduceLROnPlateau``, gives the same learning rate (exactly, in
float64) and the same ``best`` / ``num_bad_epochs`` / ``cooldown_counter`` after every
report, in every mode and threshold mode. The adapter then runs in a real training loop.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require

pytestmark = pytest.mark.torch

torch = require("torch")

import lrcore  # noqa: E402
from lrcore._namespace import numpy_namespace  # noqa: E402
from lrcore._plateau import Plateau  # noqa: E402
from lrcore.adapters.torch import PlateauScheduler, plateau_scheduler  # noqa: E402
from tests.core.test_plateau import reference_lrs  # noqa: E402

ReduceLROnPlateau = torch.optim.lr_scheduler.ReduceLROnPlateau


def optimizer(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)


# Metrics torch and lrcore treat alike: finite numbers of any sign and size, NaN, and the
# infinity in the worsening direction (lrcore's documented difference is the other one).
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
grid = st.integers(-8, 8).map(lambda k: k / 4)  # ties and repeats, where thresholds bite
settings_ = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["min", "max"]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "factor": st.sampled_from([0.1, 0.5, 0.3, 0.9, 0.77]),
        "patience": st.integers(0, 3),
        "cooldown": st.integers(0, 3),
        "threshold": st.sampled_from([0.0, 1e-4, 0.01, 0.25]),
        "min_lr": st.sampled_from([0.0, 1e-4, 0.003]),
        "eps": st.sampled_from([1e-8, 0.0, 1e-3]),
    }
)


@st.composite
def cases(draw):
    params = draw(settings_)
    worse = math.inf if params["mode"] == "min" else -math.inf
    metric = st.one_of(finite, grid, grid, st.just(math.nan), st.just(worse))
    metrics = draw(st.lists(metric, min_size=1, max_size=40))
    lr = draw(st.sampled_from([0.1, 1.0, 0.037, 3e-4, 1e-7]))
    return params, metrics, lr


@settings(max_examples=300, deadline=None)
@given(cases())
def test_core_state_machine_equals_torch_reduce_lr_on_plateau(case) -> None:
    params, metrics, lr = case
    torch_sched = ReduceLROnPlateau(optimizer(lr), **params)
    plateau = Plateau(lr, **params)
    state = plateau.initial_state()
    for i, metric in enumerate(metrics):
        torch_sched.step(metric)
        state = plateau.update(state, metric)
        expected = torch_sched.optimizer.param_groups[0]["lr"]
        assert plateau.lr(0, state) == expected, f"report {i}: {metric!r}"
        assert plateau.lr(12345, state) == expected
        assert (state.best, state.num_bad_epochs, state.cooldown_counter) == (
            torch_sched.best,
            torch_sched.num_bad_epochs,
            torch_sched.cooldown_counter,
        )


@settings(max_examples=100, deadline=None)
@given(cases())
def test_adapter_equals_torch_reduce_lr_on_plateau(case) -> None:
    params, metrics, lr = case
    ours_opt, theirs_opt = optimizer(1.0), optimizer(lr)
    ours = plateau_scheduler(ours_opt, Plateau(lr, **params))
    theirs = ReduceLROnPlateau(theirs_opt, **params)
    assert ours_opt.param_groups[0]["lr"] == lr
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours_opt.param_groups[0]["lr"] == theirs_opt.param_groups[0]["lr"]
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.best,
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
        )


def test_is_a_torch_plateau_scheduler() -> None:
    sched = plateau_scheduler(optimizer(), lrcore.from_config({"type": "plateau", "schedule": 0.1}))
    assert isinstance(sched, ReduceLROnPlateau)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    with pytest.raises(lrcore.ConfigError):
        plateau_scheduler(optimizer(), lrcore.constant(value=0.1))


def train(sched: PlateauScheduler, opt, metrics, updates_per_epoch: int, start_epoch: int = 0):
    """A real loop: SGD on a quadratic, ``step()`` per update, ``step(metric)`` per epoch.
    Returns the learning rate each update applied (read from the param group)."""
    param = opt.param_groups[0]["params"][0]
    applied = []
    for metric in metrics[start_epoch:]:
        for _ in range(updates_per_epoch):
            opt.zero_grad()
            (param - 1.0).pow(2).sum().backward()
            applied.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        sched.step(torch.tensor(metric))  # a 0-d tensor, as a validation loop returns
    return applied


SCHEDULE_PLATEAU = Plateau(
    lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=300), steps=40),
    patience=1,
    factor=0.5,
    cooldown=1,
    min_lr=0.004,
)
METRICS = [5.0, 4.0, 4.0, 4.5, 3.0, 3.0, 3.0, 3.1, 2.0, 2.0, 2.5, 2.5, 2.5, 2.5, 2.5]


def test_schedule_inner_in_a_training_loop_equals_the_reference() -> None:
    opt = optimizer(1.0)
    applied = train(plateau_scheduler(opt, SCHEDULE_PLATEAU), opt, METRICS, 25)
    expected = reference_lrs(SCHEDULE_PLATEAU, METRICS, 25).tolist()
    assert applied == expected
    # the plateau did reduce, min_lr held the floor, and the cosine still ended at 0
    state = SCHEDULE_PLATEAU.initial_state()
    for m in METRICS:
        state = SCHEDULE_PLATEAU.update(state, m)
    assert state.reductions >= 3
    assert applied.count(0.004) > 10 and applied[-1] == 0.0


@pytest.mark.parametrize("split", [3, 6, 7])  # mid patience window, mid cooldown
def test_checkpoint_resume_continues_exactly(split: int) -> None:
    per_epoch = 20
    opt = optimizer(1.0)
    whole = train(plateau_scheduler(opt, SCHEDULE_PLATEAU), opt, METRICS, per_epoch)

    opt1 = optimizer(1.0)
    sched1 = plateau_scheduler(opt1, SCHEDULE_PLATEAU)
    first = train(sched1, opt1, METRICS[:split], per_epoch)
    buffer = io.BytesIO()
    torch.save({"sched": sched1.state_dict(), "opt": opt1.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    opt2 = optimizer(1.0)
    opt2.load_state_dict(saved["opt"])
    sched2 = plateau_scheduler(opt2, Plateau(0.5), prefer="checkpoint")  # the saved plateau, silently
    sched2.load_state_dict(saved["sched"])
    assert sched2.plateau == SCHEDULE_PLATEAU
    assert sched2.plateau_state == sched1.plateau_state
    rest = train(sched2, opt2, METRICS, per_epoch, start_epoch=split)
    assert first + rest == whole


def test_plain_case_checkpoint_matches_torch_after_resume() -> None:
    params = {"patience": 2, "factor": 0.3, "cooldown": 1, "min_lr": 1e-3}
    metrics = [1.0, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.4, 0.5, 0.5, 0.5]
    theirs = ReduceLROnPlateau(optimizer(0.1), **params)
    expected = []
    for m in metrics:
        theirs.step(m)
        expected.append(theirs.get_last_lr()[0])
    sched = plateau_scheduler(optimizer(), Plateau(0.1, **params))
    got = []
    for m in metrics[:5]:
        sched.step(m)
        got.append(sched.get_last_lr()[0])
    resumed = plateau_scheduler(optimizer(), Plateau(0.1), prefer="checkpoint")
    resumed.load_state_dict(sched.state_dict())
    for m in metrics[5:]:
        resumed.step(m)
        got.append(resumed.get_last_lr()[0])
    assert got == expected


def test_tensor_learning_rate_is_filled_in_place() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor(0.5))
    lr_tensor = opt.param_groups[0]["lr"]
    sched = plateau_scheduler(opt, Plateau(0.1, patience=0))
    sched.step(1.0)
    sched.step(2.0)
    assert opt.param_groups[0]["lr"] is lr_tensor
    assert float(lr_tensor) == pytest.approx(0.01)


def test_nonfinite_raise_and_torch_divergence_on_minus_inf() -> None:
    sched = plateau_scheduler(optimizer(), Plateau(0.1, nonfinite="raise"))
    with pytest.raises(ValueError, match="metric"):
        sched.step(float("nan"))
    # The documented difference: torch records -inf as the best (then reduces forever);
    # lrcore counts it as a bad epoch and keeps the finite best.
    ours = plateau_scheduler(optimizer(), Plateau(0.1, patience=5))
    theirs = ReduceLROnPlateau(optimizer(0.1), patience=5)
    for m in [1.0, -math.inf]:
        ours.step(m)
        theirs.step(m)
    assert theirs.best == -math.inf and ours.best == 1.0
    assert ours.num_bad_epochs == 1 and np.isfinite(ours.get_last_lr()[0])


# -- per-group floors (torch's min_lr list) -----------------------------------------------


def grouped_optimizer(lr: float, groups: int) -> torch.optim.Optimizer:
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(groups)], lr=lr)


@pytest.mark.parametrize("eps", [1e-8, 0.0, 1e-3])
def test_per_group_min_lr_equals_torch(eps: float) -> None:
    floors = [0.0, 1e-3, 0.02]
    params = {"mode": "min", "factor": 0.5, "patience": 1, "cooldown": 1, "eps": eps}
    rng = np.random.default_rng(3)
    metrics = (np.cumsum(rng.normal(0.0, 1.0, 200)) + 0.3 * np.arange(200)).tolist()  # drifts up: reduces
    opt_torch, opt_ours = grouped_optimizer(0.1, 3), grouped_optimizer(0.1, 3)
    theirs = ReduceLROnPlateau(opt_torch, min_lr=floors, **params)
    ours = plateau_scheduler(opt_ours, Plateau(0.1, **params), min_lr=floors)
    for m in metrics:
        theirs.step(m)
        ours.step(m)
        assert [g["lr"] for g in opt_ours.param_groups] == [g["lr"] for g in opt_torch.param_groups]
    final = [g["lr"] for g in opt_ours.param_groups]
    assert final[2] == 0.02 and final[0] < 0.02  # the floors do differ per group
    if eps < 1e-3:  # (a large eps stops the reductions above the lower floors)
        assert final[1] == 1e-3 and final[0] < 1e-3


def test_per_group_min_lr_with_a_schedule_and_resume() -> None:
    floors = [0.004, 0.01]
    opt = grouped_optimizer(1.0, 2)
    sched = plateau_scheduler(opt, SCHEDULE_PLATEAU, min_lr=floors)
    seen: list[list[float]] = []
    for metric in METRICS[:6]:
        for _ in range(25):
            seen.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        sched.step(metric)
    resumed = plateau_scheduler(grouped_optimizer(1.0, 2), Plateau(0.5), prefer="checkpoint")
    resumed.load_state_dict(sched.state_dict())
    for metric in METRICS[6:]:
        for _ in range(25):
            seen.append([g["lr"] for g in resumed.optimizer.param_groups])
            resumed.step()
        resumed.step(metric)
    for i, floor in enumerate(floors):
        expected = reference_lrs(
            lrcore.from_config({**SCHEDULE_PLATEAU.to_config(), "min_lr": floor}), METRICS, 25
        )
        assert [row[i] for row in seen] == expected.tolist()


def test_per_group_min_lr_refusals() -> None:
    with pytest.raises(lrcore.ConfigError, match="min_lr"):
        plateau_scheduler(grouped_optimizer(0.1, 2), Plateau(0.1), min_lr=[0.0])
    with pytest.raises(lrcore.ConfigError) as info:
        plateau_scheduler(grouped_optimizer(0.1, 2), Plateau(0.1, min_lr=0.01), min_lr=[0.01, 0.001])
    assert info.value.path == "min_lr[1]"


# -- durations --------------------------------------------------------------------------


def durations_plateau(inner_steps, warmup) -> Plateau:
    cosine = lrcore.cosine(start=0.1, end=0.0, steps=inner_steps)
    return Plateau(lrcore.warmup(cosine, steps=warmup), patience=1, factor=0.5, cooldown=1, min_lr=0.004)


def test_durations_are_bound_by_total_steps_and_steps_per_epoch() -> None:
    per_epoch, total = 25, 25 * len(METRICS)  # 375 updates
    recipe = durations_plateau("12ep", "10%")
    by_hand = durations_plateau(12 * per_epoch, 38)  # 10% of 375 is 37.5: halves up
    opt = optimizer(1.0)
    sched = plateau_scheduler(opt, recipe.to_config(), total_steps=total, steps_per_epoch=per_epoch)
    assert sched.plateau == by_hand
    applied = train(sched, opt, METRICS, per_epoch)
    assert applied == reference_lrs(by_hand, METRICS, per_epoch).tolist()  # float64, bit for bit
    assert sched.plateau_state.reductions >= 2
    # the checkpoint holds the bound plateau: a fresh scheduler resumes from it without binding
    again = plateau_scheduler(optimizer(1.0), by_hand)
    again.load_state_dict(sched.state_dict())
    assert again.plateau == by_hand and again.get_last_lr() == sched.get_last_lr()


def test_an_unbound_duration_is_refused_naming_it_and_the_argument() -> None:
    recipe = durations_plateau("12ep", "10%")
    with pytest.raises(
        lrcore.ConfigError,
        match=r"^plateau\.schedule\.schedule\.steps: expected a bound duration, got '12ep' "
        r"\(give the plateau adapter steps_per_epoch=",
    ):
        plateau_scheduler(optimizer(), recipe)
    with pytest.raises(lrcore.ConfigError, match=r"^plateau\.schedule\.steps: .* got '10%' .*total_steps="):
        plateau_scheduler(optimizer(), recipe, steps_per_epoch=25)
    with pytest.raises(lrcore.ConfigError, match=r"^total_steps: expected an integer >= 1"):
        plateau_scheduler(optimizer(), recipe, total_steps=0, steps_per_epoch=25)


# -- a checkpoint carries the plan: resuming with a changed one (SPEC section 8) -----------


def _run_and_save(plateau: Plateau, epochs: int = 4, per_epoch: int = 20) -> dict:
    opt = optimizer(1.0)
    sched = plateau_scheduler(opt, plateau)
    train(sched, opt, METRICS[:epochs], per_epoch)
    buffer = io.BytesIO()
    torch.save(sched.state_dict(), buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_checkpoint_carries_format_and_plan_and_equal_plan_resumes_silently(recwarn) -> None:
    saved = _run_and_save(SCHEDULE_PLATEAU)
    assert saved["lrcore_format"] == lrcore.checkpoint.FORMAT
    assert saved["plateau"] == SCHEDULE_PLATEAU.to_config()
    resumed = plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU)
    resumed.load_state_dict(saved)
    assert not [w for w in recwarn if issubclass(w.category, lrcore.checkpoint.PlanChangedWarning)]
    assert resumed.plateau == SCHEDULE_PLATEAU and resumed.last_epoch == 80


def _changed(**fields: object) -> Plateau:
    """SCHEDULE_PLATEAU with its cosine horizon (``steps``) or its own fields changed."""
    config = SCHEDULE_PLATEAU.to_config()
    config["schedule"]["schedule"]["steps"] = fields.pop("steps", 300)
    plateau = lrcore.from_config({**config, **fields})
    assert isinstance(plateau, Plateau)
    return plateau


def test_changed_plan_warns_naming_it_and_resumes_with_the_checkpoints() -> None:
    saved = _run_and_save(SCHEDULE_PLATEAU)
    resumed = plateau_scheduler(optimizer(1.0), _changed(steps=600))
    with pytest.warns(lrcore.checkpoint.PlanChangedWarning, match=r"schedule\.schedule\.steps: 300 -> 600"):
        resumed.load_state_dict(saved)
    assert resumed.plateau == SCHEDULE_PLATEAU
    same = plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU)
    same.load_state_dict(saved)
    assert resumed.get_last_lr() == same.get_last_lr()
    assert resumed.plateau_state == same.plateau_state


def test_prefer_current_resumes_the_new_plan_from_the_saved_position(recwarn) -> None:
    saved = _run_and_save(SCHEDULE_PLATEAU)
    new = _changed(steps=600, patience=3)
    resumed = plateau_scheduler(optimizer(1.0), new, prefer="current")
    resumed.load_state_dict(saved)
    assert not [w for w in recwarn if issubclass(w.category, lrcore.checkpoint.PlanChangedWarning)]
    assert resumed.plateau == new and resumed.patience == 3  # torch's mirror follows the plan
    assert resumed.last_epoch == 80
    # the new plan's curve at the saved update and the saved reductions
    expected = new.scaled(
        np.float64(new.inner(80)), np.float64(resumed.plateau_state.level), numpy_namespace(64)
    )
    assert resumed.get_last_lr() == [float(expected)]
    assert resumed.plateau_state.reductions == saved["plateau_state"]["reductions"] > 0


def test_old_state_dicts_load_and_newer_formats_are_refused() -> None:
    saved = _run_and_save(SCHEDULE_PLATEAU)
    old = {k: v for k, v in saved.items() if k != "lrcore_format"}
    resumed = plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU)
    resumed.load_state_dict(old)
    full = plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU)
    full.load_state_dict(saved)
    assert resumed.get_last_lr() == full.get_last_lr() and resumed.last_epoch == full.last_epoch == 80
    with pytest.raises(lrcore.ConfigError, match=r"plateau\.lrcore_format") as error:
        plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU).load_state_dict({**saved, "lrcore_format": 99})
    assert error.value.got == 99
    with pytest.raises(lrcore.ConfigError, match="prefer"):
        plateau_scheduler(optimizer(1.0), SCHEDULE_PLATEAU, prefer="newest")
