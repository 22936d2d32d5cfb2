"""Shared timing helpers: interleaved measurements, medians and spreads."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved(
    lrcore_fn: Callable[[], object], native_fn: Callable[[], object], repeats: int
) -> tuple[list[float], list[float]]:
    """Time both callables alternately (after one warm-up call each), so that machine noise
    hits both sides alike."""
    lrcore_fn()
    native_fn()
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(repeats):
        pair = [(lrcore_fn, ours), (native_fn, theirs)]
        if i % 2:
            pair.reverse()
        for fn, out in pair:
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return ours, theirs


def spread(samples: list[float]) -> float:
    """Relative spread: (p75 - p25) / median."""
    if len(samples) < 4:
        return (max(samples) - min(samples)) / statistics.median(samples)
    q = statistics.quantiles(samples, n=4)
    return (q[2] - q[0]) / statistics.median(samples)


def entry(
    name: str, ours: list[float], theirs: list[float], target: float, native: str, unit: str = "s"
) -> dict:
    a, b = statistics.median(ours), statistics.median(theirs)
    return {
        "name": name,
        "native": native,
        "lrcore_median_s": a,
        "native_median_s": b,
        "ratio": a / b,
        "lrcore_spread": spread(ours),
        "native_spread": spread(theirs),
        "target": target,
        "met": a / b <= target,
        "repeats": len(ours),
    }
