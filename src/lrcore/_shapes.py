"""Interpolation shapes shared by schedules and combinators, written over a namespace.

Every shape goes from ``a`` to ``b`` over ``length`` steps and is evaluated from the
nearer end: ``a + (b - a) * shape(done)`` in the first half and
``b + (a - b) * shape'(remaining)`` in the second, so both ends keep full relative
precision in float32 whichever of ``a`` and ``b`` is larger.
"""

from __future__ import annotations

from ._xp import Array, Namespace, fraction, sin2_quarter

SHAPES = ("linear", "cosine")


def anneal(
    xp: Namespace,
    shape: str,
    a: float,
    b: float,
    done: Array,
    remaining: Array,
    length: float,
    *,
    done_offset: float = 0.0,
    remaining_offset: float = 0.0,
) -> Array:
    """Move from ``a`` to ``b`` where ``done + remaining == length``.

    ``done`` and ``remaining`` are integer step arrays; the true distances are
    ``done + done_offset`` and ``remaining + remaining_offset`` (the offsets carry the
    fractional phase ends of ``one_cycle``).
    """
    kmax = int(length) + 1
    done = xp.minimum(xp.maximum(done, 0), kmax)
    remaining = xp.minimum(xp.maximum(remaining, 0), kmax)
    if shape == "linear":
        near_a = a + (b - a) * fraction(xp, done, length, done_offset)
        near_b = b + (a - b) * fraction(xp, remaining, length, remaining_offset)
    elif shape == "cosine":
        near_a = a + (b - a) * sin2_quarter(xp, done, length, done_offset, kmax)
        near_b = b + (a - b) * sin2_quarter(xp, remaining, length, remaining_offset, kmax)
    else:  # pragma: no cover - validated at construction
        raise AssertionError(shape)
    first_half = xp.to_float(done) + done_offset <= xp.to_float(remaining) + remaining_offset
    return xp.where(first_half, near_a, near_b)
