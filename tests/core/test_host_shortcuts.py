"""Host shortcuts of piecewise formulas (``Namespace.span`` / ``Namespace.decided``).

On NumPy, ``one_cycle`` skips the phases no step of a ``values()`` chunk is in, ``anneal``
the half no step is in, and SGDR the per-step cycle search (``cycle_mult``) and amplitude
when a chunk lies in one cycle. The values must not depend on it: each case is evaluated with the
shortcuts and with a NumPy namespace that knows nothing (as a traced namespace), over ranges
that straddle every phase or cycle boundary, ranges inside one piece and single steps, in
float64 and float32 (both halves of its pairs), and compared bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from lrcore._namespace import NumpyNamespace, Wide, numpy_namespace


class Unknowing(NumpyNamespace):
    """NumPy without the host shortcuts: every piece is evaluated and selected."""

    def span(self, t):  # type: ignore[no-untyped-def]
        return None

    def decided(self, cond):  # type: ignore[no-untyped-def]
        return None


SCHEDULES = {
    "one_cycle": lrcore.one_cycle(peak=0.1, total=1000, warmup_fraction=0.2345),
    "one_cycle_three_phase": lrcore.one_cycle(peak=0.1, total=300, warmup_fraction=0.2345, three_phase=True),
    "one_cycle_linear": lrcore.one_cycle(peak=0.1, total=777, anneal="linear", three_phase=True),
    "one_cycle_momentum": lrcore.one_cycle(peak=0.1, total=500, cycle_momentum=True).hyperparameters()["momentum"],
    "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=1e-5, first_cycle=123, peak_decay=0.8),
    "cosine_restarts_mult": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=37, cycle_mult=2, peak_decay=0.7),
    "cosine_restarts_mult_3": lrcore.cosine_restarts(start=0.1, end=0.0, first_cycle=5, cycle_mult=3),
    "cosine_restarts_rising": lrcore.cosine_restarts(start=1e-6, end=0.1, first_cycle=50, peak_decay=0.9),
    "cosine_restarts_mult_rising": lrcore.cosine_restarts(start=1e-6, end=0.1, first_cycle=9, cycle_mult=2, peak_decay=0.5),
}  # fmt: skip


def ranges(schedule: lrcore.Schedule) -> list[np.ndarray]:
    """The whole curve, windows around every breakpoint, inside each piece, single steps."""
    horizon = schedule.horizon or 5000
    out = [np.arange(horizon + 10)]
    for b in schedule.breakpoints()[:12]:
        # every window whose ends lie within 2 steps of the breakpoint, single steps included
        ends = range(max(b - 2, 0), b + 3)
        out += [np.arange(lo, hi + 1) for lo in ends for hi in ends if lo <= hi]
        out += [np.arange(max(b - 40, 0), max(b - 2, 1)), np.arange(b + 1, b + 40)]
    return out


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_values_do_not_depend_on_the_host_shortcuts(name: str, bits: int) -> None:
    s = SCHEDULES[name]
    fast, plain = numpy_namespace(bits), Unknowing(bits)
    for steps in ranges(s):
        t = np.asarray(steps, dtype=np.int64)
        got, want = parts(s.evaluate(t, fast)), parts(s.evaluate(t, plain))
        np.testing.assert_array_equal(got, want, err_msg=f"{name} float{bits} at steps {t[:3]}...")


def parts(x: object) -> np.ndarray:
    """An array, or both halves of a float32 pair (float32 evaluates in pairs)."""
    if isinstance(x, Wide):
        return np.stack([np.asarray(x.hi), np.asarray(x.lo)])
    return np.asarray(x)


def test_the_shortcuts_know_only_host_steps() -> None:
    xp = numpy_namespace(64)
    assert xp.span(np.array([5, 2, 9])) == (2, 9)
    assert xp.span(np.array([], dtype=np.int64)) is None
    assert xp.decided(np.array([True, True])) is True
    assert xp.decided(np.array([False])) is False
    assert xp.decided(np.array([True, False])) is None
