"""Interpolation shapes shared by schedules and combinators, written over a namespace.

Every shape goes from ``a`` to ``b`` over ``length`` steps and is evaluated from the
nearer end: ``a + (b - a) * shape(done)`` in the first half and
``b + (a - b) * shape(remaining)`` in the second (both shapes are symmetric:
``shape(x) + shape(length - x) == 1``), so both ends keep full relative precision in
float32 whichever of ``a`` and ``b`` is larger. One shape evaluation serves both halves.
"""

from __future__ import annotations

from ._namespace import Array, Namespace, fraction, sin2_quarter

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
    clamped: bool = False,
) -> Array:
    """Move from ``a`` to ``b`` where ``done + remaining == length``.

    ``done`` and ``remaining`` are integer step arrays; the true distances are
    ``done + done_offset`` and ``remaining + remaining_offset`` (the offsets carry the
    fractional phase ends of ``one_cycle``). ``clamped`` says the caller already holds
    both within ``[0, length]``.
    """
    kmax = int(length) + 1
    if not clamped:
        done = xp.minimum(xp.maximum(done, 0), kmax)
        remaining = xp.minimum(xp.maximum(remaining, 0), kmax)
    if done_offset or remaining_offset:
        first_half = xp.to_float(done) + done_offset <= xp.to_float(remaining) + remaining_offset
    else:
        first_half = done <= remaining
    if done_offset == remaining_offset:
        part = _shape(xp, shape, xp.minimum(done, remaining), length, done_offset, kmax)
    else:
        # The nearer end is decided with the offsets: near the middle of a phase the integer
        # distances can order the other way (one_cycle's three phases: 0.4 + 0.7 > 1).
        side = xp.decided(first_half)  # host steps all in one half: evaluate that one only
        if side is True:
            part = _shape(xp, shape, done, length, done_offset, kmax)
        elif side is False:
            part = _shape(xp, shape, remaining, length, remaining_offset, kmax)
        else:
            part = xp.where(
                first_half,
                _shape(xp, shape, done, length, done_offset, kmax),
                _shape(xp, shape, remaining, length, remaining_offset, kmax),
            )
    drop = (a - b) * part
    return xp.where(first_half, a - drop, b + drop)


def _shape(xp: Namespace, shape: str, k: Array, length: float, offset: float, kmax: int) -> Array:
    """The distance ``(k + offset) / length`` mapped through the shape, from 0 to 1."""
    if shape == "linear":
        return fraction(xp, k, length, offset)
    if shape == "cosine":
        # (1 - cos(pi x)) / 2 == sin(pi x / 2) ** 2
        return sin2_quarter(xp, k, length, offset, kmax, clamped=True)
    raise AssertionError(shape)  # pragma: no cover - validated at construction
