"""The precision contract of SPEC section 7, as code: ulp distances and bounds.

- Host float64 (torch): bit-for-bit equal to the reference.
- Float64-capable backends (TensorFlow, torch-backed Keras, JAX x64): float32 of the
  applied value equals float32 of the reference: distance 0.
- Float32-only evaluation (JAX, Keras on JAX): at most :func:`float32_bound` ulps, which
  is 4 for every catalog schedule with one documented exception: ``cosine`` with an
  ``exponent`` and ``polynomial`` with a ``power`` other than 1 raise a rounded float32
  value to that power, which multiplies its rounding error, so their bound is
  :func:`powered_ulps` (``max(5, ceil(3 * exponent))``, plus one for an exponent that is
  not a float32 number), and a ``scale`` over them adds the rounding of its product.
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
