"""Golden values: each formula of SPEC section 4 at hand-checked steps, at its boundaries
and past its horizon, and the seeds' examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import CASES

approx = lambda x: pytest.approx(x, rel=1e-12, abs=1e-15)  # noqa: E731


def test_constant() -> None:
    s = lrcore.constant(value=0.1)
    assert [s(0), s(10**12)] == [0.1, 0.1]


def test_linear_ends_exactly_and_holds() -> None:
    s = lrcore.linear(start=0.1, end=0.001, steps=100)
    assert s(0) == 0.1 and s(100) == 0.001 and s(10**9) == 0.001
    assert s(25) == approx(0.1 + (0.001 - 0.1) * 0.25)


def test_polynomial_matches_keras_formula() -> None:
    s = lrcore.polynomial(start=0.1, end=0.01, steps=100, power=2.0)
    for t in (0, 1, 50, 99, 100, 150):
        p = min(t, 100) / 100
        assert s(t) == approx((0.1 - 0.01) * (1 - p) ** 2 + 0.01)


def test_polynomial_cycle_matches_keras_formula() -> None:
    s = lrcore.polynomial(start=0.1, end=0.01, steps=100, power=0.5, cycle=True)
    for t in (0, 1, 99, 100, 101, 250, 300):
        horizon = 100 * (1 if t == 0 else math.ceil(t / 100))
        assert s(t) == approx((0.1 - 0.01) * (1 - t / horizon) ** 0.5 + 0.01)


def test_cosine_formula_and_tail() -> None:
    s = lrcore.cosine(start=0.1, end=0.001, steps=1000)
    for t in (0, 1, 250, 500, 999, 1000, 5000):
        tt = min(t, 1000)
        assert s(t) == approx(0.001 + (0.1 - 0.001) * 0.5 * (1 + math.cos(math.pi * tt / 1000)))
    assert s(1000) == 0.001
    e = lrcore.cosine(start=1.0, end=0.0, steps=10, exponent=2.0)
    assert e(5) == approx(0.25)


def test_seed_cosine_annealing_formula() -> None:
    """seeds/002: lr_t = lr_min + 0.5 (lr_max - lr_min)(1 + cos(pi t / T_max)), T_max=50."""
    s = lrcore.cosine(start=0.1, end=0.0, steps=50)
    assert [s(t) for t in (0, 25, 50)] == [0.1, approx(0.05), 0.0]


def test_seed_keras_exponential_decay_staircase() -> None:
    """seeds/003: ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)."""
    s = lrcore.exponential(start=0.1, rate=0.96, steps=100_000, staircase=True)
    for t in (0, 99_999, 100_000, 250_000, 10**7):
        assert s(t) == approx(0.1 * 0.96 ** (t // 100_000))
    smooth = lrcore.exponential(start=0.1, rate=0.96, steps=100_000)
    assert smooth(50_000) == approx(0.1 * 0.96**0.5)


def test_seed_step_decay_every_five_epochs() -> None:
    """seeds/001: lr = 0.01 * 0.1 ** (epoch // 5)."""
    s = lrcore.step(start=0.01, gamma=0.1, step_size=5)
    for epoch in range(30):
        assert s(epoch) == approx(0.01 * 0.1 ** (epoch // 5))


def test_seed_torch_formulas() -> None:
    """seeds/002: StepLR, MultiStepLR(milestones=[30, 80]), ExponentialLR(gamma=0.95)."""
    step = lrcore.step(start=0.1, gamma=0.1, step_size=10)
    assert [step(9), step(10), step(25)] == [0.1, approx(0.01), approx(0.001)]
    multi = lrcore.multistep(start=0.1, milestones=[30, 80], gamma=0.1)
    assert [multi(29), multi(30), multi(79), multi(80)] == [0.1, approx(0.01), approx(0.01), approx(0.001)]
    exp = lrcore.exponential(start=0.1, rate=0.95)
    assert [exp(t) for t in range(5)] == [approx(0.1 * 0.95**t) for t in range(5)]


def test_exponential_begin_and_bound() -> None:
    s = lrcore.exponential(start=1.0, rate=0.5, steps=10, begin=5, bound=0.2)
    assert [s(0), s(5), s(15), s(25), s(35)] == [1.0, 1.0, approx(0.5), approx(0.25), 0.2]
    grow = lrcore.exponential(start=0.1, rate=2.0, steps=1, bound=1.0)
    assert [grow(0), grow(3), grow(4), grow(10**9)] == [0.1, approx(0.8), 1.0, 1.0]


def test_piecewise_constant_switches_at_the_boundary() -> None:
    s = lrcore.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.25])
    assert [s(9), s(10), s(19), s(20), s(10**6)] == [1.0, 0.5, 0.5, 0.25, 0.25]


def test_piecewise_linear_interpolates_and_holds() -> None:
    s = lrcore.piecewise_linear(boundaries=[10, 20, 40], values=[0.0, 1.0, 0.5])
    assert [s(0), s(10), s(15), s(20), s(30), s(40), s(99)] == [0.0, 0.0, 0.5, 1.0, 0.75, 0.5, 0.5]


def test_inverse_time() -> None:
    s = lrcore.inverse_time(start=1.0, rate=0.5, steps=10)
    assert [s(0), s(10), s(15)] == [1.0, approx(1 / 1.5), approx(1 / 1.75)]
    stairs = lrcore.inverse_time(start=1.0, rate=0.5, steps=10, staircase=True)
    assert [stairs(9), stairs(10), stairs(19)] == [1.0, approx(1 / 1.5), approx(1 / 1.5)]


def test_inverse_sqrt() -> None:
    s = lrcore.inverse_sqrt(peak=1.0, warmup=100)
    assert [s(0), s(50), s(100), s(400)] == [0.0, 0.5, 1.0, approx(math.sqrt(100 / 400))]
    t = lrcore.inverse_sqrt(peak=1.0, warmup=100, timescale=10)
    assert t(190) == approx(math.sqrt(10 / 100))


def test_cosine_restarts() -> None:
    s = lrcore.cosine_restarts(start=1.0, end=0.0, first_cycle=10, cycle_mult=2, peak_decay=0.5)
    assert s(0) == 1.0 and s(10) == 0.5 and s(30) == 0.25 and s(70) == 0.125
    assert s(5) == approx(0.5) and s(20) == approx(0.25)
    flat = lrcore.cosine_restarts(start=1.0, end=0.1, first_cycle=10)
    assert [flat(0), flat(10), flat(20)] == [1.0, 1.0, 1.0]
    assert flat(15) == approx(0.1 + 0.9 * 0.5)


def test_cyclic_modes() -> None:
    tri = lrcore.cyclic(low=0.1, high=1.0, up=10, down=20)
    assert [tri(0), tri(5), tri(10), tri(20), tri(30)] == [0.1, approx(0.55), 1.0, approx(0.55), 0.1]
    two = lrcore.cyclic(low=0.0, high=1.0, up=10, mode="triangular2")
    assert [two(10), two(30), two(50)] == [1.0, 0.5, 0.25]
    exp = lrcore.cyclic(low=0.0, high=1.0, up=10, mode="exp_range", gamma=0.9)
    assert exp(10) == approx(0.9**10)


def test_one_cycle_phase_ends_follow_torch() -> None:
    s = lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.3)
    assert s(0) == approx(1 / 25)
    assert s(29) == 1.0  # end of phase one: 0.3 * 100 - 1
    assert s(99) == approx(1 / 25 / 1e4)
    assert s(1000) == s(99)
    three = lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.3, three_phase=True, anneal="linear")
    assert three(58) == approx(1 / 25)  # 2 * 0.3 * 100 - 2


def test_warmup_stable_decay() -> None:
    s = lrcore.warmup_stable_decay(peak=1.0, warmup=10, decay=20, total=100, start=0.1, end=0.01)
    assert [s(0), s(10), s(79), s(80), s(100), s(500)] == [0.1, 1.0, 1.0, 1.0, 0.01, 0.01]
    assert s(90) == approx(0.505)
    sq = lrcore.warmup_stable_decay(peak=1.0, warmup=0, decay=100, total=100, decay_shape="1-sqrt")
    assert sq(25) == approx(0.5)
    cos = lrcore.warmup_stable_decay(peak=1.0, warmup=0, decay=100, total=100, decay_shape="cosine")
    assert cos(50) == approx(0.5)


def test_tanh_matches_timm_formula() -> None:
    s = lrcore.tanh(start=0.1, end=0.001, steps=100)
    for t in (0, 1, 37, 99):
        r = t / 100
        assert s(t) == approx(0.001 + 0.5 * (0.1 - 0.001) * (1 - math.tanh(-7 * (1 - r) + 3 * r)))
    assert s(100) == 0.001


def test_table_holds_last_value() -> None:
    s = lrcore.table(values=[0.3, 0.2, 0.1])
    assert [s(0), s(1), s(2), s(3), s(10**12)] == [0.3, 0.2, 0.1, 0.1, 0.1]


def test_combinators() -> None:
    inner = lrcore.cosine(start=1.0, end=0.0, steps=100)
    w = lrcore.warmup(inner, steps=10, start=0.1)
    assert [w(0), w(5), w(10), w(60)] == [0.1, approx(0.55), 1.0, approx(inner(50))]
    j = lrcore.join([lrcore.constant(value=1.0), inner], boundaries=[7])
    assert [j(6), j(7), j(57)] == [1.0, 1.0, approx(inner(50))]
    sc = lrcore.scale(inner, factor=lrcore.constant(value=0.5))
    assert sc(50) == approx(0.25)
    c = lrcore.clip(inner, min=0.2, max=0.8)
    assert [c(0), c(50), c(100)] == [0.8, approx(0.5), 0.2]
    e = lrcore.per_epoch(lrcore.step(start=1.0, gamma=0.5, step_size=1), steps_per_epoch=10)
    assert [e(9), e(10), e(25)] == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_equals_call_bit_for_bit(name: str) -> None:
    schedule = CASES[name]
    rng = np.random.default_rng(0)
    ts = np.concatenate([np.arange(3000), rng.integers(0, 10**9, 200)])
    batch = schedule.values(ts)
    single = np.array([schedule(int(t)) for t in ts])
    assert batch.dtype == np.float64
    assert np.array_equal(batch, single)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_finite_non_negative_and_hold_past_the_horizon(name: str) -> None:
    schedule = CASES[name]
    ts = np.arange(0, 5000)
    v = schedule.values(ts)
    assert np.all(np.isfinite(v)) and np.all(v >= 0)
    if schedule.horizon is not None:
        h = schedule.horizon
        assert np.all(schedule.values(np.arange(h, h + 100)) == schedule(h))


@pytest.mark.parametrize("name", sorted(CASES))
def test_evaluate_with_numpy_namespaces(name: str) -> None:
    from lrcore._namespace import numpy_namespace

    schedule = CASES[name]
    for bits, dtype in ((64, np.float64), (32, np.float32)):
        xp = numpy_namespace(bits)
        out = schedule.evaluate(xp.as_int(np.arange(100)), xp)
        assert out.dtype == dtype and out.shape == (100,)
    # negative steps read as step 0 inside traced code (the host API rejects them)
    xp = numpy_namespace(64)
    assert schedule.evaluate(xp.as_int([-5]), xp)[0] == schedule(0)


def test_repr_reads_like_the_constructor() -> None:
    s = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=10), steps=5)
    assert repr(s) == "lrcore.warmup(schedule=lrcore.cosine(start=0.1, end=0.0, steps=10), steps=5)"
    assert eval(repr(s), {"lrcore": lrcore}) == s


def test_schedules_are_immutable_hashable_values() -> None:
    a = lrcore.cosine(start=0.1, end=0.0, steps=10)
    b = lrcore.cosine(start=0.1, end=0, steps=10.0)
    assert a == b and hash(a) == hash(b)
    assert a != lrcore.cosine(start=0.1, end=0.0, steps=11)
    with pytest.raises(AttributeError):
        a.steps = 5  # type: ignore[misc]
