"""Comparison helpers for the parity tests (no framework imports)."""

from __future__ import annotations

import numpy as np

EPS64 = np.finfo(np.float64).eps
N = 10_000  # every parity curve covers at least this many steps


def assert_close(
    ours: np.ndarray, native: np.ndarray, *, rel: float = 1e-12, atol: float = 8 * EPS64, what: str = ""
) -> float:
    """``|ours - native| <= rel * |native| + atol * max|native|`` at every step.

    The absolute term is the native float64 formula's own rounding (``1 + cos(x)`` near
    ``x = pi`` cancels to an absolute error of a few eps times the peak, the default ``atol``). Returns the largest
    relative difference where the native value is above 1e-6 of the peak (for reports).
    """
    ours = np.asarray(ours, dtype=np.float64)
    native = np.asarray(native, dtype=np.float64)
    assert ours.shape == native.shape
    peak = float(np.max(np.abs(native))) if native.size else 0.0
    err = np.abs(ours - native)
    bound = rel * np.abs(native) + atol * peak
    bad = np.nonzero(err > bound)[0]
    assert bad.size == 0, (
        f"{what}: {bad.size} steps differ, first at t={bad[0]}: lrcore {ours[bad[0]]!r}, native {native[bad[0]]!r}"
    )
    big = np.abs(native) > 1e-6 * peak
    return float(np.max(err[big] / np.abs(native[big]))) if big.any() else 0.0
