"""Golden values (each formula of SPEC section 4 at hand-checked steps, at its boundaries
and past its horizon, and the seeds' examples, from the case table) and the value
behaviour every schedule shares."""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import CASES, GOLDENS


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden_values(name: str) -> None:
    """Each formula of SPEC section 4 at hand-checked steps, written in tests/catalog_cases.py."""
    golden = GOLDENS[name]
    s = golden.schedule
    for t, expected in golden.exact.items():
        assert s(t) == expected, f"{s!r} at {t}: {s(t)!r} != {expected!r} ({golden.source or 'SPEC'})"
    for t, expected in golden.near.items():
        assert s(t) == pytest.approx(expected, rel=1e-12, abs=1e-15), (
            f"{s!r} at {t}: {s(t)!r} != {expected!r} ({golden.source or 'SPEC'})"
        )


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
