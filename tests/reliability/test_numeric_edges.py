"""Every catalog schedule at its edge steps: 0, 1, each breakpoint +-1, the horizon +-1,
2**24 (float32 stops counting exactly), 2**31 - 1 (int32 max) and 2**40.

No NaN, no infinity, no negative value; the float32 evaluation (double-float pairs, what
JAX and Keras on JAX trace) is float32(reference), but 1 ulp at near ties (SPEC 7);
step-like schedules switch level exactly at their boundary; ``schedule(t)`` is
``schedule.values([t])[0]`` bit for bit; bad steps raise ``ConfigError``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import CASES
from tests.contract import assert_float32_reference


def edge_steps(schedule: lrcore.Schedule) -> np.ndarray:
    points = {0, 1, 2**24, 2**31 - 1, 2**40}
    for b in schedule.breakpoints():
        points |= {b - 1, b, b + 1}
    if schedule.horizon is not None:
        points |= {schedule.horizon - 1, schedule.horizon, schedule.horizon + 1}
    return np.array(sorted(p for p in points if p >= 0), dtype=np.int64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_edges_are_finite_and_non_negative(name: str) -> None:
    schedule = CASES[name]
    ts = edge_steps(schedule)
    for bits in (64, 32):
        values = schedule.values(ts, bits=bits)
        assert values.dtype == (np.float64 if bits == 64 else np.float32)
        bad = ~np.isfinite(values) | (values < 0) | np.signbit(values)
        assert not bad.any(), f"float{bits} at steps {ts[bad].tolist()}: {values[bad].tolist()}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_is_the_rounded_reference_at_edges(name: str) -> None:
    schedule = CASES[name]
    ts = edge_steps(schedule)
    assert_float32_reference(
        schedule.values(ts, bits=32), schedule.values(ts), name, near_ties=True, steps=ts
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_call_is_values_bit_for_bit(name: str) -> None:
    schedule = CASES[name]
    ts = edge_steps(schedule)
    batch = schedule.values(ts)
    for t, v in zip(ts.tolist(), batch.tolist(), strict=True):
        one = schedule(t)
        assert isinstance(one, float)
        assert one.hex() == v.hex(), f"{name} at {t}: __call__ {one!r} != values {v!r}"
        assert schedule(np.int64(t)).hex() == one.hex()


def levels(schedule: lrcore.Schedule) -> list[tuple[int, float]]:
    """(boundary, level from that step on) for schedules that switch between levels."""
    if isinstance(schedule, lrcore.PiecewiseConstant):
        return list(zip(schedule.boundaries_, schedule.values_[1:], strict=True))
    if isinstance(schedule, lrcore.Multistep):
        return [(m, schedule.start * schedule.gamma ** (i + 1)) for i, m in enumerate(schedule.milestones)]
    if isinstance(schedule, lrcore.Step):
        return [(k * schedule.step_size, schedule.start * schedule.gamma**k) for k in range(1, 6)]
    if isinstance(schedule, lrcore.PerEpoch) and isinstance(schedule.schedule, lrcore.Step):
        inner = schedule.schedule
        return [
            (k * inner.step_size * schedule.steps_per_epoch, inner.start * inner.gamma**k)
            for k in range(1, 6)
        ]
    return []


STEPWISE = sorted(name for name, s in CASES.items() if levels(s))


def test_stepwise_cases_exist() -> None:
    assert {"piecewise_constant", "multistep", "step", "per_epoch"} <= set(STEPWISE)


@pytest.mark.parametrize("name", STEPWISE)
def test_levels_switch_exactly_at_boundaries(name: str) -> None:
    schedule = CASES[name]
    previous = schedule(0)
    for boundary, level in levels(schedule):
        for bits in (64, 32):
            before, at = schedule.values([boundary - 1, boundary], bits=bits).tolist()
            dtype = np.float64 if bits == 64 else np.float32
            assert before == pytest.approx(float(dtype(previous)), rel=1e-15 if bits == 64 else 1e-7), (
                f"{name}: float{bits} step {boundary - 1} left the level early"
            )
            assert at == pytest.approx(float(dtype(level)), rel=1e-15 if bits == 64 else 1e-7), (
                f"{name}: float{bits} step {boundary} has not switched to {level}"
            )
            assert before != at
        previous = level


@pytest.mark.parametrize("name", [n for n, s in CASES.items() if isinstance(s, lrcore.Join)])
def test_join_switches_exactly_at_boundaries(name: str) -> None:
    schedule = CASES[name]
    starts = [0, *schedule.boundaries_]
    for i, boundary in enumerate(schedule.boundaries_):
        before, at = schedule.values([boundary - 1, boundary]).tolist()
        assert before == schedule.schedules[i](boundary - 1 - starts[i])
        assert at == schedule.schedules[i + 1](0)


BAD_STEPS = [-1, -(2**40), 1.5, math.nan, math.inf, -math.inf, "3", None, True, 2**63, 2**64, 1e30, [1], 3j]


@pytest.mark.parametrize("bad", BAD_STEPS, ids=repr)
@pytest.mark.parametrize("name", ["constant", "cosine", "multistep", "warmup_join_nested", "table"])
def test_bad_steps_raise_config_error(name: str, bad: object) -> None:
    schedule = CASES[name]
    with pytest.raises(lrcore.ConfigError) as info:
        schedule(bad)  # type: ignore[arg-type]
    assert info.value.path == "t"
    # A list mixing ints and bools is an int array to NumPy; a bool array is refused.
    batch = np.array([bad]) if isinstance(bad, bool) else [0, bad]
    for bits in (64, 32):
        with pytest.raises(lrcore.ConfigError):
            schedule.values(batch, bits=bits)


def test_integer_valued_floats_are_steps() -> None:
    schedule = CASES["cosine"]
    assert schedule(10.0) == schedule(10) == schedule.values([10.0])[0]


def test_empty_and_shaped_steps() -> None:
    schedule = CASES["cosine"]
    assert schedule.values([]).shape == (0,)
    grid = np.arange(12).reshape(3, 4)
    assert np.array_equal(schedule.values(grid).reshape(-1), schedule.values(grid.reshape(-1)))


def test_tanh_with_a_subnormal_slope() -> None:
    schedule = lrcore.tanh(start=0.1, end=0.0, steps=2**31 - 1, lower=-1e-300, upper=0.0)
    values = schedule.values([0, 1, 2**31 - 1], bits=32)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
