"""Array namespaces and the numerically careful building blocks every formula uses.

A schedule's formula is written once, against the small :class:`Namespace` interface
below. The host reference evaluates it with NumPy in float64; the adapters evaluate the
same code with their framework's arrays at a traced step (``jax.numpy`` under ``jit``,
Keras ops in a TensorFlow graph, ...). Each framework gets one small namespace class in
its adapter module, imported only when used (the einops ``_backends`` pattern).

Precision (SPEC section 7). Steps are integers, and every boundary is decided with
integer arithmetic. Floats enter only as "remaining steps over a length", which is
exact for any horizon below 2**24 in float32. In float64 the transcendental functions
are called directly. A float32 namespace never calls ``sin``, ``exp`` or ``log`` on a
traced value: ``sin`` and ``exp`` of step counts come from float64 tables computed on the
host, split into two or three digit tables (``sin(a + b)`` by angle addition, ``exp(a + b)``
as a product), and powers from tables of logarithms and short series
(:mod:`lrcore._wide_math`). By default (``extended``) it computes in double-float pairs
(:class:`Wide`, about 48 bits), whose float32 rounding is float32(reference) at every step
but near ties (a reference within 2**-44 of a float32 midpoint: 1 ulp); with
``extended=False`` each traced operation is one correctly rounded float32 ``+ - * /
sqrt`` (and ``pow`` for powered shapes), within ``lrcore.precision.float32_bound`` ulps.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from ._errors import ConfigError

Array = Any

_SIN_LEVEL_LIMIT = 1 << 24  # beyond this a float32 step count is no longer exact
_DIGITS_REACH = (1 << 31) - 1  # int32 steps (SPEC 7): an extended sine's three digits reach this far
_WIDE_MAX_EXPONENT = 1024.0  # an extended power's ``e * p * 4096`` fits int32 (_wide_math)


def _np() -> Any:
    import numpy

    return numpy


class Namespace:
    """The operations a formula may use, bound to one framework and one float width.

    Subclasses set ``name``, ``bits`` (32 or 64: the float width) and ``int_max`` (the
    largest step their integer type holds) and implement the methods. Arguments named
    ``a``/``b`` may be arrays of this namespace or Python numbers.
    """

    name = "abstract"
    bits = 64
    int_max = (1 << 63) - 1
    #: Whether :func:`fraction` and :func:`sin2_quarter` return :class:`Wide` pairs (a
    #: float32 namespace that implements :meth:`split` and :meth:`opaque`).
    extended = False

    def split(self, x: Array) -> tuple[Array, Array]:
        """``x == hi + lo`` exactly, each with at most 12 significant bits, by masking the
        low 12 bits of ``x``'s float32 bit pattern (no float operation a compiler could
        rewrite). Only namespaces with ``extended`` use it."""
        hi = self.from_bits(self.to_bits(x) & -4096)
        return hi, x - hi

    def opaque(self, values: tuple[Array, Array]) -> tuple[Array, Array]:
        """Float constants hidden from the compiler's algebraic simplifier (XLA folds
        ``(x + c) - c`` into ``x`` for a constant ``c``, erasing TwoSum's error term)."""
        raise NotImplementedError

    def pair(self, value: float) -> tuple[Array, Array]:
        """A Python float as an opaque float pair (``hi + lo`` its first ~48 bits)."""
        raise NotImplementedError

    def as_int(self, t: Array) -> Array:
        raise NotImplementedError

    def to_float(self, x: Array) -> Array:
        raise NotImplementedError

    def fill(self, like: Array, value: float) -> Array:
        """A float array shaped like ``like`` (an integer step array) holding ``value``."""
        raise NotImplementedError

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        raise NotImplementedError

    def minimum(self, a: Any, b: Any) -> Array:
        raise NotImplementedError

    def maximum(self, a: Any, b: Any) -> Array:
        raise NotImplementedError

    def floordiv(self, a: Array, b: Any) -> Array:
        """Floor division of integer arrays; ``b`` is a Python int or an integer array."""
        raise NotImplementedError

    def mod(self, a: Array, b: int) -> Array:
        raise NotImplementedError

    def sin(self, x: Array) -> Array:
        raise NotImplementedError

    def exp(self, x: Array) -> Array:
        raise NotImplementedError

    def sqrt(self, x: Array) -> Array:
        raise NotImplementedError

    def pow(self, x: Array, p: float) -> Array:
        raise NotImplementedError

    def count_le(self, t: Array, boundaries: Sequence[int]) -> Array:
        """How many of the sorted (representable) ``boundaries`` are ``<= t``: one
        comparison per boundary, which every framework traces."""
        count = self.minimum(t, 0) * 0
        for b in boundaries:
            count = count + self.where(t >= b, 1, 0)
        return count

    def take(self, table: Any, index: Array) -> Array:
        """``table[index]`` for a host NumPy ``table`` (float64 or int64), in this
        namespace's float or integer type. ``index`` is always in range."""
        raise NotImplementedError

    # Host shortcuts. A piecewise formula evaluates every piece and selects with ``where``,
    # which is what keeps it one traced expression. Where the steps are known on the host
    # (NumPy), these let it skip the pieces no step reaches; the values never depend on it
    # (the same elementwise operations, minus discarded ones). Traced namespaces know nothing.

    def span(self, t: Array) -> tuple[int, int] | None:
        """``(min(t), max(t))`` where the steps are known on the host, else None."""
        return None

    def decided(self, cond: Array) -> bool | None:
        """True where every element of ``cond`` is known true, False where every one is
        known false, else None."""
        return None

    # Bit operations of an ``extended`` namespace (:mod:`lrcore._wide_math` reads a float's
    # exponent and builds powers of two with them: exact, and nothing a compiler rewrites).

    def to_bits(self, x: Array) -> Array:
        """The bit pattern of the float32 array ``x`` as int32 (a bitcast)."""
        raise NotImplementedError

    def from_bits(self, bits: Array) -> Array:
        """The float32 array whose bit patterns are the integers ``bits`` (a bitcast)."""
        raise NotImplementedError


class NumpyNamespace(Namespace):
    """NumPy, in float64 (the reference) or float32 (the same arithmetic as a float32
    accelerator, for tests: double-float pairs unless ``extended=False``). Steps are int64."""

    def __init__(self, bits: int = 64, *, extended: bool | None = None) -> None:
        np = _np()
        if extended is None:
            extended = bits == 32
        if extended and bits != 32:
            raise ConfigError("extended", "false unless bits is 32 (float64 needs no pairs)", extended)
        self.np = np
        self.bits = bits
        self.name = f"numpy-float{bits}" + ("-extended" if extended else "")
        self.float = np.float64 if bits == 64 else np.float32
        self.int_max = (1 << 63) - 1
        self.extended = extended

    def opaque(self, values: tuple[Array, Array]) -> tuple[Array, Array]:
        return values  # NumPy evaluates as written

    def pair(self, value: float) -> tuple[Array, Array]:
        return host_pair(value)

    def as_int(self, t: Array) -> Array:
        return self.np.asarray(t, dtype=self.np.int64)

    def to_float(self, x: Array) -> Array:
        return self.np.asarray(narrow(x)).astype(self.float)

    def fill(self, like: Array, value: float) -> Array:
        return self.np.full(self.np.shape(narrow(like)), value, dtype=self.float)

    def _f(self, a: Any) -> Any:
        if isinstance(a, float):
            return self.float(a)
        return a

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_where(self, cond, a, b)
        return self.np.where(cond, self._f(a), self._f(b))

    def minimum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_minimum(self, a, b)
        return self.np.minimum(self._f(a), self._f(b))

    def maximum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_maximum(self, a, b)
        return self.np.maximum(self._f(a), self._f(b))

    def floordiv(self, a: Array, b: Any) -> Array:
        return a // b

    def mod(self, a: Array, b: int) -> Array:
        return a % b

    def sin(self, x: Array) -> Array:
        return self.np.sin(narrow(x))

    def exp(self, x: Array) -> Array:
        return self.np.exp(narrow(x))

    def sqrt(self, x: Array) -> Array:
        return self.np.sqrt(narrow(x))

    def pow(self, x: Array, p: float) -> Array:
        return self.np.power(narrow(x), self.float(p))

    def count_le(self, t: Array, boundaries: Sequence[int]) -> Array:
        if len(boundaries) <= 4:
            return super().count_le(t, boundaries)
        # the same integer count, by binary search on the host
        return self.np.searchsorted(self.np.asarray(boundaries, dtype=self.np.int64), t, side="right")

    def take(self, table: Any, index: Array) -> Array:
        np = self.np
        dtype = self.float if table.dtype.kind == "f" else np.int64
        return np.asarray(table, dtype=dtype)[index]

    def span(self, t: Array) -> tuple[int, int] | None:
        a = self.np.asarray(t)
        if a.size == 0 or a.dtype.kind not in "iu":
            return None
        return int(a.min()), int(a.max())

    def decided(self, cond: Array) -> bool | None:
        c = self.np.asarray(cond)
        if c.all():
            return True
        if not c.any():
            return False
        return None

    def to_bits(self, x: Array) -> Array:
        return self.np.asarray(x, dtype=self.np.float32).view(self.np.int32)

    def from_bits(self, bits: Array) -> Array:
        return self.np.asarray(bits).astype(self.np.int32).view(self.np.float32)


@functools.lru_cache(maxsize=8)
def numpy_namespace(bits: int = 64, extended: bool | None = None) -> NumpyNamespace:
    return NumpyNamespace(bits, extended=extended)


# ----------------------------------------------------------------------------------
# Building blocks. Each takes the namespace first; integer arguments are step arrays.


def fits(xp: Namespace, n: int) -> bool:
    """Whether the integer ``n`` is representable as a step of ``xp``."""
    return -xp.int_max - 1 <= n <= xp.int_max


def clamp_steps(xp: Namespace, t: Array, n: int) -> Array:
    """``min(t, n)``; a step type too narrow to reach ``n`` never needs the clamp."""
    return xp.minimum(t, n) if fits(xp, n) else t


def count_reached(xp: Namespace, t: Array, boundaries: Sequence[int]) -> Array:
    """How many of the sorted ``boundaries`` are ``<= t`` (integer comparisons).
    Boundaries beyond the step type's range can never be reached and are left out."""
    return xp.count_le(t, [b for b in boundaries if fits(xp, b)])


def fraction(xp: Namespace, remaining: Array, length: float, offset: float = 0.0) -> Array:
    """``(remaining + offset) / length`` as a float in [0, 1], with one rounding for
    the division (``remaining`` is an exact integer count). In an ``extended`` namespace,
    a :class:`Wide` pair: the exact count times the pair nearest ``1 / length``."""
    if xp.extended:
        r_wide = Wide.from_int(xp, remaining)
        if offset:
            r_wide = r_wide + offset
        return r_wide * (1.0 / float(length))
    if offset and xp.bits == 32:
        # remaining + offset cancels in float32 where the offset is near -remaining (one_cycle's
        # fractional phase start, -0.98 one step in: a rounded offset was ~30 ulps of the sum);
        # the integer part joins the exact count and only the fraction in [0, 1) is rounded.
        whole = math.floor(offset)
        return (xp.to_float(remaining + whole) + (offset - whole)) / float(length)
    r = xp.to_float(remaining)
    if offset:
        r = r + offset
    return r / float(length)


def lerp(xp: Namespace, a: float, b: float, remaining: Array, length: int) -> Array:
    """Linear from ``a`` (remaining == length) to ``b`` (remaining == 0)."""
    return b + (a - b) * fraction(xp, remaining, length)


def power(xp: Namespace, x: Array, p: float) -> Array:
    """``x ** p`` with the exponent at full precision in every namespace.

    A float32 namespace would round ``p`` to float32, and ``x ** p`` then differs from the
    reference by ``|ln x| * (p - float32(p))`` relative: 14 ulps for ``p = 1.0827809...`` at
    ``x = 6e-5`` (a cosine's last steps). Split ``p = hi + lo`` with ``hi = float32(p)``:
    ``x ** hi * x ** lo``, where ``x ** lo`` is a number near 1 that carries the correction.

    An ``extended`` namespace returns a :class:`Wide` pair, for ``0 <= x <= 1``: a product
    for a small whole ``p``, else :func:`lrcore._wide_math.wide_power` (double-float ``log2``
    and ``exp2`` from tables, float32(reference) to the last bit).
    """
    if xp.extended and p <= _WIDE_MAX_EXPONENT:
        if p == int(p) and p <= 4:
            product = as_wide(xp, x)
            for _ in range(int(p) - 1):
                product = product * x
            return product
        from ._wide_math import wide_power

        return wide_power(xp, x, p)
    if xp.bits == 32 and not xp.extended:
        np = _np()
        hi = float(np.float32(p))
        if hi != p:
            # (x held at float32's smallest normal for the correction: 0 ** (negative lo) is
            # inf, and x ** hi is 0 there anyway)
            return xp.pow(x, hi) * xp.pow(xp.maximum(x, 2.0**-126), p - hi)
    return xp.pow(x, p)


def one_minus_pow(xp: Namespace, x: Array, rest: Array, p: float) -> Array:
    """``1 - x ** p`` for ``0 <= x <= 1``, given ``rest == 1 - x``, both to full relative
    precision: the weight a powered curve ``end + (start - end) * x ** p`` puts on ``end``.

    ``1 - pow(x, p)`` cancels where ``x ** p`` is near 1, which is where a *rising* curve is
    near its small ``start`` (float32 keeps nothing of it below 2**-24). Here every step
    keeps relative precision, with ``+ - * /`` and host-computed constants only:

    - ``1 - x ** (n + f) == (1 - x ** n) + x ** n * (1 - x ** f)``: non-negative terms;
    - ``1 - x ** n == rest * (1 + x + ... + x ** (n - 1))``: positive terms;
    - ``1 - x ** f`` for the fraction ``f``: with ``x = r * 2**-k``, ``r`` in [1/2, 1] (``k``
      exact doublings, none where ``x >= 1/2``), it is ``(1 - 2**-kf) + 2**-kf * (1 - r**f)``,
      and ``1 - r**f == 1 - (1 - d) ** f`` with ``d = 1 - r <= 1/2`` is the binomial series
      in ``d``, whose terms are all positive (coefficients from the host,
      :func:`_fraction_series`).

    Accurate to a few float32 ulps of its own value wherever ``x ** p >= 1/2`` (the doublings
    reach that far); elsewhere finite but inexact, and a caller uses ``x ** p`` there (it
    is then at most 1/2).

    >>> import numpy as np
    >>> x = np.float32(1) - np.float32(1e-6)
    >>> round(one_minus_pow(numpy_namespace(32), x, np.float32(1e-6), 0.5).item(), 13)  # 1 - sqrt(x)
    5.000001e-07
    >>> round((np.float32(1) - np.sqrt(x)).item(), 13)  # the direct form: 7% off
    5.364418e-07

    In an ``extended`` namespace (pairs in, a :class:`Wide` out) a fractional ``p`` is
    ``-expm1(p * ln(1 - rest))`` in double-float (:func:`lrcore._wide_math.wide_one_minus_pow`),
    to the last bit of float32 wherever ``x ** p >= 1/2``; a whole ``p`` is the sums below.
    """
    n = math.floor(p)
    f = p - n
    if xp.extended and f != 0.0 and p <= _WIDE_MAX_EXPONENT:
        from ._wide_math import wide_one_minus_pow

        return wide_one_minus_pow(xp, x, rest, p)
    whole = power = None
    if n:
        geometric: Array = 1.0
        for _ in range(n - 1):
            geometric = geometric * x + 1.0
        whole = rest * geometric
        power = x
        for _ in range(n - 1):
            power = power * x
    if f == 0.0:
        assert whole is not None  # p > 0
        return whole
    # Where x ** p >= 1/2, x >= 2 ** (-1 / p): at most ceil(1/p) - 1 doublings reach [1/2, 1].
    doublings = max(0, math.ceil(1.0 / p) - 1)
    r, scaled = x, None
    kept = dropped = None  # 2 ** (-k f) and 1 - 2 ** (-k f)
    for k in range(1, doublings + 1):
        low = r < 0.5
        r = xp.where(low, r * 2.0, r)  # exact
        kept = xp.where(low, 2.0 ** (-k * f), 1.0 if kept is None else kept)
        dropped = xp.where(low, -math.expm1(-k * f * math.log(2.0)), 0.0 if dropped is None else dropped)
        scaled = low if scaled is None else scaled
    # 1 - r: the given rest, or exact (Sterbenz) once r was doubled into [1/2, 1)
    away = rest if scaled is None else xp.where(scaled, 1.0 - r, rest)
    coefficients = _fraction_series(f)
    series: Array = coefficients[-1]
    for c in coefficients[-2::-1]:
        series = series * away + c
    fractional = away * series
    if kept is not None:
        fractional = dropped + kept * fractional
    if whole is None:
        return fractional
    return whole + power * fractional


@functools.lru_cache(maxsize=64)
def _fraction_series(f: float) -> tuple[float, ...]:
    """Coefficients ``c[1], c[2], ...`` of ``1 - (1 - d) ** f == sum c[k] d**k`` for
    ``0 < f < 1`` (``c[k] = f (1 - f) (2 - f) ... (k - 1 - f) / k!``, all positive), enough
    of them that the first left out is below 2**-30 of the sum at ``d = 1/2``."""
    coefficients = [f]
    while coefficients[-1] * 0.5 ** len(coefficients) >= 2.0**-30 * f * 0.5:
        k = len(coefficients) + 1
        coefficients.append(coefficients[-1] * (k - 1 - f) / k)
    return tuple(coefficients)


def sin2_quarter(
    xp: Namespace,
    k: Array,
    length: float,
    offset: float = 0.0,
    kmax: int | None = None,
    *,
    clamped: bool = False,
) -> Array:
    """``sin(pi/2 * (k + offset) / length) ** 2`` for integer ``0 <= k <= kmax``.

    This is ``(1 + cos(pi * done / length)) / 2`` written with the *remaining* steps:
    the argument never comes near a zero of the cosine, so the end of a cosine decay
    keeps its relative precision (the naive form loses all of it in float32).

    In float32, ``k = hi * base + lo`` splits the angle as ``A + B`` and
    ``sin(A + B)**2 == sin(A)**2 + sin(B)**2 * cos(2A) + sin(2A) * sin(2B) / 2``: a sum
    of non-negative table products for ``A <= pi/4``, so no cancellation and no
    squaring of a rounded value. In an ``extended`` namespace, ``kmax >= 2**24`` takes
    three digits (:func:`_sin2_digits`) up to int32's reach; beyond it (and in plain float32)
    ``sin`` of a float32 angle, a few ulps off.
    """
    if kmax is None:
        kmax = math.ceil(length)
    k = xp.minimum(xp.maximum(k, 0), kmax)
    if xp.extended and _SIN_LEVEL_LIMIT <= kmax <= _DIGITS_REACH:
        # a float32 step count is no longer exact: three integer digits, in pairs
        tables, base = _sin_digit_tables(float(length), float(offset), int(kmax))
        return _sin2_digits(xp, tables, *_three_digits(xp, k, base))
    if xp.bits == 64 or kmax >= _SIN_LEVEL_LIMIT:
        x = xp.to_float(k) + offset if offset else xp.to_float(k)
        s = xp.sin(x * (math.pi / 2 / length))
        return s * s
    sin2_a, cos_2a, half_sin_2a, sin2_b, sin_2b, base = _sin_tables(float(length), float(offset), int(kmax))
    hi = xp.floordiv(k, base)
    lo = xp.mod(k, base)
    if xp.extended:
        # the same sum of non-negative products, each table a float pair
        return (
            take_wide(xp, sin2_a, hi)
            + take_wide(xp, sin2_b, lo) * take_wide(xp, cos_2a, hi)
            + take_wide(xp, half_sin_2a, hi) * take_wide(xp, sin_2b, lo)
        )
    return (xp.take(sin2_a, hi) + xp.take(sin2_b, lo) * xp.take(cos_2a, hi)) + xp.take(
        half_sin_2a, hi
    ) * xp.take(sin_2b, lo)


@functools.lru_cache(maxsize=256)
def _sin_tables(length: float, offset: float, kmax: int) -> tuple[Any, ...]:
    np = _np()
    base = max(1, math.isqrt(kmax) + 1)
    alpha = math.pi / 2 / length
    # A negative offset (one_cycle's fractional phase start) goes into B: in A it would make
    # the first row's angle negative, sin(2A) < 0, and the sum cancel where the value is near
    # 0 (a momentum curve down to base_momentum=0 was off by thousands of ulps). In B it only
    # meets A = 0 (no product) or A >= alpha * base (a small negative term).
    a_offset, b_offset = (offset, 0.0) if offset >= 0 else (0.0, offset)
    a = alpha * (np.arange(kmax // base + 1, dtype=np.float64) * base + a_offset)
    b = alpha * (np.arange(base, dtype=np.float64) + b_offset)
    return np.sin(a) ** 2, np.cos(2 * a), np.sin(2 * a) / 2, np.sin(b) ** 2, np.sin(2 * b), base


def sin2_quarter_cycles(xp: Namespace, k: Array, cycle: Array, lengths: Sequence[int]) -> Array:
    """``sin(pi/2 * k / lengths[cycle]) ** 2`` for integer ``0 <= k <= lengths[cycle]``:
    :func:`sin2_quarter` for cycles of different lengths (SGDR with ``cycle_mult``).

    In plain float32 each cycle shorter than 2**24 steps gets its own digit tables, stored
    end to end; longer cycles (where a float32 step is no longer exact) use ``sin`` directly,
    a few ulps off. An ``extended`` namespace takes three digits of ``k`` for every cycle
    that starts within int32 steps (:func:`_sin2_digits`, tables end to end too), and ``sin``
    only past them (NumPy's int64 steps beyond 2**31).

    A cycle longer than ``xp.int_max`` (SGDR's ``first_cycle * cycle_mult ** i`` in int32
    steps) is evaluated from its true length, a float table: the caller's remaining steps,
    computed from the length clipped to ``int_max``, still pick the right half of the cycle
    as long as it starts at or after ``int_max / 2`` (every step reached is then in its
    first half). One that starts earlier is refused with ``ConfigError`` when the formula
    is traced, that is when an adapter builds the schedule for that namespace.
    """
    np = _np()
    _check_cycles_fit(xp, lengths)
    length = xp.take(np.minimum(np.asarray(lengths, dtype=np.int64), xp.int_max), cycle)
    k = xp.minimum(xp.maximum(k, 0), length)
    if xp.extended:
        return _sin2_cycles_in_digits(xp, k, cycle, lengths)
    direct = _sin2_direct(xp, k, cycle, lengths)
    if xp.bits == 64:
        return direct
    tabled = tuple(n for n in lengths if n < _SIN_LEVEL_LIMIT)
    if not tabled:
        return direct
    sin2_a, cos_2a, half_sin_2a, sin2_b, sin_2b, bases, hi_at, lo_at = _cycle_tables(tabled)
    last = len(tabled) - 1
    index = xp.minimum(cycle, last)
    base = xp.take(bases, index)
    hi = xp.floordiv(k, base)
    lo = k - hi * base
    hi = xp.minimum(hi + xp.take(hi_at, index), len(sin2_a) - 1)
    lo = xp.minimum(lo + xp.take(lo_at, index), len(sin2_b) - 1)
    value = (xp.take(sin2_a, hi) + xp.take(sin2_b, lo) * xp.take(cos_2a, hi)) + xp.take(
        half_sin_2a, hi
    ) * xp.take(sin_2b, lo)
    return xp.where(cycle <= last, value, direct)


def _sin2_direct(xp: Namespace, k: Array, cycle: Array, lengths: Sequence[int]) -> Array:
    """``sin(k * (pi/2) / length) ** 2`` in the namespace's floats (float64: the reference)."""
    true_length = xp.take(_np().asarray(lengths, dtype=_np().float64), cycle)
    direct_sin = xp.sin(xp.to_float(k) * (math.pi / 2) / true_length)
    return direct_sin * direct_sin


def _sin2_cycles_in_digits(xp: Namespace, k: Array, cycle: Array, lengths: Sequence[int]) -> Array:
    """:func:`sin2_quarter_cycles` in pairs: three digits of ``k`` in each cycle's base."""
    reach = _digit_cycles(tuple(lengths))
    tables, bases, kmaxes, at = _cycle_digit_tables(reach)
    last = len(reach) - 1
    index = xp.minimum(cycle, last)
    # NumPy's int64 steps go past int32's reach, and past the tables: ``sin`` there
    beyond = xp.int_max > _DIGITS_REACH
    inside = (cycle <= last) & (k <= xp.take(kmaxes, index)) if beyond else None
    digits = xp.where(inside, k, 0) if beyond else k
    high, middle, low = _three_digits(xp, digits, xp.take(bases, index))
    value = _sin2_digits(
        xp,
        tables,
        high + xp.take(at[0], index),
        middle + xp.take(at[1], index),
        low + xp.take(at[2], index),
    )
    if not beyond:
        return value
    return xp.where(inside, value, _sin2_direct(xp, k, cycle, lengths))


def _three_digits(xp: Namespace, k: Array, base: Any) -> tuple[Array, Array, Array]:
    """``k == high * base**2 + middle * base + low`` with digits in ``[0, base)`` (integers)."""
    square = base * base
    high = xp.floordiv(k, square)
    rest = k - high * square
    middle = xp.floordiv(rest, base)
    return high, middle, rest - middle * base


def _sin2_digits(xp: Namespace, tables: tuple[Any, ...], a: Array, b: Array, c: Array) -> Wide:
    """``sin(A + B + C) ** 2`` from digit tables of the angles (index ``a``, ``b``, ``c``), in
    pairs: ``sin(A + D)**2 == sin(A)**2 + sin(D)**2 cos(2A) + sin(2A) sin(2D) / 2`` with
    ``D = B + C`` by the same rule, ``sin(2D) == sin(2B) cos(2C) + cos(2B) sin(2C)``: all
    terms non-negative for angles up to pi/4 (no cancellation), ~2**-46 relative.
    """
    sin2_a, cos_2a, half_sin_2a = (take_wide(xp, t, a) for t in tables[0:3])
    sin2_b, cos_2b, sin_2b = (take_wide(xp, t, b) for t in tables[3:6])
    sin2_c, cos_2c, sin_2c = (take_wide(xp, t, c) for t in tables[6:9])
    half_sin_2c = Wide(xp, sin_2c.hi * 0.5, sin_2c.lo * 0.5)  # exact
    sin2_d = sin2_b + sin2_c * cos_2b + sin_2b * half_sin_2c
    sin_2d = sin_2b * cos_2c + cos_2b * sin_2c
    result: Wide = sin2_a + sin2_d * cos_2a + half_sin_2a * sin_2d
    return result


@functools.lru_cache(maxsize=256)
def _sin_digit_tables(length: float, offset: float, kmax: int) -> tuple[tuple[Any, ...], int]:
    """Tables of :func:`_sin2_digits` for ``k = a * base**2 + b * base + c <= kmax`` and the
    angle ``pi/2 * (k + offset) / length``, each to float64's last bit (angles and ``sin`` in
    long double where NumPy has it: a float64 angle alone would be 2**-53 off)."""
    np = _np()
    wide = np.longdouble
    base = 2
    while base**3 <= kmax:
        base += 1
    alpha = 2 * np.arctan(wide(1)) / wide(length)  # pi/2 / length
    # a negative offset goes into C, as in _sin_tables (into B there)
    a_offset, c_offset = (offset, 0.0) if offset >= 0 else (0.0, offset)
    a = alpha * (np.arange(kmax // base**2 + 1, dtype=wide) * base**2 + wide(a_offset))
    b = alpha * (np.arange(min(base, kmax // base + 1), dtype=wide) * base)
    c = alpha * (np.arange(min(base, kmax + 1), dtype=wide) + wide(c_offset))
    tables = (
        np.sin(a) ** 2,
        np.cos(2 * a),
        np.sin(2 * a) / 2,
        np.sin(b) ** 2,
        np.cos(2 * b),
        np.sin(2 * b),
        np.sin(c) ** 2,
        np.cos(2 * c),
        np.sin(2 * c),
    )
    return tuple(t.astype(np.float64) for t in tables), base


def _digit_cycles(lengths: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """``(length, kmax)`` of each cycle that starts within int32 steps, ``kmax`` the largest
    ``min(done, remaining)`` a step up to 2**31 - 1 reaches in it."""
    out, begin = [], 0
    for n in lengths:
        if begin > _DIGITS_REACH:
            break
        out.append((n, min(n // 2, _DIGITS_REACH - begin)))
        begin += n
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _cycle_digit_tables(
    reach: tuple[tuple[int, int], ...],
) -> tuple[tuple[Any, ...], Any, Any, tuple[Any, ...]]:
    """:func:`_sin_digit_tables` of each cycle, end to end: the joined tables, each cycle's
    base and ``kmax``, and where its rows start in the ``a``, ``b`` and ``c`` tables."""
    np = _np()
    parts = [_sin_digit_tables(float(n), 0.0, kmax) for n, kmax in reach]
    joined = tuple(np.concatenate([p[0][i] for p in parts]) for i in range(9))
    # one table of each level gives its row counts
    at = [_row_starts([len(p[0][first]) for p in parts]) for first in (0, 3, 6)]
    bases = np.asarray([p[1] for p in parts], dtype=np.int64)
    kmaxes = np.asarray([kmax for _, kmax in reach], dtype=np.int64)
    return joined, bases, kmaxes, tuple(at)


def _check_cycles_fit(xp: Namespace, lengths: Sequence[int]) -> None:
    """Refuse a cycle longer than ``xp.int_max`` that starts before ``int_max / 2``.

    Its steps reach past its middle, where the caller's remaining steps (clipped to
    ``int_max``) would pick the wrong half. Only the last cycle a step of ``xp`` reaches
    can be that long: any cycle after it starts beyond ``int_max``.
    """
    begin = 0
    for i, n in enumerate(lengths):
        if begin > xp.int_max:
            return
        if n > xp.int_max and 2 * begin < xp.int_max:
            mult = lengths[1] // lengths[0] if len(lengths) > 1 and lengths[0] else None
            raise ConfigError(
                "cycle_mult",
                f"cycles that fit the int{xp.bits} steps of {xp.name}: cycle {i} starts at step "
                f"{begin} and lasts {n} steps, beyond {xp.int_max} (a cycle that long must start "
                f"at step {(xp.int_max + 1) // 2} or later)",
                mult,
                hint="evaluate with 64-bit steps (JAX: turn on jax_enable_x64), "
                "or pick first_cycle and cycle_mult so that it does not happen",
            )
        begin += n


@functools.lru_cache(maxsize=64)
def _cycle_tables(lengths: tuple[int, ...]) -> tuple[Any, ...]:
    np = _np()
    parts: list[tuple[Any, ...]] = [_sin_tables(float(n), 0.0, n) for n in lengths]
    bases = np.asarray([p[5] for p in parts], dtype=np.int64)
    hi_at = _row_starts([len(p[0]) for p in parts])
    lo_at = _row_starts([len(p[3]) for p in parts])
    joined = [np.concatenate([p[i] for p in parts]) for i in range(5)]
    return (*joined, bases, hi_at, lo_at)


def _row_starts(sizes: Sequence[int]) -> Any:
    """Where each of tables stored end to end starts (int64): 0, then the running sizes."""
    np = _np()
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def _low_part(table: Any) -> Any:
    """``table - float32(table)`` (float64): the low half of a float pair table."""
    np = _np()
    return table - table.astype(np.float32).astype(np.float64)


class Wide:
    """A double-float value of an ``extended`` float32 namespace: ``hi + lo`` with
    ``hi == float32(hi + lo)``, about 48 significant bits (SPEC 7: float32-only backends
    give float32(reference) at every step).

    :func:`fraction` and :func:`sin2_quarter` return one; ``+ - * /`` with Python floats,
    arrays and other pairs keep it a pair, and so does :func:`square_root`, so a formula's
    ``end + (start - end) * part`` runs in double-float and its float32 result is ``hi``
    (:meth:`astype`), the float32 nearest the pair. Powers go through
    :func:`power` / :func:`one_minus_pow` (pairs too). Anything else (the namespace's own
    ``sqrt``, comparisons) takes ``hi``, as plain float32 arithmetic would.

    The arithmetic is error-free transformations that survive XLA's rewrites: TwoSum has
    no multiplication for a contraction to fuse; a product's error comes from exact
    partial products of 12-bit halves (:meth:`Namespace.split`, a bit mask), so a
    contracted ``fma`` of one rounds as written (LLVM contracts across XLA's optimization
    barriers too, so no rounded product ``a * b`` may meet its own partial products:
    Dekker's form with ``a * b`` behind a barrier was 1 ulp off at 126 steps under
    ``vmap``); there is no division by a constant at
    run time (``x / c`` is ``x * pair(1 / c)``, which XLA cannot rewrite); a quotient or a
    root of traced values is a float32 first guess plus one correction from an exact
    residual; constants are :meth:`Namespace.opaque`.
    """

    __slots__ = ("hi", "lo", "xp")
    # NumPy arrays and scalars defer to Wide's reflected operators (``amp * pair`` with a
    # NumPy float32 ``amp`` would otherwise try float() on the pair)
    __array_ufunc__ = None

    def __init__(self, xp: Namespace, hi: Array, lo: Array) -> None:
        self.xp, self.hi, self.lo = xp, hi, lo

    @classmethod
    def from_int(cls, xp: Namespace, k: Array) -> Wide:
        """An integer step array (``0 <= k <= int_max``) as an exact pair."""
        low = xp.mod(k, 4096)
        return cls(xp, *_fast_two_sum(xp.to_float(k - low), xp.to_float(low)))

    def _pair(self, other: Any) -> tuple[Array, Array]:
        if isinstance(other, Wide):
            return other.hi, other.lo
        if isinstance(other, (int, float)):
            return self.xp.pair(float(other))
        return self.xp.to_float(other), self.xp.to_float(other) * 0.0

    def __add__(self, other: Any) -> Wide:
        ohi, olo = self._pair(other)
        s, e = _two_sum(self.hi, ohi)
        return Wide(self.xp, *_fast_two_sum(s, e + (self.lo + olo)))

    __radd__ = __add__

    def __neg__(self) -> Wide:
        return Wide(self.xp, -self.hi, -self.lo)

    def __sub__(self, other: Any) -> Wide:
        ohi, olo = self._pair(other)
        return self + Wide(self.xp, -ohi, -olo)

    def __rsub__(self, other: Any) -> Wide:
        return (-self).__add__(other)

    def __mul__(self, other: Any) -> Wide:
        ohi, olo = self._pair(other)
        p, e = _two_prod(self.xp, self.hi, ohi)
        return Wide(self.xp, *_fast_two_sum(p, e + (self.hi * olo + self.lo * ohi)))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Wide:
        if isinstance(other, (int, float)):
            return self * (1.0 / float(other))  # no division by a constant at run time
        return _divide(self, as_wide(self.xp, other))

    def __rtruediv__(self, other: Any) -> Wide:
        return _divide(as_wide(self.xp, other), self)

    def sqrt(self) -> Wide:
        """``sqrt(hi + lo)`` as a pair: the float32 root ``s`` plus one Newton step,
        ``(x - s*s) / (2 s)``, whose residual is exact (``s*s`` by :func:`_two_prod`), so a
        root a few ulps off (an approximate ``sqrt`` on an accelerator) is corrected too."""
        xp = self.xp
        s = xp.sqrt(self.hi)
        residual = self - Wide(xp, *_two_prod(xp, s, s))
        # 2 s >= 2**-73 for any positive float32 x: the floor only turns 0 / 0 into 0
        return Wide(xp, *_fast_two_sum(s, residual.hi / xp.maximum(s + s, 2.0**-126)))

    def __lt__(self, other: Any) -> Array:
        return self.hi < narrow(other)

    def __le__(self, other: Any) -> Array:
        return self.hi <= narrow(other)

    def __gt__(self, other: Any) -> Array:
        return self.hi > narrow(other)

    def __ge__(self, other: Any) -> Array:
        return self.hi >= narrow(other)

    @property
    def shape(self) -> Any:
        return self.hi.shape

    @property
    def dtype(self) -> Any:
        return self.hi.dtype

    def astype(self, dtype: Any) -> Array:
        """The float32 nearest the pair (``hi``), cast to ``dtype``."""
        return self.hi.astype(dtype)

    def __repr__(self) -> str:
        return f"Wide({self.hi!r}, {self.lo!r})"


def narrow(x: Any) -> Any:
    """A :class:`Wide` as its float32 ``hi`` (the float32 nearest the pair); anything else
    unchanged. Adapters narrow what :meth:`Schedule.evaluate` returns before it leaves the
    trace."""
    return x.hi if isinstance(x, Wide) else x


def host_pair(value: float) -> tuple[Any, Any]:
    """``value`` as two NumPy float32 numbers, ``hi = float32(value)`` and the float32 of the
    rest (their sum is ``value`` to ~2**-48): the halves every namespace's pairs start from."""
    np = _np()
    hi = np.float32(value)
    return hi, np.float32(value - float(hi))


def as_wide(xp: Namespace, a: Any) -> Wide:
    """A pair, a Python number (its nearest pair) or a float32 array (low part 0)."""
    if isinstance(a, Wide):
        return a
    if isinstance(a, (int, float)):
        return Wide(xp, *xp.pair(float(a)))
    x = xp.to_float(a)
    return Wide(xp, x, x * 0.0)


def wide_float(xp: Namespace, k: Array) -> Array:
    """``xp.to_float(k)`` for an integer array ``0 <= k <= int_max``: in an ``extended``
    namespace the exact pair (float32 is exact only below 2**24)."""
    return Wide.from_int(xp, k) if xp.extended else xp.to_float(k)


def take_wide(xp: Namespace, table: Any, index: Array) -> Array:
    """``xp.take`` of a float64 host table: in an ``extended`` namespace the pair of its
    float32 value and the rest (:func:`_low_part`)."""
    if not xp.extended:
        return xp.take(table, index)
    np = _np()
    if np.all(table == table[0]):
        # A lookup in a table of one value is a constant to XLA, which then folds the
        # pair arithmetic it meets (SGDR's amplitudes with peak_decay=1 under a scalar jit
        # were 1 ulp off at 2,014 of 10,000 steps): the value as an opaque pair instead.
        return filled(xp, xp.minimum(index, 0), float(table[0]))
    return Wide(xp, xp.take(table, index), xp.take(_low_part(table), index))


def filled(xp: Namespace, like: Array, value: float) -> Array:
    """``value`` at every step of ``like``: :meth:`Namespace.fill`, and in an ``extended``
    namespace the pair nearest ``value`` where float32 does not hold it (a constant that
    later meets a product or a sum must keep its ~48 bits, like every other value)."""
    out = xp.fill(like, value)
    if not xp.extended or float(_np().float32(value)) == value:
        return out
    hi, lo = xp.pair(value)
    zero = xp.fill(like, 0.0)
    return Wide(xp, zero + hi, zero + lo)


def square_root(xp: Namespace, x: Array) -> Array:
    """``xp.sqrt(x)``; a :class:`Wide` pair's root is a pair (:meth:`Wide.sqrt`)."""
    return x.sqrt() if isinstance(x, Wide) else xp.sqrt(x)


def wide_where(xp: Namespace, cond: Array, a: Any, b: Any) -> Wide:
    """``where`` on pairs: the namespaces' ``where`` once either side is a :class:`Wide`."""
    a, b = as_wide(xp, a), as_wide(xp, b)
    return Wide(xp, xp.where(cond, a.hi, b.hi), xp.where(cond, a.lo, b.lo))


def _below(a: Wide, b: Wide) -> Array:
    return (a.hi < b.hi) | ((a.hi == b.hi) & (a.lo < b.lo))


def wide_minimum(xp: Namespace, a: Any, b: Any) -> Wide:
    a, b = as_wide(xp, a), as_wide(xp, b)
    return wide_where(xp, _below(a, b), a, b)


def wide_maximum(xp: Namespace, a: Any, b: Any) -> Wide:
    a, b = as_wide(xp, a), as_wide(xp, b)
    return wide_where(xp, _below(a, b), b, a)


def _divide(a: Wide, b: Wide) -> Wide:
    """``a / b`` as a pair: the float32 quotient ``q`` plus ``(a - q b) / b``, with the
    residual exact (``q b`` by :func:`_two_prod`): right to about 2**-46 even where ``q``
    is a few ulps off (an approximate division on an accelerator)."""
    xp = a.xp
    q = a.hi / b.hi
    p, e = _two_prod(xp, q, b.hi)
    residual = a - Wide(xp, *_fast_two_sum(p, e + q * b.lo))
    return Wide(xp, *_fast_two_sum(q, residual.hi / b.hi))


def _two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """TwoSum for ``|a| >= |b|`` (or ``a == 0``)."""
    s = a + b
    return s, b - (s - a)


def _two_prod(xp: Namespace, a: Array, b: Array) -> tuple[Array, Array]:
    """``a * b`` as a pair, summed from the exact products of 12-bit halves."""
    a1, a2 = xp.split(a)
    b1, b2 = xp.split(b)
    s, e1 = _two_sum(a1 * b1, a1 * b2)
    s, e2 = _two_sum(s, a2 * b1)
    return _fast_two_sum(s, (e1 + e2) + a2 * b2)


def exp_steps(xp: Namespace, k: Array, log_rate: float, scale: float, kmax: int) -> Array:
    """``scale * exp(log_rate * k)`` for integer ``0 <= k``, ``k`` clamped at ``kmax``.

    In float32 the exponential is a product of two or three host-computed digit tables:
    a float32 ``exp`` of a rounded argument would be off by ``|log_rate * k|`` ulps (in an
    ``extended`` namespace, a product of float pairs).
    """
    if scale == 0.0 or log_rate == 0.0:
        return filled(xp, k, scale)
    if log_rate < 0:
        # Past this the float64 value is zero: clamping there keeps the tables small.
        kmax = min(kmax, int(min(800.0 / -log_rate, kmax)) + 1)
    k = xp.maximum(clamp_steps(xp, k, kmax), 0)
    if xp.bits == 64:
        return scale * xp.exp(xp.to_float(k) * log_rate)
    tables, base = _exp_tables(float(log_rate), float(scale), int(kmax))
    result = None
    rest = k
    for level, table in enumerate(tables):
        last = level == len(tables) - 1
        digit = rest if last else xp.mod(rest, base)
        factor = take_wide(xp, table, digit)
        result = factor if result is None else result * factor
        if not last:
            rest = xp.floordiv(rest, base)
    return result


@functools.lru_cache(maxsize=256)
def _exp_tables(log_rate: float, scale: float, kmax: int) -> tuple[tuple[Any, ...], int]:
    np = _np()
    levels = 1
    while (kmax + 1) > 2048**levels:
        levels += 1
    base = math.ceil((kmax + 1) ** (1.0 / levels))
    while base**levels <= kmax:
        base += 1
    tables = []
    for level in range(levels):
        unit = base**level
        count = base if level < levels - 1 else kmax // unit + 1
        digits = np.arange(count, dtype=np.float64) * float(unit)
        table = np.exp(digits * log_rate)
        if level == 0:
            table = table * scale
        tables.append(table)
    return tuple(tables), base
