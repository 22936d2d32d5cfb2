"""SPEC 7 as one test assertion, for every adapter test that checks applied values.

Every backend must apply float32(reference) at every step. Float32-only evaluation (JAX
without x64, Keras on JAX) computes in double-float pairs and may miss by 1 ulp where the
reference is a near tie (``lrcore.precision.float32_misses``); float64-capable evaluation
may not miss at all. ``lrcore.precision.float32_bound`` is the bound of the opt-out plain
float32 path (``extended=False``) only, which no adapter takes by default.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrcore.precision import float32_misses, ulps


def assert_float32_reference(
    applied: Any, reference: Any, what: str = "", *, near_ties: bool, steps: Any = None
) -> int:
    """Assert that ``float32(applied) == float32(reference)`` at every step: the values
    the adapter applied against the float64 reference, element by element.

    ``near_ties``: the values come from float32-only evaluation, where SPEC 7 allows 1 ulp
    at a near tie of the reference (``lrcore.precision.near_ties``). ``steps``: the step
    of each element, for the message (default: its index). Returns how many near ties
    were missed by 1 ulp (always 0 without ``near_ties``).

    The message names the first bad step, both values, their distance in ulps and how
    many steps are bad.
    """
    applied = np.asarray(applied, dtype=np.float64).ravel()
    reference = np.asarray(reference, dtype=np.float64).ravel()
    assert applied.shape == reference.shape, f"{what}: {applied.size} values for {reference.size} steps"
    distance = ulps(reference, applied)
    if near_ties:
        over, tied = float32_misses(reference, applied)
    else:
        over, tied = distance > 0, np.zeros(distance.shape, bool)
    bad = np.flatnonzero(over)
    if bad.size:
        i = int(bad[0])
        step = i if steps is None else np.asarray(steps).ravel()[i]
        allowed = "1 ulp at near ties only" if near_ties else "no ulp"
        raise AssertionError(
            f"{what}: {bad.size} of {reference.size} steps are not float32(reference) ({allowed}); "
            f"first at step {step}: applied {float(applied[i])!r} (float32 {np.float32(applied[i])}), "
            f"reference {float(reference[i])!r} (float32 {np.float32(reference[i])}), {int(distance[i])} ulps"
        )
    return int(tied.sum())
