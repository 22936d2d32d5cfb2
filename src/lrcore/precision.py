"""The precision contract of SPEC section 7, as code: ulp distances and bounds.

- Host float64 (torch): bit-for-bit equal to the reference.
- Float64-capable backends (TensorFlow, torch-backed Keras, JAX x64): float32 of the
  applied value equals float32 of the reference: distance 0.
- Float32-only evaluation (JAX, Keras on JAX): float32 of the reference too, computed in
  double-float pairs (about 48 significant bits). A step whose reference lies within
  :data:`NEAR_TIE` (relative) of the midpoint between two float32 numbers cannot be decided
  with that precision: there 1 ulp is allowed, and it is counted (:func:`near_ties`,
  :func:`float32_misses`).

The plain float32 path (``extended=False``: one float32 rounding per operation, fewer
operations) keeps :func:`float32_bound`: 4 ulps for every catalog schedule but ``cosine``
with an ``exponent`` and ``polynomial`` with a ``power`` other than 1, which raise a rounded
float32 value to that power (:func:`powered_ulps`), plus the rounding of a ``scale`` over them.
"""

from __future__ import annotations

import math
from typing import Any

from ._schedule import Schedule

FLOAT32_ULPS = 4


def ulps(reference: Any, value: Any) -> Any:
    """Distance between float32 roundings, in float32 steps (an int64 NumPy array).

    Both sides are flushed to zero below float32's smallest normal number, as XLA and
    TensorFlow do on the CPU; a learning rate below 1e-38 is zero for any optimizer.
    NaN against anything is ``2**32``, more than any finite distance.

    >>> import numpy as np
    >>> int(ulps([1.0], [float(np.nextafter(np.float32(1), np.float32(2)))])[0])
    1
    """
    import numpy as np

    a, b = flushed32(reference), flushed32(value)
    distance = np.abs(_ordered(a) - _ordered(b))
    return np.where(np.isnan(a) | np.isnan(b), np.int64(1 << 32), distance)


def flushed32(values: Any) -> Any:
    """``values`` rounded to float32, zero below float32's smallest normal (-0 made +0)."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        x = np.asarray(values, dtype=np.float64).astype(np.float32)
    tiny = np.finfo(np.float32).tiny
    return np.where(np.abs(x) < tiny, np.float32(0.0), x).astype(np.float32)


def _ordered(x: Any) -> Any:
    """float32 bit patterns as integers in the order of the values (negatives mirrored)."""
    import numpy as np

    bits = x.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


NEAR_TIE = 2.0**-44
"""How close (relative) to a float32 midpoint a reference may lie for a float32-only
backend to miss its rounding by 1 ulp: the double-float arithmetic carries about 48
significant bits, and a formula's few operations lose at most 4 of them."""


def near_ties(reference: Any) -> Any:
    """Where the float64 ``reference`` lies within :data:`NEAR_TIE` of the midpoint
    between two float32 numbers (a boolean NumPy array)."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        r32 = ref.astype(np.float32)
        up = np.nextafter(r32, np.float32(np.inf)).astype(np.float64)
        down = np.nextafter(r32, np.float32(-np.inf)).astype(np.float64)
        mid = r32.astype(np.float64)
        gap = np.minimum(np.abs(ref - (mid + up) / 2), np.abs(ref - (mid + down) / 2))
        return np.isfinite(ref) & (gap <= NEAR_TIE * np.abs(ref))


def float32_misses(reference: Any, applied: Any) -> tuple[Any, Any]:
    """SPEC 7 for a float32-only backend, step by step: ``(over, tied)`` boolean arrays.
    ``over`` marks steps whose float32 differs from float32(reference) and may not (more
    than 1 ulp, or 1 ulp where the reference is not a near tie); ``tied`` the near-tie steps
    1 ulp away (allowed, and reported)."""
    distance = ulps(reference, applied)
    tie = near_ties(reference)
    tied = (distance == 1) & tie
    return (distance > 0) & ~tied, tied


def float32_bound(schedule: Schedule) -> int:
    """The ulp bound of the plain float32 path (``extended=False``) for ``schedule`` at every
    step: the largest bound any node of its tree declares (:meth:`Schedule.float32_ulps`)."""
    bound = 0
    stack = [schedule]
    while stack:
        node = stack.pop()
        bound = max(bound, node.float32_ulps())
        stack.extend(node)
    return bound


def powered_ulps(exponent: float) -> int:
    """The bound of a shape raised to ``exponent`` (other than 1): a rounded float32 base
    raised to a power multiplies its rounding error, and ``pow`` adds its own.
    ``max(5, ceil(3 * exponent))``, one more where the exponent is not a float32 number (its
    correction ``x ** (p - float32(p))`` is one more rounding). Measured worst cases over
    3,000 random cosine and polynomial curves per exponent (ends 10**-7 to 10**-0.5 of the
    start, 10 to 2,000 steps): 5 ulps at 1.25, 1.5 and 1.75, 6 at 2, 8 at 2.5, 9 at 3; 8
    between 2.0 and 2.1 and 5 between 0.3 and 1 (not float32 numbers)."""
    if exponent == 1.0:
        return FLOAT32_ULPS
    bound = max(FLOAT32_ULPS + 1, math.ceil(3 * exponent))
    return bound if float(_float32(exponent)) == exponent else bound + 1


def _float32(x: float) -> Any:
    import numpy as np

    return np.float32(x)
