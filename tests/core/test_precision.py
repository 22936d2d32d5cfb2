"""SPEC section 7 on the host: the float32 evaluation path (what JAX and Keras-on-JAX
trace) stays within 4 float32 ulps of the float64 reference, for horizons up to 10**7.

Each long-horizon case is checked on a stride of steps, around every breakpoint, and over
the last 1,000 steps of its horizon (where a naive float32 cosine loses all precision).
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from lrcore.precision import float32_bound, ulps
from tests.catalog_cases import CASES

N = 10**7


LONG = {
    "constant": lrcore.constant(value=3e-4),
    "linear": lrcore.linear(start=3e-4, end=0.0, steps=N),
    "linear_up": lrcore.linear(start=0.0, end=3e-4, steps=N),
    "polynomial": lrcore.polynomial(start=0.1, end=1e-6, steps=N, power=0.5),
    "polynomial_cycle": lrcore.polynomial(start=0.1, end=1e-5, steps=N // 7, power=2.0, cycle=True),
    "cosine": lrcore.cosine(start=3e-4, end=0.0, steps=N),
    "cosine_floor": lrcore.cosine(start=3e-4, end=3e-5, steps=N - 1),
    "cosine_exponent": lrcore.cosine(start=1.0, end=0.0, steps=N, exponent=1.5),
    "exponential": lrcore.exponential(start=0.1, rate=0.96, steps=100_000),
    "exponential_fast": lrcore.exponential(start=1.0, rate=0.5, steps=150_000, begin=12_345),
    "exponential_staircase": lrcore.exponential(start=0.1, rate=0.96, steps=100_000, staircase=True),
    "exponential_growth": lrcore.exponential(start=1e-6, rate=10.0, steps=N // 10, bound=1.0),
    "step": lrcore.step(start=0.1, gamma=0.9, step_size=77_777),
    "multistep": lrcore.multistep(start=0.1, milestones=[N // 3, N // 2, 9 * N // 10], gamma=0.1),
    "piecewise_constant": lrcore.piecewise_constant(
        boundaries=[1, N // 2, N - 1], values=[1.0, 0.3, 0.1, 0.05]
    ),
    "piecewise_linear": lrcore.piecewise_linear(boundaries=[0, 3_000, N], values=[0.0, 0.1, 1e-6]),
    "inverse_time": lrcore.inverse_time(start=0.1, rate=0.5, steps=10_000),
    "inverse_time_staircase": lrcore.inverse_time(start=0.1, rate=3.0, steps=9_999, staircase=True),
    "inverse_sqrt": lrcore.inverse_sqrt(peak=1e-3, warmup=4_000),
    "inverse_sqrt_timescale": lrcore.inverse_sqrt(peak=1e-3, warmup=0, timescale=10_000),
    "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=1e-5, first_cycle=1_234_567, peak_decay=0.8),
    "cosine_restarts_mult": lrcore.cosine_restarts(start=0.1, end=0.0, first_cycle=10_000, cycle_mult=2),
    "cyclic": lrcore.cyclic(low=1e-4, high=1e-2, up=20_000, down=30_000),
    "cyclic_triangular2": lrcore.cyclic(low=1e-4, high=1e-2, up=200_000, mode="triangular2"),
    "cyclic_exp_range": lrcore.cyclic(low=1e-4, high=1e-2, up=2_000, mode="exp_range", gamma=0.9999995),
    "one_cycle": lrcore.one_cycle(peak=0.01, total=N),
    "one_cycle_odd": lrcore.one_cycle(peak=0.01, total=N - 3, warmup_fraction=0.2345, three_phase=True),
    "one_cycle_linear": lrcore.one_cycle(peak=0.01, total=N, anneal="linear"),
    "warmup_stable_decay": lrcore.warmup_stable_decay(peak=3e-4, warmup=2_000, decay=N // 5, total=N),
    "warmup_stable_decay_cosine": lrcore.warmup_stable_decay(
        peak=3e-4, warmup=2_000, decay=N // 5, total=N, end=3e-6, decay_shape="cosine"
    ),
    "warmup_stable_decay_sqrt": lrcore.warmup_stable_decay(
        peak=3e-4, warmup=2_000, decay=N // 5, total=N, decay_shape="1-sqrt"
    ),
    "tanh": lrcore.tanh(start=0.1, end=1e-4, steps=N),
    "table": lrcore.table(values=np.geomspace(0.1, 1e-4, 5_000).tolist()),
    "warmup_cosine": lrcore.warmup(lrcore.cosine(start=3e-4, end=3e-5, steps=N - 10_000), steps=10_000),
    "join": lrcore.join(
        [lrcore.linear(start=0.0, end=1e-3, steps=5_000), lrcore.cosine(start=1e-3, end=0.0, steps=N)],
        boundaries=[5_000],
    ),
    "per_epoch": lrcore.per_epoch(lrcore.cosine(start=0.1, end=0.0, steps=300), steps_per_epoch=N // 300),
}


def probe_steps(schedule: lrcore.Schedule) -> np.ndarray:
    horizon = schedule.horizon or N
    stride = np.arange(0, N + 1, 997)
    ends = np.arange(max(0, horizon - 1_000), horizon + 2)
    start = np.arange(0, 1_000)
    around = [b + d for b in schedule.breakpoints() for d in (-2, -1, 0, 1, 2) if 0 <= b + d <= 2 * N]
    return np.unique(np.concatenate([stride, ends, start, np.asarray(around, dtype=np.int64)]))


def test_long_cases_cover_the_catalog() -> None:
    covered = {s.type for s in LONG.values()}
    leaves = {
        name for name in lrcore.REGISTRY if name not in {"warmup", "join", "scale", "clip", "per_epoch"}
    }
    assert leaves - {"plateau"} <= covered


@pytest.mark.parametrize("name", sorted(LONG))
def test_float32_path_within_four_ulps_over_ten_million_steps(name: str) -> None:
    schedule = LONG[name]
    ts = probe_steps(schedule)
    reference = schedule.values(ts)
    float32 = schedule.values(ts, bits=32)
    assert float32.dtype == np.float32
    distance = ulps(reference, float32)
    worst = int(np.argmax(distance))
    assert distance[worst] <= float32_bound(schedule), (
        f"{name}: step {ts[worst]} reference {reference[worst]!r} float32 {float32[worst]!r} "
        f"is {distance[worst]} ulps away"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_path_within_four_ulps_on_the_catalog_cases(name: str) -> None:
    schedule = CASES[name]
    ts = np.arange(20_000)
    assert ulps(schedule.values(ts), schedule.values(ts, bits=32)).max() <= float32_bound(schedule)


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
