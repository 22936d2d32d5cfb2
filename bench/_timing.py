"""Shared timing helpers: paired rounds, per-round ratios and verdicts that survive noise.

A benchmark measures lrcore and the native equivalent back to back in each *round* (their
order alternating between rounds) and takes the ratio lrcore/native per round: a burst
of load from a neighbour slows both members of a round alike, so it moves the ratio far
less than it moves either time. The report gives the median of the per-round ratios and a
distribution-free confidence interval for that median (order statistics of the ratios,
:func:`median_interval`), and the verdict against the target:

- ``met``: the whole interval is at or below the target;
- ``missed``: the whole interval lies above the target;
- ``undecided``: the interval straddles the target (more rounds, or a quieter machine,
  would decide it).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

CONFIDENCE = 0.95


def paired(
    lrcore_fn: Callable[[], object], native_fn: Callable[[], object], rounds: int
) -> tuple[list[float], list[float]]:
    """Wall time of both callables in ``rounds`` paired rounds (after one warm-up call
    each), back to back, the order flipping every round. Returns the two lists of
    seconds, index ``i`` of both from round ``i``."""
    return paired_by(lambda fn: _wall(fn), lrcore_fn, native_fn, rounds)


def paired_by(
    measure: Callable[[Any], float], lrcore_side: Any, native_side: Any, rounds: int, warm: bool = True
) -> tuple[list[float], list[float]]:
    """:func:`paired` with any measurement: ``measure(side)`` returns the seconds of one
    sample of that side."""
    if warm:
        measure(lrcore_side)
        measure(native_side)
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(rounds):
        pair = [(lrcore_side, ours), (native_side, theirs)]
        if i % 2:
            pair.reverse()
        for side, out in pair:
            out.append(measure(side))
    return ours, theirs


# The older name: every bench now measures in paired rounds.
interleaved = paired


def _wall(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_interval(samples: list[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """A distribution-free interval for the median: the order statistics ``x(j)`` and
    ``x(n + 1 - j)`` with the largest ``j`` whose coverage ``1 - 2 P(Binomial(n, 1/2) < j)``
    is still at least ``confidence``. Returns ``(low, high, coverage)``; with too few
    samples for that confidence (fewer than 6 at 95%) it is ``(min, max)`` and its lower
    coverage ``1 - 2 / 2**n``.

    >>> median_interval([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    (2.0, 8.0, 0.9609375)
    """
    x = sorted(samples)
    n = len(x)
    if n == 0:
        raise ValueError("no samples")

    def coverage(j: int) -> float:
        tail = sum(math.comb(n, i) for i in range(j)) / 2**n
        return 1.0 - 2.0 * tail

    j = 1
    while j + 1 <= (n + 1) // 2 and coverage(j + 1) >= confidence:
        j += 1
    return x[j - 1], x[n - j], coverage(j)


def verdict(low: float, high: float, target: float) -> str:
    """``met`` when the interval is at or below ``target``, ``missed`` when above, else
    ``undecided``."""
    if high <= target:
        return "met"
    if low > target:
        return "missed"
    return "undecided"


def spread(samples: list[float]) -> float:
    """Relative spread: (p75 - p25) / median (``(max - min) / median`` below 4 samples)."""
    if len(samples) < 4:
        return (max(samples) - min(samples)) / statistics.median(samples)
    q = statistics.quantiles(samples, n=4)
    return (q[2] - q[0]) / statistics.median(samples)


def entry(
    name: str, ours: list[float], theirs: list[float], target: float, native: str, unit: str = "s"
) -> dict[str, Any]:
    """The report row of paired samples (``ours[i]`` and ``theirs[i]`` from one round):
    medians of both sides, their spreads, and the median per-round ratio with its interval
    and verdict against ``target`` (``inf``: informational, always met)."""
    if len(ours) != len(theirs):
        raise ValueError(f"{name}: unpaired samples ({len(ours)} vs {len(theirs)})")
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    low, high, coverage = median_interval(ratios)
    decided = verdict(low, high, target)
    return {
        "name": name,
        "native": native,
        "lrcore_median_s": statistics.median(ours),
        "native_median_s": statistics.median(theirs),
        "ratio": statistics.median(ratios),
        "ratio_low": low,
        "ratio_high": high,
        "coverage": coverage,
        "lrcore_spread": spread(ours),
        "native_spread": spread(theirs),
        "target": target,
        "verdict": decided,
        "met": decided == "met",
        "rounds": len(ratios),
    }
