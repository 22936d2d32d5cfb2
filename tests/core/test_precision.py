"""SPEC section 7 on the host: the float32 evaluation (what JAX and Keras-on-JAX trace,
double-float pairs) is float32 of the float64 reference but at near ties, and the plain
float32 path (``extended=False``) stays within ``lrcore.precision.float32_bound``, for
horizons up to 10**7 (the long cases of every type in the case table).

Each long-horizon case is checked on a stride of steps, around every breakpoint, and over
the last 1,000 steps of its horizon (where a naive float32 cosine loses all precision).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcore
from lrcore.precision import float32_bound, ulps
from tests.catalog_cases import CASES, CONFORMANCE_DOMAIN, LONG, N, configs
from tests.contract import assert_float32_reference


def probe_steps(schedule: lrcore.Schedule) -> np.ndarray:
    horizon = schedule.horizon or N
    stride = np.arange(0, N + 1, 997)
    ends = np.arange(max(0, horizon - 1_000), horizon + 2)
    start = np.arange(0, 1_000)
    around = [b + d for b in schedule.breakpoints() for d in (-2, -1, 0, 1, 2) if 0 <= b + d <= 2 * N]
    return np.unique(np.concatenate([stride, ends, start, np.asarray(around, dtype=np.int64)]))


@pytest.mark.parametrize("name", sorted(LONG))
def test_float32_path_within_its_bound_over_ten_million_steps(name: str) -> None:
    schedule = LONG[name]
    ts = probe_steps(schedule)
    reference = schedule.values(ts)
    float32 = schedule.values(ts, bits=32, extended=False)
    assert float32.dtype == np.float32
    distance = ulps(reference, float32)
    worst = int(np.argmax(distance))
    assert distance[worst] <= float32_bound(schedule), (
        f"{name}: step {ts[worst]} reference {reference[worst]!r} float32 {float32[worst]!r} "
        f"is {distance[worst]} ulps away"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_path_within_its_bound_on_the_catalog_cases(name: str) -> None:
    schedule = CASES[name]
    ts = np.arange(20_000)
    assert ulps(schedule.values(ts), schedule.values(ts, bits=32, extended=False)).max() <= float32_bound(
        schedule
    )


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=configs(dataclasses.replace(CONFORMANCE_DOMAIN, rising=True), max_leaves=3),
    steps=st.integers(10, 800),
)
def test_float32_path_within_its_bound_on_random_configs(config: dict[str, object], steps: int) -> None:
    """What the conformance suite replays on float32 backends (rising curves too), checked
    on the host first."""
    schedule = lrcore.from_config(config)
    ts = np.arange(steps)
    distance = ulps(schedule.values(ts), schedule.values(ts, bits=32, extended=False))
    worst = int(np.argmax(distance))
    assert distance[worst] <= float32_bound(schedule), (
        f"{config}: step {worst} is {distance[worst]} ulps away (bound {float32_bound(schedule)})"
    )


def test_bounds_are_four_ulps_except_powered_cosines() -> None:
    assert float32_bound(CASES["warmup_join_nested"]) == 4
    assert float32_bound(lrcore.cosine(start=1.0, end=0.0, steps=10, exponent=2.0)) == 6
    nested = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps=10, exponent=3.0), steps=5)
    assert float32_bound(nested) == 9


def test_naive_float32_cosine_would_fail_this_bound() -> None:
    """The check is sharp: the textbook float32 formula is far outside it near the end."""
    steps = N
    ts = np.arange(steps - 1_000, steps + 1)
    t32 = ts.astype(np.float32)
    naive = np.float32(3e-4) * (
        np.float32(0.5) * (np.float32(1) + np.cos(np.float32(np.pi) * t32 / np.float32(steps)))
    )
    reference = lrcore.cosine(start=3e-4, end=0.0, steps=steps).values(ts)
    assert ulps(reference, naive).max() > 1_000


# one_cycle's phases start at fractional steps: the first step of a phase is a small distance
# (k + offset with offset near -k), and a momentum curve down to base_momentum=0 makes its
# valley value itself small. Both lost float32 precision (up to 711 million ulps, a wrong sign).
VALLEYS = [
    lrcore.one_cycle(peak=0.1, total=619, warmup_fraction=0.6672049842938833, base_momentum=0.0,
                     max_momentum=0.2696496287595762, curve="momentum"),
    lrcore.one_cycle(peak=0.1, total=37, warmup_fraction=0.810121718346819, base_momentum=0.0,
                     max_momentum=0.5750393636557619, curve="momentum"),
    lrcore.one_cycle(peak=0.1, total=488, warmup_fraction=0.47127893158067374, anneal="linear",
                     three_phase=True, base_momentum=0.0, max_momentum=0.10340057946124966, curve="momentum"),
    lrcore.one_cycle(peak=0.1, total=231, warmup_fraction=0.7835074987957154, anneal="linear",
                     base_momentum=0.0, max_momentum=0.5312040586881628, curve="momentum"),
]  # fmt: skip


@pytest.mark.parametrize("schedule", VALLEYS, ids=[f"valley{i}" for i in range(len(VALLEYS))])
def test_one_cycle_valleys_keep_float32_precision(schedule: lrcore.Schedule) -> None:
    ts = np.arange(schedule.horizon + 5)
    assert ulps(schedule.values(ts), schedule.values(ts, bits=32, extended=False)).max() <= float32_bound(
        schedule
    )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    total=st.integers(10, 800),
    fraction=st.floats(0.05, 0.9),
    three_phase=st.booleans(),
    anneal=st.sampled_from(["cos", "linear"]),
    top=st.floats(0.01, 0.99),
)
def test_one_cycle_momentum_down_to_zero_within_its_bound(
    total: int, fraction: float, three_phase: bool, anneal: str, top: float
) -> None:
    try:
        s = lrcore.one_cycle(
            peak=0.1, total=total, warmup_fraction=fraction, three_phase=three_phase, anneal=anneal,
            curve="momentum", base_momentum=0.0, max_momentum=top,
        )  # fmt: skip
    except lrcore.ConfigError:  # a fraction leaving a phase without a step
        return
    ts = np.arange(total + 5)
    assert ulps(s.values(ts), s.values(ts, bits=32, extended=False)).max() <= float32_bound(s)


def test_nested_constant_scales_round_once_in_float32() -> None:
    # Each level used to add a float32 rounding: 5 ulps for two levels over a powered cosine
    # whose bound is 4 (found by random configs).
    inner = lrcore.cosine(start=0.3, end=1e-4, steps=500, exponent=0.69)
    s = lrcore.scale(lrcore.scale(lrcore.scale(inner, factor=1e-5 / 3), factor=0.7), factor=1.3e3)
    ts = np.arange(520)
    assert ulps(s.values(ts), s.values(ts, bits=32, extended=False)).max() <= float32_bound(s)
    np.testing.assert_array_equal(s.values(ts), ((inner.values(ts) * (1e-5 / 3)) * 0.7) * 1.3e3)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    kind=st.sampled_from(["cosine", "polynomial"]),
    exponent=st.one_of(st.floats(0.25, 4.0), st.sampled_from([0.5, 1.25, 1.5, 2.0, 2.5, 3.0])),
    steps=st.integers(10, 2000),
    start=st.floats(1e-5, 1.0),
    ratio=st.floats(1e-7, 0.3),
    factor=st.one_of(st.none(), st.floats(1e-4, 10.0)),
)
def test_powered_shapes_within_their_bound_down_to_small_ends(
    kind: str, exponent: float, steps: int, start: float, ratio: float, factor: float | None
) -> None:
    """The last steps of a powered curve with an end far below its start: the exponent is
    applied at full precision (a float32-rounded exponent was 14 ulps off at 1.0827809...),
    and the bound counts pow's roundings and a scale's product."""
    field = "exponent" if kind == "cosine" else "power"
    s: lrcore.Schedule = lrcore.from_config(
        {"type": kind, "start": start, "end": start * ratio, "steps": steps, field: exponent}
    )
    if factor is not None:
        s = lrcore.scale(s, factor=factor)
    ts = np.arange(steps + 2)
    assert ulps(s.values(ts), s.values(ts, bits=32, extended=False)).max() <= float32_bound(s)


def test_a_float32_rounded_exponent_is_corrected() -> None:
    s = lrcore.cosine(
        start=0.7755057581653292, end=3.11476070621168e-06, steps=200, exponent=1.0827809055843172
    )
    ts = np.arange(202)
    assert ulps(s.values(ts), s.values(ts, bits=32, extended=False)).max() <= 5  # 8 with the exponent rounded


# -- the default float32 evaluation (double-float pairs): float32(reference) (SPEC 7) --------


def assert_rounded_reference(s: lrcore.Schedule, ts: np.ndarray) -> int:
    """Float32 evaluation (``values(ts, bits=32)``: pairs) equals float32(reference) at every
    step of ``ts`` but near ties, which are at most 1 ulp off; returns how many differ."""
    float32 = s.values(ts, bits=32)
    assert float32.dtype == np.float32
    return assert_float32_reference(float32, s.values(ts), repr(s), near_ties=True, steps=ts)


@pytest.mark.parametrize("name", sorted(LONG))
def test_float32_is_the_rounded_reference_over_ten_million_steps(name: str) -> None:
    """Every type and combinator of the case table over a 10**7-step horizon (a stride, every
    breakpoint, both ends, int64 steps past the horizon): measured, no step differs but one
    near tie of polynomial_rising, where the float64 reference itself cancels."""
    assert assert_rounded_reference(LONG[name], probe_steps(LONG[name])) <= 2


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_is_the_rounded_reference_on_the_catalog_cases(name: str) -> None:
    s = CASES[name]
    assert assert_rounded_reference(s, np.arange(min((s.horizon or 20_000) + 50, 200_000))) == 0


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=configs(dataclasses.replace(CONFORMANCE_DOMAIN, rising=True), max_leaves=3),
    steps=st.integers(10, 800),
)
def test_float32_is_the_rounded_reference_on_random_configs(config: dict[str, object], steps: int) -> None:
    """What the conformance suite replays on float32 backends, checked on the host first."""
    assert_rounded_reference(lrcore.from_config(config), np.arange(steps))


# Rising curves whose 1 - w is a pair: from the far end, the pairs keep ~2**-48 of end, not of
# the value near a start 10**5 times smaller (6 probe steps of this tanh were off).
RISING_PAIRS: dict[str, lrcore.Schedule] = {
    "rising-rex": lrcore.rex(start=1e-7, end=0.01, steps=N),
    "rising-tanh": lrcore.tanh(start=1e-7, end=0.01, steps=N),
    "rising-1-sqrt": lrcore.warmup_stable_decay(
        peak=1e-7, end=0.01, warmup=0, decay=N, total=N, decay_shape="1-sqrt"
    ),
}


@pytest.mark.parametrize("name", list(RISING_PAIRS))
def test_float32_rising_curves_are_the_rounded_reference(name: str) -> None:
    assert assert_rounded_reference(RISING_PAIRS[name], probe_steps(RISING_PAIRS[name])) <= 2


# Cycles of 2**24 steps or more, where a float32 step count is no longer exact: three
# integer digits of the step, in pairs (a float32 sin of the step was 1-7 ulps off at ~1 in 8
# of these steps). The last SGDR cycle each reaches is longer than int32 steps.
LONG_CYCLES: dict[str, lrcore.Schedule] = {
    "sgdr-100x2": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=100, cycle_mult=2),
    "sgdr-rising-50x2": lrcore.cosine_restarts(start=1e-5, end=0.1, first_cycle=50, cycle_mult=2),
    "sgdr-1000x4-decay": lrcore.cosine_restarts(
        start=0.1, end=0.0, first_cycle=1000, cycle_mult=4, peak_decay=0.7
    ),
    "cosine-2**31": lrcore.cosine(start=0.1, end=0.0, steps=2**31 - 2),
}


def long_cycle_steps(schedule: lrcore.Schedule) -> np.ndarray:
    """Around every cycle's start and middle up to 2**31 - 1, and 4,000 steps inside each."""
    last = 2**31 - 1
    starts = schedule._starts() if isinstance(schedule, lrcore.catalog.CosineRestarts) else [0]
    edges = [b for b in starts if b <= last] + [last + 1]
    steps = [np.arange(last - 3, last + 1)]
    for begin, end in itertools.pairwise(edges):
        steps += [np.arange(max(0, b - 3), min(b + 4, last + 1)) for b in (begin, (begin + end) // 2)]
        steps.append(np.arange(begin, end, max(1, (end - begin) // 4_000)))
    return np.unique(np.concatenate(steps))


@pytest.mark.parametrize("name", list(LONG_CYCLES))
def test_float32_cycles_past_two_to_the_24_are_the_rounded_reference(name: str) -> None:
    s = LONG_CYCLES[name]
    assert assert_rounded_reference(s, long_cycle_steps(s)) == 0


def test_wide_division_and_root_keep_about_46_bits() -> None:
    """``/`` and ``sqrt`` of float pairs against float64: a float32 quotient or root alone
    is ~2**-24 off; with its correction from an exact residual, within 2**-45 (magnitudes
    2**-40 to 2**40: a correction below float32's smallest normal would lose bits)."""
    from lrcore._namespace import Wide, numpy_namespace

    xp = numpy_namespace(32, True)
    rng = np.random.default_rng(7)
    exact = [rng.uniform(0.5, 2.0, 20_000) * 2.0 ** rng.integers(-40, 40, 20_000) for _ in range(2)]
    a, b = (Wide(xp, x.astype(np.float32), (x - x.astype(np.float32)).astype(np.float32)) for x in exact)
    x, y = (w.hi.astype(np.float64) + w.lo for w in (a, b))  # the pairs' exact values
    for got, want in ((a / b, x / y), (a.sqrt(), np.sqrt(x)), (1.5 / b, 1.5 / y), (a / 3, x / 3)):
        value = got.hi.astype(np.float64) + got.lo
        assert np.all(np.abs(value - want) <= 2.0**-45 * want)
        assert np.all(got.hi == value.astype(np.float32))  # hi is the float32 nearest the pair
    zero = Wide(xp, np.zeros(3, np.float32), np.zeros(3, np.float32))
    assert np.all(zero.sqrt().hi == 0) and np.all(zero.sqrt().lo == 0)


def test_extended_powers_on_random_curves() -> None:
    """3,000 random powered cosines and polynomials (exponents and ends from the case
    table's domain, rising or falling, horizons up to 10**7), at their first and last
    steps and at random ones (measured: no step differs; 2 near ties in 20,000 curves)."""
    rng = np.random.default_rng(20)
    differ = 0
    for _ in range(3_000):
        start, end = (float(v) for v in np.exp(rng.uniform(np.log(1e-6), 0.0, 2)))
        steps = int(np.exp(rng.uniform(0.0, np.log(1e7))))
        if rng.random() < 0.5:
            pick = rng.random() < 0.3
            exponent = float(rng.choice([1.0, 2.0, 0.5, 3.7])) if pick else float(rng.uniform(0.25, 4.0))
            s: lrcore.Schedule = lrcore.cosine(start=start, end=end, steps=steps, exponent=exponent)
        else:
            s = lrcore.polynomial(start=start, end=end, steps=steps, power=float(rng.uniform(0.1, 5.0)))
        edges = np.concatenate([np.arange(min(steps, 20)), np.arange(max(0, steps - 20), steps + 2)])
        differ += assert_rounded_reference(
            s, np.unique(np.concatenate([edges, rng.integers(0, steps + 1, 40)]))
        )
    assert differ <= 3


def test_extended_power_of_one_minus_a_tiny_rest() -> None:
    """1 - x ** p for x within 2**-40 of 1 keeps its relative precision (a pair's
    x ** p is only right to 2**-47 of 1: the rising curves' small start)."""
    from lrcore._namespace import Wide, numpy_namespace, one_minus_pow, power

    xp = numpy_namespace(32, extended=True)
    rest = np.exp2(-np.linspace(1.5, 40.0, 2_000)).astype(np.float32)
    x = Wide(xp, np.float32(1) - rest, np.zeros_like(rest))
    x = Wide(xp, x.hi, ((np.float32(1) - x.hi) - rest))  # exact: 1 - rest as a pair
    for p in (0.1, 0.37, 1.5, 3.7):
        lifted = one_minus_pow(xp, x, Wide(xp, rest, np.zeros_like(rest)), p)
        truth = -np.expm1(p * np.log1p(-rest.astype(np.float64)))
        relative = np.abs(lifted.hi.astype(np.float64) + lifted.lo - truth) / truth
        keep = power(xp, x, p).hi >= 0.5
        assert relative[keep].max() < 2.0**-44, p
