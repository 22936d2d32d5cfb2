"""The precision contract of SPEC section 7, as code: ulp distances and bounds.

- Host float64 (torch): bit-for-bit equal to the reference.
- Float64-capable backends (TensorFlow, torch-backed Keras, JAX x64): float32 of the
  applied value equals float32 of the reference: distance 0.
- Float32-only evaluation (JAX, Keras on JAX): at most :func:`float32_bound` ulps, which
  is 4 for every catalog schedule with one documented exception: ``cosine`` with an
  ``exponent`` above 1 and ``polynomial`` with a ``power`` above 1 raise a rounded
  float32 value to that power, which multiplies its rounding error (measured worst
  cases for cosine: 5 ulps at exponent 1.5, 6 at 2, 9 at 3), so their bound is
  ``ceil(3 * exponent)``.
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


def float32_bound(schedule: Schedule) -> int:
    """The ulp bound a float32-only backend must meet for ``schedule`` at every step: the
    largest bound any node of its tree declares (:meth:`Schedule.float32_ulps`)."""
    bound = 0
    stack = [schedule]
    while stack:
        node = stack.pop()
        bound = max(bound, node.float32_ulps())
        stack.extend(node)
    return bound


def powered_ulps(exponent: float) -> int:
    """The bound of a shape raised to ``exponent``: a rounded float32 base raised to a
    power multiplies its rounding error (measured worst cases for cosine: 5 ulps at
    exponent 1.5, 6 at 2, 9 at 3)."""
    return max(FLOAT32_ULPS, math.ceil(3 * exponent)) if exponent > 1.0 else FLOAT32_ULPS
