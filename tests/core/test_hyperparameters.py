"""The momentum side of ``one_cycle`` and ``cyclic`` (SPEC section 9), on the core alone.

``schedule.hyperparameters()`` is empty by default; with ``cycle_momentum`` it holds
``{"momentum": the same schedule with curve="momentum"}``, a schedule like any other: it
round-trips through configs, binds durations and evaluates in float32 and float64. The values
are checked here against torch's formulas written out with ``math`` (tests/compat/test_momentum.py
steps torch itself).
"""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcore
from lrcore.precision import float32_bound, ulps
from tests.catalog_cases import CASES, momentum_fields

ONE_CYCLE = lrcore.one_cycle(peak=0.1, total=300, warmup_fraction=0.27, cycle_momentum=True)
CYCLIC = lrcore.cyclic(
    low=0.001, high=0.1, up=37, down=23, mode="exp_range", gamma=0.995, cycle_momentum=True
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_side_by_default(name: str) -> None:
    """Every case-table schedule without cycle_momentum drives the learning rate alone."""
    assert CASES[name].hyperparameters() == {}


@pytest.mark.parametrize("schedule", [ONE_CYCLE, CYCLIC], ids=["one_cycle", "cyclic"])
def test_momentum_side_is_a_schedule_that_round_trips(schedule: lrcore.Schedule) -> None:
    sides = schedule.hyperparameters()
    assert list(sides) == ["momentum"]
    momentum = sides["momentum"]
    assert type(momentum) is type(schedule)
    assert momentum.to_config()["curve"] == "momentum" and "cycle_momentum" not in momentum.to_config()
    assert momentum.hyperparameters() == {}  # the side carries no side of its own
    for value in (schedule, momentum):
        config = value.to_config()
        assert lrcore.from_config(config) == value
        assert lrcore.loads(json.dumps(config)) == value
        assert pickle.loads(pickle.dumps(value)) == value
    assert lrcore.from_config(schedule.to_config()).hyperparameters() == sides


def test_old_configs_keep_their_meaning() -> None:
    """A config written before the momentum fields loads unchanged and writes back the same."""
    for config in (
        {"type": "one_cycle", "peak": 0.1, "total": 100},
        {"type": "cyclic", "low": 0.001, "high": 0.1, "up": 10},
    ):
        schedule = lrcore.from_config(config)
        assert schedule.to_config() == config
        assert schedule.hyperparameters() == {}
    # the defaults are torch's
    assert (ONE_CYCLE.base_momentum, ONE_CYCLE.max_momentum) == (0.85, 0.95)
    assert (CYCLIC.base_momentum, CYCLIC.max_momentum) == (0.8, 0.9)


def test_lr_curve_is_unchanged_by_the_momentum_fields() -> None:
    steps = np.arange(400)
    plain = lrcore.one_cycle(peak=0.1, total=300, warmup_fraction=0.27)
    np.testing.assert_array_equal(ONE_CYCLE.values(steps), plain.values(steps))
    plain_cyclic = lrcore.cyclic(low=0.001, high=0.1, up=37, down=23, mode="exp_range", gamma=0.995)
    np.testing.assert_array_equal(CYCLIC.values(steps), plain_cyclic.values(steps))


def torch_one_cycle_momentum(
    t: int, total: int, pct: float, base: float, top: float, anneal: str, three: bool
) -> float:
    """torch OneCycleLR's momentum after ``t`` scheduler steps, transcribed."""
    phases = [(float(pct * total) - 1, top, base)]
    if three:
        phases += [(float(2 * pct * total) - 2, base, top), (total - 1, top, top)]
    else:
        phases += [(total - 1, base, top)]
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            x = (t - start) / (end - start)
            if anneal == "cos":
                return b + (a - b) / 2.0 * (math.cos(math.pi * x) + 1)
            return (b - a) * x + a
        start = end
    raise AssertionError


def torch_cyclic_momentum(
    t: int, up: int, down: int, mode: str, gamma: float, base: float, top: float
) -> float:
    """torch CyclicLR's momentum after ``t`` scheduler steps, transcribed."""
    total = float(up + down)
    ratio = up / total
    cycle = math.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    factor = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    scale = {"triangular": 1.0, "triangular2": 1 / (2.0 ** (cycle - 1)), "exp_range": gamma**t}[mode]
    return top - (top - base) * factor * scale


def cyclic_bound(t: np.ndarray, up: int, down: int, base: float, top: float) -> np.ndarray:
    """How far torch's CyclicLR momentum may sit from the exact value: 2 ulps of
    ``max_momentum``, plus the rounding of torch's float phase ``x = 1 + t / total - cycle``,
    which loses about one ulp of 1 per cycle (lrcore counts the phase in integers). Measured
    over 10,000 steps with up=37, down=23: 45 ulps of ``max_momentum``; this allows ~4x that."""
    total = up + down
    ratio = min(up, down) / total
    return 2 * np.spacing(top) + 2 * (top - base) * np.finfo(np.float64).eps * (1 + t / total) / ratio


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three", [False, True])
def test_one_cycle_momentum_follows_torchs_formula(anneal: str, three: bool) -> None:
    total, pct, base, top = 777, 0.2345, 0.6, 0.97
    s = lrcore.one_cycle(
        peak=0.1,
        total=total,
        warmup_fraction=pct,
        anneal=anneal,
        three_phase=three,
        cycle_momentum=True,
        base_momentum=base,
        max_momentum=top,
    )
    ours = s.hyperparameters()["momentum"].values(np.arange(total))
    ref = np.array([torch_one_cycle_momentum(t, total, pct, base, top, anneal, three) for t in range(total)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=4 * np.spacing(top))
    assert ours[0] == top and ours[-1] == top
    assert s.hyperparameters()["momentum"](10**9) == top  # held past the horizon
    assert np.all((ours >= base) & (ours <= top))


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_momentum_follows_torchs_formula(mode: str) -> None:
    up, down, gamma, base, top = 37, 23, 0.995, 0.5, 0.95
    s = lrcore.cyclic(
        low=0.01,
        high=0.2,
        up=up,
        down=down,
        mode=mode,
        gamma=gamma,
        cycle_momentum=True,
        base_momentum=base,
        max_momentum=top,
    )
    n = 1000
    ours = s.hyperparameters()["momentum"].values(np.arange(n))
    ref = np.array([torch_cyclic_momentum(t, up, down, mode, gamma, base, top) for t in range(n)])
    assert np.all(np.abs(ours - ref) <= cyclic_bound(np.arange(n), up, down, base, top))
    assert ours[0] == top
    if mode != "exp_range":  # exp_range's amplitude has shrunk by the first peak
        assert ours[up] == base


def test_float32_path_within_its_bound() -> None:
    for s in (ONE_CYCLE, CYCLIC):
        m = s.hyperparameters()["momentum"]
        steps = np.arange(2000)
        wide, narrow = m.values(steps), m.values(steps, bits=32)
        ulps = np.abs(narrow.astype(np.float64) - wide) / np.spacing(np.float32(wide)).astype(np.float64)
        assert float(ulps.max()) <= float32_bound(m), (m, float(ulps.max()))


def test_durations_bind_on_the_side_too() -> None:
    unbound = lrcore.one_cycle(peak=0.1, total="10ep", cycle_momentum=True)
    side = unbound.hyperparameters()["momentum"]
    assert side.unbound_durations() == (("total", "10ep"),)
    bound = lrcore.one_cycle(peak=0.1, total=100, cycle_momentum=True)
    assert side.bind(steps_per_epoch=10) == bound.hyperparameters()["momentum"]
    assert unbound.bind(steps_per_epoch=10).hyperparameters() == bound.hyperparameters()


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (lambda: lrcore.one_cycle(peak=0.1, total=100, base_momentum=0.96), "base_momentum", "0.96"),
        (lambda: lrcore.one_cycle(peak=0.1, total=100, max_momentum=1.0), "max_momentum", "1.0"),
        (lambda: lrcore.one_cycle(peak=0.1, total=100, base_momentum=-0.1), "base_momentum", "-0.1"),
        (
            lambda: lrcore.cyclic(low=0.1, high=1.0, up=5, base_momentum=0.9, max_momentum=0.8),
            "base_momentum",
            "0.9",
        ),
        (lambda: lrcore.cyclic(low=0.1, high=1.0, up=5, max_momentum=float("nan")), "max_momentum", "nan"),
        (lambda: lrcore.cyclic(low=0.1, high=1.0, up=5, cycle_momentum=1), "cycle_momentum", "1"),
        (lambda: lrcore.cyclic(low=0.1, high=1.0, up=5, curve="beta1"), "curve", "beta1"),
        (
            lambda: lrcore.cyclic(low=0.1, high=1.0, up=5, curve="momentum", cycle_momentum=True),
            "cycle_momentum",
            "True",
        ),
    ],
)
def test_bad_momentum_fields_name_field_and_value(build: object, field: str, value: str) -> None:
    with pytest.raises(lrcore.ConfigError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.path == field
    assert value in str(caught.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["one_cycle", "cyclic"]))
def test_momentum_stays_between_base_and_max(data: st.DataObject, kind: str) -> None:
    fields = data.draw(st.composite(lambda d: momentum_fields(d))())
    fields.pop("curve", None)
    fields["cycle_momentum"] = True
    if kind == "one_cycle":
        s = lrcore.one_cycle(peak=0.1, total=data.draw(st.integers(20, 3000)), **fields)
    else:
        s = lrcore.cyclic(low=0.01, high=0.1, up=data.draw(st.integers(1, 500)), mode="triangular2", **fields)
    m = s.hyperparameters()["momentum"]
    values = m.values(np.arange(4000))
    assert np.all(values >= m.base_momentum) and np.all(values <= m.max_momentum)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize("gamma", [0.999, 0.9999995])
def test_cyclic_momentum_near_zero_keeps_float32_precision(mode: str, gamma: float) -> None:
    """A momentum curve from 0.99 down to 0 would cancel in ``max - span * f``; the core writes
    it as a sum of non-negative terms. Measured: at most 2 ulps up to int32's last step."""
    s = lrcore.cyclic(
        low=0.001,
        high=0.1,
        up=150,
        down=250,
        mode=mode,
        gamma=gamma,
        curve="momentum",
        base_momentum=0.0,
        max_momentum=0.99,
    )
    steps = np.concatenate([np.arange(5000), [10**6 + 150, 10**7, 2**31 - 1]])
    distance = ulps(s.values(steps), s.values(steps, bits=32))
    assert int(distance.max()) <= 2, int(distance.max())
    assert s(150) == 0.0 or mode == "exp_range"  # the first peak reaches base_momentum


# -- combinators: pass the momentum side on where its meaning is clear, refuse it otherwise --


def test_time_remapping_combinators_remap_the_side_too() -> None:
    steps = np.arange(2_000)
    momentum = ONE_CYCLE.hyperparameters()["momentum"]
    per_epoch = lrcore.per_epoch(ONE_CYCLE, steps_per_epoch=5)
    np.testing.assert_array_equal(
        per_epoch.hyperparameters()["momentum"].values(steps), momentum.values(steps // 5)
    )
    repeated = lrcore.after_horizon(ONE_CYCLE, policy="repeat")
    side = repeated.hyperparameters()["momentum"]
    np.testing.assert_array_equal(side.values(steps), momentum.values(steps % ONE_CYCLE.horizon))
    assert lrcore.from_config(side.to_config()) == side


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: lrcore.scale(s, factor=0.5),
        lambda s: lrcore.clip(s, max=0.05),
    ],
    ids=["scale", "clip"],
)
def test_learning_rate_only_combinators_keep_the_side(wrap: object) -> None:
    wrapped = wrap(CYCLIC)  # type: ignore[operator]
    assert wrapped.hyperparameters() == CYCLIC.hyperparameters()
    assert wrapped(37) != CYCLIC(37)  # the learning rate itself is changed


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: lrcore.warmup(ONE_CYCLE, steps=10), "schedule"),
        (lambda: lrcore.join([lrcore.constant(value=0.1), CYCLIC], boundaries=[5]), "schedules[1]"),
        (lambda: lrcore.scale(lrcore.constant(value=1.0), factor=CYCLIC), "factor"),
        (
            lambda: lrcore.from_config({"type": "warmup", "steps": 10, "schedule": ONE_CYCLE.to_config()}),
            "schedule",
        ),
    ],
    ids=["warmup", "join", "scale-factor", "config"],
)
def test_combinators_that_would_drop_the_side_refuse_it(build: object, path: str) -> None:
    with pytest.raises(lrcore.ConfigError, match="cycle_momentum=False") as error:
        build()  # type: ignore[operator]
    assert error.value.path == path
    assert "momentum" in str(error.value)
    # The same composition without the side builds.
    lrcore.warmup(lrcore.one_cycle(peak=0.1, total=300, warmup_fraction=0.27), steps=10)


def test_cyclic_momentum_tops_out_at_max_momentum() -> None:
    # base + (max - base) rounded one float64 ulp above max at each cycle's top (found by the
    # test above); torch's max - (max - base) * 0 is max itself
    s = lrcore.cyclic(
        low=0.01,
        high=0.1,
        up=1,
        mode="triangular2",
        base_momentum=0.34515155414671644,
        max_momentum=0.999,
        cycle_momentum=True,
    )
    tops = s.hyperparameters()["momentum"].values(np.arange(0, 40, 2))
    assert np.all(tops == 0.999)
