"""Logarithm, exponential and non-integer powers in double-float (:class:`Wide` pairs).

What :func:`~lrcore._namespace.power` and :func:`~lrcore._namespace.one_minus_pow` run in an
``extended`` float32 namespace, where a float32 ``pow`` (or one split at the exponent) would
be a few ulps off: SPEC 7 asks for float32(reference) at every step, so ``x ** p`` must be
right to about 2**-46 relative. No transcendental function runs on a traced value; the
traced operations are ``+ - *``, table lookups, and integer and bit operations, each kept
exact the way :class:`Wide` keeps its own (no constant division, opaque constants, products'
errors from 12-bit splits):

- ``x ** p == 2 ** z`` with ``z = p * log2(x)``, whose *absolute* error is the result's
  relative error, up to ``|z|`` near 150. ``x = 2**e * m`` (the float32 exponent field,
  a bit operation), ``m`` in [1, 2) is ``(1 + u) / r_j`` for the nearest of 4096 table points
  (``|u| <= 2**-13``), and ``p * e`` is summed from pieces of ``p`` that multiply ``e``
  exactly; the integer parts of ``p * e`` and ``-p * log2(r_j)`` (host table) are kept in
  integers, so the pair that is left is below 1 and keeps ~2**-50 absolute. Then
  ``2 ** z == 2**q * 2**(i / 4096) * exp(t)`` with ``|t| <= 2**-13.5``: a table of pairs, a
  three-term series, and a power of two built from its bits.
- ``1 - x ** p`` near ``x == 1`` (a rising curve's small start) needs *relative* precision:
  ``-expm1(p * ln(1 - rest))`` from the exact ``rest == 1 - x``, with ``ln(1 - rest)`` from a
  table on ``rest`` and ``expm1`` from a table on its argument, each with a short series.

Values below float32's smallest normal (2**-126) come out as 0: XLA flushes them on the CPU,
and the precision contract counts them as 0 (:func:`lrcore.precision.flushed32`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from ._namespace import (
    Array,
    Namespace,
    Wide,
    _fast_two_sum,
    _np,
    _two_prod,
    _two_sum,
    as_wide,
    take_wide,
    wide_where,
)

_TABLE_BITS = 12  # 4096 table points: |u|, |t| <= 2**-13, so three series terms suffice
_SIZE = 1 << _TABLE_BITS
_UNIT = 1.0 / _SIZE  # exact
_MANTISSA = 1 << 23
_ROUNDER = 1.5 * 2.0**23  # v + _ROUNDER rounds v to an integer, for |v| < 2**22
_ROUNDER_BITS = 0x4B400000  # its float32 bit pattern


def wide_power(xp: Namespace, x: Any, p: float) -> Wide:
    """``x ** p`` for ``0 <= x <= 1`` (a pair or a float32 array), ``0 < p <= 1024`` (``e * p * 4096``
    fits int32 for every exponent ``e >= -126``):
    the pair nearest the value to about 2**-47 relative; 0 at ``x == 0`` and wherever the
    value is below 2**-126."""
    x = as_wide(xp, x)
    units, z = _log2_parts(xp, x, p)
    whole, low = _nearest(xp, z.hi * float(_SIZE))
    z = _add(z, low * -_UNIT)  # exact: low / 4096 is the multiple of 2**-12 nearest z
    units = units + whole
    q = xp.floordiv(units, _SIZE)
    step = take_wide(xp, _exp2_table(), units - q * _SIZE)
    t = z * math.log(2.0)
    th = t.hi
    # exp(t) - 1 = t + t**2 / 2 + t**3 / 6 (+ 2**-58): the square's low part is th * t.lo
    grown = _add(t, th * (th * (0.5 + th * (1.0 / 6.0)) + t.lo))
    value = step + step * grown
    # 2 ** q from its exponent field; 0 below the normal range
    scale = xp.from_bits(xp.maximum(q + 127, 0) * _MANTISSA)
    return wide_where(xp, x.hi > 0.0, Wide(xp, value.hi * scale, value.lo * scale), 0.0)


def wide_one_minus_pow(xp: Namespace, x: Any, rest: Any, p: float) -> Wide:
    """``1 - x ** p`` to about 2**-47 relative wherever ``x ** p >= 1/2``, from ``rest == 1 - x``
    (a pair or a float32 array, exact): ``-expm1(p * ln(1 - rest))``. Elsewhere finite but
    inexact (a caller uses ``x ** p`` there)."""
    w = _p_ln_one_minus(xp, as_wide(xp, x), as_wide(xp, rest), p)
    # expm1(w) for w in [-ln 2, 0]: w = -i / 4096 + s, expm1(w) = expm1(-i/4096) + exp(-i/4096) * expm1(s)
    whole, _ = _nearest(xp, w.hi * float(_SIZE))
    index = xp.minimum(xp.maximum(-whole, 0), _EXPM1_ROWS - 1)
    s = _add(w, xp.to_float(index) * _UNIT)
    below, scale = _expm1_tables()
    shrunk: Wide = take_wide(xp, below, index) + take_wide(xp, scale, index) * _expm1_small(xp, s)
    return -shrunk


# ---------------------------------------------------------------------------------------
# logarithms


def _log2_parts(xp: Namespace, x: Wide, p: float) -> tuple[Array, Wide]:
    """``p * log2(x) == units / 4096 + z`` for ``x > 0``: ``units`` an integer array, ``z`` a pair
    with ``|z| < 1/2`` (absolute error about 2**-50)."""
    ratios, units_j, rest_j, whole_p, pieces = _log2_tables(float(p))
    bits = xp.to_bits(x.hi)
    field = xp.floordiv(bits, _MANTISSA)
    j = xp.floordiv(bits - field * _MANTISSA, _MANTISSA // _SIZE)  # the top 12 mantissa bits
    field = xp.minimum(xp.maximum(field, 1), 253)  # x == 0: finite nonsense, masked by the caller
    e = field - 127
    # u = x * r_j * 2**-e - 1, |u| <= 2**-13
    scale = xp.take(ratios, j) * xp.from_bits((254 - field) * _MANTISSA)
    u = _product_minus_one(xp, x, scale)
    z = take_wide(xp, rest_j, j) + _log1p_small(xp, u) * (p / math.log(2.0))
    fe = xp.to_float(e)
    for piece in pieces:  # p * e beyond its multiple of 2**-12, each product exact
        z = _add(z, fe * piece)
    return e * whole_p + xp.take(units_j, j), z


def _p_ln_one_minus(xp: Namespace, x: Wide, rest: Wide, p: float) -> Wide:
    """``p * ln(x) == p * ln(1 - rest)`` to about 2**-47 relative for ``2 ** (-1/p) <= x <= 1``
    (where ``x ** p >= 1/2``), finite for any ``0 <= x <= 1``."""
    # rest <= 1/2: rest = c + d with c = i / 4096 nearest; 1 - rest = (1 + u) / r_i with
    # u = r_i (1 - c) - 1 - r_i d, the first part a host number (exact in float32), so that
    # ln(1 - rest) = -ln(r_i) + ln(1 + u), with -ln(r_i) == 0 and u == -rest for i == 0.
    ratios, shifts, logs = _ln_tables()
    whole, _ = _nearest(xp, rest.hi * float(_SIZE))
    index = xp.minimum(whole, _SIZE // 2)
    d = _add(rest, xp.to_float(index) * -_UNIT)
    r = xp.take(ratios, index)
    dh, de = _two_prod(xp, d.hi, r)
    u = _add(-Wide(xp, *_fast_two_sum(dh, de + d.lo * r)), xp.take(shifts, index))
    near: Wide = (take_wide(xp, logs, index) + _log1p_small(xp, u)) * p
    if p >= 1.0:
        return near  # x ** p >= 1/2 only where rest <= 1/2
    # rest > 1/2 (x < 1/2): p * log2(x) as wide_power finds it (the same operations, which a
    # compiler evaluates once), times ln 2; |p * log2(x)| >= p, so absolute is relative
    units, z = _log2_parts(xp, x, p)
    far = (z + xp.to_float(units) * _UNIT) * math.log(2.0)
    return wide_where(xp, rest.hi <= 0.5, near, far)


def _log1p_small(xp: Namespace, u: Wide) -> Wide:
    """``ln(1 + u)`` for ``|u| <= 2**-12`` to about 2**-49 relative: the square is a pair."""
    square = _square(xp, u)
    uh = u.hi
    return _add(u - Wide(xp, square.hi * 0.5, square.lo * 0.5), uh * square.hi * (1.0 / 3.0 - uh * 0.25))


def _expm1_small(xp: Namespace, s: Wide) -> Wide:
    """``exp(s) - 1`` for ``|s| <= 2**-12`` to about 2**-49 relative: the square is a pair."""
    square = _square(xp, s)
    sh = s.hi
    return _add(
        s + Wide(xp, square.hi * 0.5, square.lo * 0.5), sh * square.hi * (1.0 / 6.0 + sh * (1.0 / 24.0))
    )


# ---------------------------------------------------------------------------------------
# pieces


def _add(w: Wide, f: Array) -> Wide:
    """A pair plus a float32 array."""
    s, e = _two_sum(w.hi, f)
    return Wide(w.xp, *_fast_two_sum(s, e + w.lo))


def _product_minus_one(xp: Namespace, x: Wide, b: Array) -> Wide:
    """``x * b - 1`` where the product is near 1, to about 2**-60 absolute. (A pair product
    is right to 2**-48 of itself, all of it in what is left after the 1 cancels: the exact
    partial products of 12-bit halves are summed after it instead.)"""
    a1, a2 = xp.split(x.hi)
    b1, b2 = xp.split(b)
    low, low_error = _two_prod(xp, x.lo, b)
    s, e1 = _two_sum(a1 * b1 - 1.0, a1 * b2)  # a1 * b1 - 1 is exact (Sterbenz)
    s, e2 = _two_sum(s, a2 * b1)
    s, e3 = _two_sum(s, a2 * b2)
    s, e4 = _two_sum(s, low)
    return Wide(xp, *_fast_two_sum(s, ((e1 + e2) + (e3 + e4)) + low_error))


def _square(xp: Namespace, w: Wide) -> Wide:
    sh, se = _two_prod(xp, w.hi, w.hi)
    return Wide(xp, *_fast_two_sum(sh, se + 2.0 * w.hi * w.lo))


def _nearest(xp: Namespace, v: Array) -> tuple[Array, Array]:
    """The integer nearest ``v`` (``|v| < 2**22``) as an integer array and as a float: adding
    1.5 * 2**23 leaves no fraction, and the sum's bits count from the constant's (the constant
    is opaque, so a compiler cannot fold the addition away)."""
    rounder = xp.pair(_ROUNDER)[0]
    shifted = v + rounder
    return xp.to_bits(shifted) - _ROUNDER_BITS, shifted - rounder


def _pieces(value: float, count: int) -> tuple[float, ...]:
    """``value`` as ``count`` numbers of 12 significant bits and a float32 rest (their sum is
    ``value`` to ~2**-(12 count + 24) relative): each times an integer up to 2**11 is exact."""
    np = _np()
    out = []
    for _ in range(count):
        if value == 0.0:
            break
        mantissa, exponent = math.frexp(value)
        piece = math.ldexp(math.trunc(mantissa * 4096.0), exponent - 12)
        out.append(piece)
        value -= piece
    if value:
        out.append(float(np.float32(value)))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _log2_tables(p: float) -> tuple[Any, Any, Any, int, tuple[float, ...]]:
    """For ``p``: the 4096 ratios ``r_j`` (float32 numbers near ``1 / m`` for ``m`` in the
    ``j``-th 4096th of [1, 2)), ``-p * log2(r_j)`` as whole 4096ths (int64) and the rest
    (float64, below 2**-13), ``p``'s whole 4096ths and the pieces of the remainder."""
    np = _np()
    j = np.arange(_SIZE, dtype=np.float64)
    ratios = (1.0 / (1.0 + (j + 0.5) / _SIZE)).astype(np.float32).astype(np.float64)
    wide = np.longdouble  # 64 significant bits on x86 (where float64, 2**-50 for p <= 5)
    scaled = -np.log2(ratios.astype(wide)) * wide(p) * _SIZE
    units = np.rint(scaled)
    rest = ((scaled - units) / _SIZE).astype(np.float64)
    whole_p = math.floor(p * _SIZE)
    return ratios, units.astype(np.int64), rest, whole_p, _pieces(p - whole_p / _SIZE, 2)


@functools.lru_cache(maxsize=1)
def _exp2_table() -> Any:
    np = _np()
    wide = np.longdouble
    return np.exp2(np.arange(_SIZE, dtype=wide) / _SIZE).astype(np.float64)


@functools.lru_cache(maxsize=1)
def _ln_tables() -> tuple[Any, Any, Any]:
    """For ``c_i = i / 4096``, ``i <= 2048``: ``r_i`` (float32 near ``1 / (1 - c_i)``), the
    float32 ``r_i (1 - c_i) - 1`` (exact: 24 by 12 bits), and ``-ln(r_i)`` (float64)."""
    np = _np()
    c = np.arange(_SIZE // 2 + 1, dtype=np.float64) / _SIZE
    ratios = (1.0 / (1.0 - c)).astype(np.float32).astype(np.float64)
    shifts = ratios * (1.0 - c) - 1.0
    assert np.all(shifts.astype(np.float32) == shifts)
    return ratios, shifts, -np.log(ratios.astype(np.longdouble)).astype(np.float64)


_EXPM1_ROWS = math.ceil(math.log(2.0) * _SIZE) + 2


@functools.lru_cache(maxsize=1)
def _expm1_tables() -> tuple[Any, Any]:
    """``expm1(-i / 4096)`` and ``exp(-i / 4096)`` for ``-i / 4096`` down past ``-ln 2``."""
    np = _np()
    w = -np.arange(_EXPM1_ROWS, dtype=np.longdouble) / _SIZE
    return np.expm1(w).astype(np.float64), np.exp(w).astype(np.float64)
