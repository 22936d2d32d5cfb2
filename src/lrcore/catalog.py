"""The catalog: one small class per schedule, each with its formula once.

Every class is a frozen dataclass; its docstring gives the value at step ``t`` and an
example. ``t`` is an integer number of applied updates (see SPEC section 3).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from typing import Any

from ._errors import ConfigError
from ._interpolation import anneal
from ._namespace import (
    Array,
    Namespace,
    _np,
    clamp_steps,
    count_reached,
    exp_steps,
    filled,
    fits,
    fraction,
    one_minus_pow,
    power,
    sin2_quarter,
    sin2_quarter_cycles,
    square_root,
    take_wide,
    wide_float,
)
from ._params import MAX_FLOAT, Boundaries, Choice, Count, Flag, Integer, Rate, Rates, Real, Steps, param
from ._schedule import Schedule
from .precision import powered_ulps


def _int_table(xp: Namespace, values: Any) -> Any:
    np = _np()
    return np.minimum(np.asarray(values, dtype=np.int64), xp.int_max)


def _rising(xp: Namespace, low: float, high: float) -> bool:
    """Whether a curve from ``low`` up to ``high`` takes its rising float32 form.

    ``end + (start - end) * w`` subtracts nearly equal numbers where ``w`` is near 1 and
    ``start < end``: near a small ``start``, thousands of float32 ulps; in float pairs it
    keeps ~2**-48 of ``end``, not of the value, which near a ``start`` 10**5 times smaller is
    ~2**-31 of it (randomly drawn rising tanh curves: 36 steps in 480,000 off
    float32(reference), 1 from the nearer end), and a powered ``x ** p`` is right to 2**-47
    of 1, not of ``1 - x ** p``. A rising curve is evaluated from the end its value is nearer
    (``start + (end - start) * (1 - w)`` while ``w >= 1/2``), with ``1 - w`` computed
    directly. The float64 reference keeps its one form (the torch adapter and the goldens
    pin its bits).
    """
    return xp.bits == 32 and low < high


def _from_nearer_end(xp: Namespace, start: float, end: float, weight: Array, rest: Array) -> Array:
    """``end + (start - end) * weight`` for ``start < end``, given ``rest == 1 - weight``
    (both accurate): from ``start`` while ``weight >= 1/2``, else from ``end``."""
    rise = end - start
    return xp.where(weight >= 0.5, start + rise * rest, end - rise * weight)


class Constant(Schedule):
    """``value`` at every step.

    >>> lrcore.constant(value=0.1)(123)
    0.1
    """

    type = "constant"
    value: float = param(Rate())

    def formula(self, t: Array, xp: Namespace) -> Array:
        return filled(xp, t, self.value)

    @property
    def horizon(self) -> int | None:
        return 0


class Linear(Schedule):
    """``start + (end - start) * t / steps``, then ``end``.

    >>> lrcore.linear(start=0.0, end=1.0, steps=4)(1)
    0.25
    """

    type = "linear"
    start: float = param(Rate())
    end: float = param(Rate())
    steps: int = param(Steps())

    def formula(self, t: Array, xp: Namespace) -> Array:
        t = clamp_steps(xp, t, self.steps)
        return anneal(xp, "linear", self.start, self.end, t, self.steps - t, self.steps, clamped=True)

    @property
    def horizon(self) -> int | None:
        return self.steps


class Polynomial(Schedule):
    """``(start - end) * (1 - t / steps) ** power + end`` (Keras PolynomialDecay).

    With ``cycle=True`` the horizon is the first multiple of ``steps`` not below ``t``
    (``steps`` at ``t == 0``), as in Keras; otherwise the value holds ``end`` after
    ``steps``.

    >>> lrcore.polynomial(start=1.0, end=0.0, steps=10, power=2.0)(5)
    0.25
    """

    type = "polynomial"
    start: float = param(Rate())
    end: float = param(Rate())
    steps: int = param(Steps())
    power: float = param(Real(min=0.0, min_open=True), 1.0)
    cycle: bool = param(Flag(), False)

    def formula(self, t: Array, xp: Namespace) -> Array:
        if self.cycle:
            cycles = xp.floordiv(t, self.steps)
            into = xp.mod(t, self.steps)
            # horizon = steps * ceil(t / steps); remaining = horizon - t
            remaining = xp.where(into > 0, self.steps - into, xp.where(t > 0, 0, self.steps))
            reached = xp.where(into > 0, cycles + 1, xp.maximum(cycles, 1))
            horizon = wide_float(xp, reached) * float(self.steps)
            x = wide_float(xp, remaining) / horizon
        else:
            t = clamp_steps(xp, t, self.steps)
            x = fraction(xp, self.steps - t, self.steps)
        if self.power == 1.0:
            shaped = x
        elif self.power == 2.0:
            shaped = x * x
        else:
            shaped = power(xp, x, self.power)
        if _rising(xp, self.start, self.end):
            # 1 - x == t / horizon (horizon - remaining == t); past the first half of the
            # first cycle x <= 1/2 and 1 - x is exact enough as it is.
            if self.cycle:
                rest = xp.where(x > 0.5, xp.to_float(xp.minimum(t, self.steps)) / horizon, 1.0 - x)
            else:
                rest = fraction(xp, t, self.steps)
            return _from_nearer_end(xp, self.start, self.end, shaped, one_minus_pow(xp, x, rest, self.power))
        return (self.start - self.end) * shaped + self.end

    @property
    def horizon(self) -> int | None:
        return None if self.cycle else self.steps

    def float32_ulps(self) -> int:
        return powered_ulps(self.power)


class Cosine(Schedule):
    """``end + (start - end) * (0.5 * (1 + cos(pi * t / steps))) ** exponent``, then ``end``.

    >>> round(lrcore.cosine(start=1.0, end=0.0, steps=100)(50), 12)
    0.5
    """

    type = "cosine"
    start: float = param(Rate())
    end: float = param(Rate())
    steps: int = param(Steps())
    exponent: float = param(Real(min=0.0, min_open=True), 1.0)

    def formula(self, t: Array, xp: Namespace) -> Array:
        t = clamp_steps(xp, t, self.steps)
        if self.exponent == 1.0:
            return anneal(xp, "cosine", self.start, self.end, t, self.steps - t, self.steps, clamped=True)
        # (1 + cos(pi t / steps)) / 2 from the nearer end: 1 - sin^2 of the steps done in
        # the first half, sin^2 of the remaining steps in the second.
        remaining = self.steps - t
        first_half = t <= remaining
        part = sin2_quarter(xp, xp.where(first_half, t, remaining), self.steps, kmax=self.steps, clamped=True)
        shaped = xp.where(first_half, 1.0 - part, part)
        if self.exponent == 2.0:
            powered = shaped * shaped
        else:
            powered = power(xp, shaped, self.exponent)
        if _rising(xp, self.start, self.end):
            rest = xp.where(first_half, part, 1.0 - part)  # 1 - shaped
            lifted = one_minus_pow(xp, shaped, rest, self.exponent)
            return _from_nearer_end(xp, self.start, self.end, powered, lifted)
        return self.end + (self.start - self.end) * powered

    @property
    def horizon(self) -> int | None:
        return self.steps

    def float32_ulps(self) -> int:
        return powered_ulps(self.exponent)

    def periodic(self, t: Array, xp: Namespace) -> Array:
        # The formula's cosine keeps going past `steps` (torch's CosineAnnealingLR does):
        # cos is even and 2*steps-periodic, so that is the curve mirrored back and forth.
        period = 2 * self.steps
        into = xp.mod(t, period) if fits(xp, period) else t
        mirrored = xp.where(into <= self.steps, into, period - into) if fits(xp, period) else into
        return self.formula(mirrored, xp)


class Exponential(Schedule):
    """``start * rate ** ((t - begin) / steps)``, ``start`` before ``begin``.

    With ``staircase`` the exponent is floored, ``(t - begin) // steps``. ``bound`` is a
    floor when ``rate < 1`` and a ceiling when ``rate > 1`` (a growing schedule must
    have one). Keras ExponentialDecay is ``begin=0``; optax exponential_decay's
    ``transition_begin``/``end_value`` are ``begin``/``bound``.

    >>> lrcore.exponential(start=0.1, rate=0.5, steps=10, staircase=True)(25)
    0.025
    """

    type = "exponential"
    start: float = param(Rate())
    rate: float = param(Real(min=0.0, min_open=True))
    steps: int = param(Steps(), 1)
    staircase: bool = param(Flag(), False)
    begin: int = param(Count(), 0)
    bound: float | None = param(Rate(), None)

    def check(self) -> None:
        if self.rate > 1.0 and self.bound is None:
            raise ConfigError(
                "bound", "a ceiling when rate > 1 (the learning rate would grow without limit)", None
            )
        if self.bound is not None:
            if self.rate < 1.0 and self.bound > self.start:
                raise ConfigError("bound", f"a floor <= start ({self.start}) since rate < 1", self.bound)
            if self.rate > 1.0 and self.bound < self.start:
                raise ConfigError("bound", f"a ceiling >= start ({self.start}) since rate > 1", self.bound)

    def formula(self, t: Array, xp: Namespace) -> Array:
        if not fits(xp, self.begin):
            return filled(xp, t, self.start)
        elapsed = xp.maximum(t - self.begin, 0)
        log_rate = math.log(self.rate)
        if self.staircase:
            k = xp.floordiv(elapsed, self.steps)
        else:
            k = elapsed
            log_rate /= self.steps
        kmax = xp.int_max
        if self.bound is not None and self.bound > 0 and log_rate != 0.0:
            # Beyond the step where the bound takes over, the exponent no longer matters.
            kmax = (
                min(kmax, int(math.log(self.bound / self.start) / log_rate) + 2) if self.start > 0 else kmax
            )
        value = exp_steps(xp, k, log_rate, self.start, kmax)
        if self.bound is None:
            return value
        return xp.maximum(value, self.bound) if self.rate < 1.0 else xp.minimum(value, self.bound)

    def breakpoints(self) -> list[int]:
        # The first ten stairs (as cosine_restarts lists its first ten cycles), none past the bound.
        if not self.staircase:
            return [self.begin] if self.begin > 0 else []
        if self.rate == 1.0:  # a flat staircase has no stairs (and log(rate) is 0)
            return []
        stairs = range(1, 11)
        if self.bound is not None and self.start > 0 and self.bound > 0:
            last = math.ceil(math.log(self.bound / self.start) / math.log(self.rate))
            stairs = range(1, min(11, last + 1))
        return [self.begin + k * self.steps for k in stairs]


class Step(Schedule):
    """``start * gamma ** (t // step_size)`` (torch StepLR).

    >>> lrcore.step(start=0.01, gamma=0.1, step_size=5)(7)
    0.001
    """

    type = "step"
    start: float = param(Rate())
    gamma: float = param(Real(min=0.0, max=1.0, min_open=True))
    step_size: int = param(Steps())

    def formula(self, t: Array, xp: Namespace) -> Array:
        return exp_steps(xp, xp.floordiv(t, self.step_size), math.log(self.gamma), self.start, xp.int_max)

    def breakpoints(self) -> list[int]:
        return [] if self.gamma == 1.0 else [k * self.step_size for k in range(1, 11)]


class Multistep(Schedule):
    """``start * gamma ** (number of milestones <= t)`` (torch MultiStepLR).

    >>> lrcore.multistep(start=1.0, milestones=[2, 4], gamma=0.5)(4)
    0.25
    """

    type = "multistep"
    start: float = param(Rate())
    milestones: tuple[int, ...] = param(Boundaries(min=1, nonempty=True))
    gamma: float = param(Real(min=0.0, max=1.0))

    def formula(self, t: Array, xp: Namespace) -> Array:
        np = _np()
        levels = self.start * np.power(self.gamma, np.arange(len(self.milestones) + 1, dtype=np.float64))
        return take_wide(xp, levels, count_reached(xp, t, self.milestones))

    @property
    def horizon(self) -> int | None:
        return self.milestones[-1]

    def breakpoints(self) -> list[int]:
        return list(self.milestones)


class PiecewiseConstant(Schedule):
    """``values[i]`` where ``i`` is the number of ``boundaries <= t``.

    The value switches *at* a boundary, as torch's milestones do (Keras'
    PiecewiseConstantDecay switches one step later; see ``lrcore.compat.keras``).

    >>> lrcore.piecewise_constant(boundaries=[10], values=[1.0, 0.5])(10)
    0.5
    """

    type = "piecewise_constant"
    boundaries_: tuple[int, ...] = param(Boundaries(min=1), name="boundaries")
    values_: tuple[float, ...] = param(Rates(), name="values")

    def formula(self, t: Array, xp: Namespace) -> Array:
        np = _np()
        return take_wide(
            xp, np.asarray(self.values_, dtype=np.float64), count_reached(xp, t, self.boundaries_)
        )

    def check(self) -> None:
        if len(self.values_) != len(self.boundaries_) + 1:
            raise ConfigError(
                "values", f"{len(self.boundaries_) + 1} values (one more than boundaries)", list(self.values_)
            )

    @property
    def horizon(self) -> int | None:
        return self.boundaries_[-1] if self.boundaries_ else 0

    def breakpoints(self) -> list[int]:
        return list(self.boundaries_)


class PiecewiseLinear(Schedule):
    """Linear interpolation through the points ``(boundaries[i], values[i])``, held
    flat before the first and after the last point.

    >>> lrcore.piecewise_linear(boundaries=[0, 10, 20], values=[0.0, 1.0, 0.0])(15)
    0.5
    """

    type = "piecewise_linear"
    boundaries_: tuple[int, ...] = param(Boundaries(nonempty=True), name="boundaries")
    values_: tuple[float, ...] = param(Rates(), name="values")

    def check(self) -> None:
        if len(self.values_) != len(self.boundaries_):
            raise ConfigError(
                "values", f"{len(self.boundaries_)} values (one per boundary)", list(self.values_)
            )

    def formula(self, t: Array, xp: Namespace) -> Array:
        np = _np()
        b = np.asarray(self.boundaries_, dtype=np.int64)
        v = np.asarray(self.values_, dtype=np.float64)
        if len(b) == 1:
            return filled(xp, t, float(v[0]))
        segment = xp.minimum(count_reached(xp, t, self.boundaries_[1:-1]), len(b) - 2)
        lo = xp.take(_int_table(xp, b[:-1]), segment)
        length = xp.take(_int_table(xp, np.diff(b)), segment)
        done = xp.minimum(xp.maximum(t - lo, 0), length)
        remaining = length - done
        flen = wide_float(xp, length)
        rise = take_wide(xp, np.diff(v), segment)
        near_lo = take_wide(xp, v[:-1], segment) + rise * (wide_float(xp, done) / flen)
        near_hi = take_wide(xp, v[1:], segment) - rise * (wide_float(xp, remaining) / flen)
        return xp.where(done <= remaining, near_lo, near_hi)

    @property
    def horizon(self) -> int | None:
        return self.boundaries_[-1]

    def breakpoints(self) -> list[int]:
        return list(self.boundaries_)


class InverseTime(Schedule):
    """``start / (1 + rate * t / steps)`` (floored ``t // steps`` with ``staircase``).

    >>> lrcore.inverse_time(start=1.0, rate=1.0, steps=10)(10)
    0.5
    """

    type = "inverse_time"
    start: float = param(Rate())
    rate: float = param(Real(min=0.0))
    steps: int = param(Steps())
    staircase: bool = param(Flag(), False)

    def formula(self, t: Array, xp: Namespace) -> Array:
        if self.staircase:
            x = wide_float(xp, xp.floordiv(t, self.steps)) * self.rate
        else:
            x = wide_float(xp, t) * (self.rate / self.steps)
        return self.start / (1.0 + x)


class InverseSqrt(Schedule):
    """Linear warmup from 0 to ``peak`` over ``warmup`` steps, then
    ``peak * sqrt(timescale / (t - warmup + timescale))`` (``timescale`` defaults to
    ``warmup``).

    >>> lrcore.inverse_sqrt(peak=1.0, warmup=4)(16 - 4 + 4 - 4)  # t - warmup + 4 == 16
    0.5
    """

    type = "inverse_sqrt"
    peak: float = param(Rate())
    warmup: int = param(Count())
    timescale: int | None = param(Steps(), None)

    def check(self) -> None:
        if self.timescale is None and self.warmup == 0:
            raise ConfigError("timescale", "a positive timescale when warmup is 0", None)

    def formula(self, t: Array, xp: Namespace) -> Array:
        timescale = self.timescale if self.timescale is not None else self.warmup
        after = xp.maximum(t - self.warmup, 0) if fits(xp, self.warmup) else xp.minimum(t, 0)
        decay = self.peak * square_root(xp, timescale / (wide_float(xp, after) + float(timescale)))
        if self.warmup == 0:
            return decay
        t_in = clamp_steps(xp, t, self.warmup)
        ramp = anneal(xp, "linear", 0.0, self.peak, t_in, self.warmup - t_in, self.warmup, clamped=True)
        return xp.where(t < self.warmup, ramp, decay) if fits(xp, self.warmup) else ramp


class CosineRestarts(Schedule):
    """SGDR: cosine cycles from ``end + (start - end) * peak_decay ** i`` down to ``end``.

    Cycle ``i`` lasts ``first_cycle * cycle_mult ** i`` steps (torch
    CosineAnnealingWarmRestarts' ``T_0``/``T_mult``; Keras CosineDecayRestarts'
    ``m_mul`` is ``peak_decay``).

    >>> s = lrcore.cosine_restarts(start=1.0, end=0.0, first_cycle=10)
    >>> s(10), s(20)
    (1.0, 1.0)
    """

    type = "cosine_restarts"
    start: float = param(Rate())
    end: float = param(Rate())
    first_cycle: int = param(Steps())
    cycle_mult: int = param(Integer(min=1), 1)
    peak_decay: float = param(Real(min=0.0, max=1.0, min_open=True), 1.0)

    def formula(self, t: Array, xp: Namespace) -> Array:
        span = self.start - self.end
        if self.cycle_mult == 1:
            length = self.first_cycle
            known = xp.span(t)
            if known is not None and known[0] // length == known[1] // length:
                cycle = xp.as_int(known[0] // length)  # host steps all in one cycle: one amplitude
            else:
                cycle = xp.floordiv(t, length)
            done = xp.mod(t, length)
            remaining = length - done
            log_decay = math.log(self.peak_decay)
            amp = exp_steps(xp, cycle, log_decay, span, xp.int_max)
            # one shape evaluation, from the nearer end of the cycle (as in anneal)
            part = amp * sin2_quarter(xp, xp.minimum(done, remaining), length, clamped=True)
            top = self.end + amp
            if _rising(xp, self.start, self.end):
                # the cycle's first value, start * d**i + end * (1 - d**i): non-negative
                # terms (end + amp cancels near a small start)
                top = exp_steps(xp, cycle, log_decay, self.start, xp.int_max)
                if self.peak_decay < 1.0:
                    top = top + self.end * _one_minus_power(xp, cycle, log_decay)
            return xp.where(done <= remaining, top - part, self.end + part)
        starts, lengths, decays = _restart_tables(self.first_cycle, self.cycle_mult, self.peak_decay)
        # The last start is the int64 sentinel: the last cycle runs up to it, inclusive.
        known = xp.span(t)
        first = None if known is None else bisect.bisect_right(starts, known[0], 1, len(starts) - 1) - 1
        if known is not None and first == bisect.bisect_right(starts, known[1], 1, len(starts) - 1) - 1:
            cycle = xp.as_int(first)  # host steps all in one cycle: no per-step search or lookups
        else:
            cycle = count_reached(xp, t, starts[1:-1])
        begin = xp.take(_int_table(xp, starts[:-1]), cycle)
        length_i = xp.take(_int_table(xp, lengths), cycle)
        done = t - begin
        remaining = length_i - done
        amp = take_wide(xp, span * decays, cycle)
        part = amp * sin2_quarter_cycles(xp, xp.minimum(done, remaining), cycle, lengths)
        if _rising(xp, self.start, self.end):
            # each cycle's first value from the host, rounded once (end + amp cancels)
            top = take_wide(xp, self.end + span * decays, cycle)
        else:
            top = self.end + amp
        return xp.where(done <= remaining, top - part, self.end + part)

    def _starts(self) -> list[int]:
        return list(_cycle_starts(self.first_cycle, self.cycle_mult))

    def breakpoints(self) -> list[int]:
        if self.cycle_mult == 1:
            return [self.first_cycle * i for i in range(1, 11)]
        return self._starts()[1:11]


def _check_momentum(schedule: Cyclic | OneCycle) -> None:
    """The momentum fields of ``cyclic`` and ``one_cycle``: ``base <= max``, and a momentum
    curve carries no momentum side of its own."""
    if schedule.base_momentum > schedule.max_momentum:
        raise ConfigError(
            "base_momentum", f"a value <= max_momentum ({schedule.max_momentum})", schedule.base_momentum
        )
    if schedule.cycle_momentum and schedule.curve == "momentum":
        raise ConfigError(
            "cycle_momentum",
            "false where curve is 'momentum' (that schedule is itself the momentum side)",
            schedule.cycle_momentum,
        )


def _momentum_side(schedule: Cyclic | OneCycle) -> dict[str, Schedule]:
    """``hyperparameters()`` of ``cyclic`` and ``one_cycle``: with ``cycle_momentum``, the same
    schedule with ``curve="momentum"`` under the key ``"momentum"``."""
    if not schedule.cycle_momentum:
        return {}
    fields = {p.key: getattr(schedule, p.attr) for p in schedule._fields}
    fields |= {"cycle_momentum": False, "curve": "momentum"}
    return {"momentum": type(schedule)(**fields)}


_DIGIT = 1 << 11  # the digit base of _one_minus_power's tables


@functools.lru_cache(maxsize=64)
def _power_digit_tables(log_rate: float, kmax: int) -> tuple[tuple[Any, Any], ...]:
    """Per base-2048 digit ``d`` of the step at level ``i``: ``exp(log_rate * d * 2048**i)`` and
    ``-expm1(...)`` (its distance to 1), in float64 on the host."""
    np = _np()
    levels, span = [], 1
    while True:
        size = min(_DIGIT, kmax // span + 1)
        x = np.arange(size, dtype=np.float64) * (log_rate * span)
        levels.append((np.exp(x), -np.expm1(x)))
        if size < _DIGIT or span * _DIGIT > kmax:
            return tuple(levels)
        span *= _DIGIT


def _one_minus_power(xp: Namespace, k: Array, log_rate: float) -> Array:
    """``1 - exp(log_rate * k)`` for integer ``k >= 0`` and ``log_rate < 0``, to a few ulps of
    its own value in float32 as well: from digit tables, ``1 - a b = (1 - a) + a (1 - b)``,
    a sum of non-negative terms (``1 - gamma ** k`` near 0 would cancel)."""
    kmax = min(xp.int_max, int(800.0 / -log_rate) + 1)  # exp() is 0 in float64 past this
    k = clamp_steps(xp, k, kmax)
    if xp.bits == 64:
        return 1.0 - xp.exp(xp.to_float(k) * log_rate)
    tables = _power_digit_tables(float(log_rate), int(kmax))
    digits = []
    rest = k
    for level in range(len(tables)):
        last = level == len(tables) - 1
        digits.append(rest if last else xp.mod(rest, _DIGIT))
        if not last:
            rest = xp.floordiv(rest, _DIGIT)
    result = None
    for (powers, distance), digit in reversed(list(zip(tables, digits, strict=True))):
        away = take_wide(xp, distance, digit)
        result = away if result is None else away + take_wide(xp, powers, digit) * result
    return result


# The momentum fields torch's CyclicLR and OneCycleLR take: 0 <= momentum < 1 (Adam's beta1
# must be below 1; torch checks the betas when the optimizer is built).
_MOMENTUM = Real(min=0.0, max=1.0, max_open=True)
_CURVES = Choice("lr", "momentum")


class Cyclic(Schedule):
    """torch CyclicLR: up from ``low`` to ``high`` in ``up`` steps, back in ``down``.

    ``mode``: ``triangular`` (constant amplitude), ``triangular2`` (halved every cycle),
    ``exp_range`` (amplitude times ``gamma ** t``).

    torch's momentum side: with ``cycle_momentum``, :meth:`hyperparameters` gives
    ``{"momentum": ...}``, the same schedule with ``curve="momentum"``, whose value is
    ``max_momentum - (max_momentum - base_momentum) * scale`` where the learning rate is
    ``low + (high - low) * scale`` (down while the rate goes up). torch's CyclicLR cycles
    momentum by default; here ``cycle_momentum`` defaults to false, so a config without it
    keeps its meaning (``lrcore.compat.torch.CyclicLR`` and ``from_torch`` set it as torch does).

    >>> s = lrcore.cyclic(low=0.1, high=1.0, up=10)
    >>> s(0), s(10), s(20)
    (0.1, 1.0, 0.1)
    >>> m = lrcore.cyclic(low=0.1, high=1.0, up=10, cycle_momentum=True).hyperparameters()["momentum"]
    >>> m(0), m(10), m(20)
    (0.9, 0.8, 0.9)
    """

    type = "cyclic"
    low: float = param(Rate())
    high: float = param(Rate())
    up: int = param(Steps())
    down: int | None = param(Steps(), None)
    mode: str = param(Choice("triangular", "triangular2", "exp_range"), "triangular")
    gamma: float = param(Real(min=0.0, max=1.0, min_open=True), 1.0)
    cycle_momentum: bool = param(Flag(), False)
    base_momentum: float = param(_MOMENTUM, 0.8)
    max_momentum: float = param(_MOMENTUM, 0.9)
    curve: str = param(_CURVES, "lr")

    def check(self) -> None:
        if self.high < self.low:
            raise ConfigError("high", f"a value >= low ({self.low})", self.high)
        _check_momentum(self)

    def hyperparameters(self) -> dict[str, Schedule]:
        return _momentum_side(self)

    def formula(self, t: Array, xp: Namespace) -> Array:
        down = self.down if self.down is not None else self.up
        total = self.up + down
        cycle = xp.floordiv(t, total)
        into = xp.mod(t, total)
        rising = fraction(xp, xp.minimum(into, self.up), self.up)
        falling = fraction(xp, xp.maximum(total - into, 0), down)
        shaped = xp.where(into <= self.up, rising, falling)
        if self.curve == "momentum":
            return self._momentum(xp, t, cycle, into, down, shaped)
        span = self.high - self.low
        if self.mode == "triangular":
            return self.low + span * shaped
        if self.mode == "triangular2":
            amp = exp_steps(xp, cycle, math.log(0.5), span, xp.int_max)
        else:
            amp = exp_steps(xp, t, math.log(self.gamma), span, xp.int_max)
        return self.low + amp * shaped

    def _momentum(
        self, xp: Namespace, t: Array, cycle: Array, into: Array, down: int, shaped: Array
    ) -> Array:
        """torch's ``max_momentum - (max_momentum - base_momentum) * shaped * scale``, written
        as ``base + (max - base) * ((1 - shaped) + shaped * (1 - scale))``: non-negative terms,
        so a momentum curve running down near 0 keeps its precision in float32 (``1 - shaped``
        is an exact ratio of integers). ``base + (max - base)`` can round one float64 ulp
        above ``max`` where torch's form gives ``max`` (the top of each cycle): the sum is
        held at ``max``."""
        span = self.max_momentum - self.base_momentum
        below = xp.where(
            into <= self.up,
            fraction(xp, xp.maximum(self.up - into, 0), self.up),
            fraction(xp, xp.maximum(into - self.up, 0), down),
        )
        if self.mode == "triangular" or (self.mode == "exp_range" and self.gamma == 1.0):
            return xp.minimum(self.base_momentum + span * below, self.max_momentum)
        if self.mode == "triangular2":
            shrunk = _one_minus_power(xp, cycle, math.log(0.5))
        else:
            shrunk = _one_minus_power(xp, t, math.log(self.gamma))
        return xp.minimum(self.base_momentum + span * (below + shaped * shrunk), self.max_momentum)


class OneCycle(Schedule):
    """torch OneCycleLR over ``total`` steps.

    Up from ``peak / div_factor`` to ``peak`` until step ``warmup_fraction * total - 1``,
    then down to ``peak / div_factor / final_div_factor`` at ``total - 1`` (with
    ``three_phase``, back to the initial value at ``2 * warmup_fraction * total - 2``
    first). ``anneal`` is ``cos`` or ``linear``. Phase ends are torch's float steps.

    torch's momentum side: with ``cycle_momentum``, :meth:`hyperparameters` gives
    ``{"momentum": ...}``, the same schedule with ``curve="momentum"``: over the same
    phases and anneal, from ``max_momentum`` down to ``base_momentum`` while the rate
    rises, then back up to ``max_momentum`` (with ``three_phase``, held there in the third
    phase). torch's OneCycleLR cycles momentum by default; here ``cycle_momentum`` defaults
    to false, so a config without it keeps its meaning (``lrcore.compat.torch.OneCycleLR``
    and ``from_torch`` set it as torch does).

    >>> s = lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.25, anneal="linear")
    >>> s(0), s(24)
    (0.04, 1.0)
    >>> m = lrcore.one_cycle(peak=1.0, total=100, anneal="linear", cycle_momentum=True)
    >>> m.hyperparameters()["momentum"](0), m.hyperparameters()["momentum"](99)
    (0.95, 0.95)
    """

    type = "one_cycle"
    peak: float = param(Rate())
    total: int = param(Steps(min=2))
    warmup_fraction: float = param(Real(min=0.0, max=1.0, min_open=True, max_open=True), 0.3)
    anneal: str = param(Choice("cos", "linear"), "cos")
    div_factor: float = param(Real(min=0.0, min_open=True), 25.0)
    final_div_factor: float = param(Real(min=0.0, min_open=True), 1e4)
    three_phase: bool = param(Flag(), False)
    cycle_momentum: bool = param(Flag(), False)
    base_momentum: float = param(_MOMENTUM, 0.85)
    max_momentum: float = param(_MOMENTUM, 0.95)
    curve: str = param(_CURVES, "lr")

    def hyperparameters(self) -> dict[str, Schedule]:
        return _momentum_side(self)

    def check(self) -> None:
        _check_momentum(self)
        # A tiny div_factor would push the initial (or final) rate past float range.
        initial = self.peak / self.div_factor
        if initial > MAX_FLOAT:
            raise ConfigError(
                "div_factor", f"a factor keeping peak / div_factor <= {MAX_FLOAT:.4g}", self.div_factor
            )
        if initial / self.final_div_factor > MAX_FLOAT:
            raise ConfigError(
                "final_div_factor",
                f"a factor keeping the final rate <= {MAX_FLOAT:.4g}",
                self.final_div_factor,
            )
        ends = self._phases()
        begin = 0.0
        for _, end, _, _ in ends:
            if not end > begin:
                raise ConfigError(
                    "warmup_fraction",
                    f"a fraction leaving every phase at least one step with total={self.total}",
                    self.warmup_fraction,
                )
            begin = end

    def _phases(self) -> list[tuple[float, float, float, float]]:
        """``(begin, end, from, to)`` per phase, torch's ``_schedule_phases`` for the curve."""
        if self.curve == "momentum":  # torch's start_momentum / end_momentum
            initial = final = self.max_momentum
            peak = self.base_momentum
        else:
            initial = self.peak / self.div_factor
            final = initial / self.final_div_factor
            peak = self.peak
        e1 = float(self.warmup_fraction * self.total) - 1
        last = float(self.total - 1)
        if not self.three_phase:
            return [(0.0, e1, initial, peak), (e1, last, peak, final)]
        e2 = float(2 * self.warmup_fraction * self.total) - 2
        return [(0.0, e1, initial, peak), (e1, e2, peak, initial), (e2, last, initial, final)]

    def formula(self, t: Array, xp: Namespace) -> Array:
        t = clamp_steps(xp, t, self.total - 1)
        shape = "cosine" if self.anneal == "cos" else "linear"
        phases = self._phases()
        last_steps = [math.floor(end) for _, end, _, _ in phases]
        known = xp.span(t)
        result = None
        for i in reversed(range(len(phases))):
            begin, end, a, b = phases[i]
            b_int, e_int = math.floor(begin), last_steps[i]
            # phase i holds the steps (last_steps[i - 1], e_int]; on the host, skip one no step is in
            if known is not None and (
                (i > 0 and known[1] <= last_steps[i - 1]) or (i < len(phases) - 1 and known[0] > e_int)
            ):
                continue
            value = anneal(
                xp,
                shape,
                a,
                b,
                t - b_int,
                e_int - t,
                end - begin,
                done_offset=-(begin - b_int),
                remaining_offset=end - e_int,
            )
            result = value if result is None else xp.where(t <= e_int, value, result)
        return result

    @property
    def horizon(self) -> int | None:
        return self.total - 1

    def breakpoints(self) -> list[int]:
        return [math.floor(end) for _, end, _, _ in self._phases()]


class WarmupStableDecay(Schedule):
    """Warmup from ``start`` to ``peak`` over ``warmup`` steps, hold ``peak``, then decay
    to ``end`` over the last ``decay`` of ``total`` steps (shape ``linear``, ``cosine``
    or ``1-sqrt``); ``end`` afterwards.

    >>> s = lrcore.warmup_stable_decay(peak=1.0, warmup=10, decay=10, total=100)
    >>> s(5), s(50), s(95), s(100)
    (0.5, 1.0, 0.5, 0.0)
    """

    type = "warmup_stable_decay"
    peak: float = param(Rate())
    warmup: int = param(Count())
    decay: int = param(Count())
    total: int = param(Steps())
    start: float = param(Rate(), 0.0)
    end: float = param(Rate(), 0.0)
    decay_shape: str = param(Choice("linear", "cosine", "1-sqrt"), "linear")

    def check(self) -> None:
        if self.warmup + self.decay > self.total:
            raise ConfigError(
                "warmup", f"warmup + decay <= total ({self.total}); decay is {self.decay}", self.warmup
            )

    def formula(self, t: Array, xp: Namespace) -> Array:
        value = filled(xp, t, self.peak)
        if self.decay:
            begin = self.total - self.decay
            t_end = clamp_steps(xp, t, self.total)
            done = xp.maximum(t_end - begin, 0)
            remaining = self.total - t_end
            if self.decay_shape == "1-sqrt":
                x = fraction(xp, done, self.decay)
                # 1 - sqrt(x) == (1 - x) / (1 + sqrt(x)), exact near x == 1
                root = square_root(xp, x)
                shaped = fraction(xp, remaining, self.decay) / (1.0 + root)
                if _rising(xp, self.peak, self.end):
                    decayed = _from_nearer_end(xp, self.peak, self.end, shaped, root)
                else:
                    decayed = self.end + (self.peak - self.end) * shaped
            else:
                decayed = anneal(
                    xp, self.decay_shape, self.peak, self.end, done, remaining, self.decay, clamped=True
                )
            value = xp.where(t >= begin, decayed, value)
        if self.warmup:
            t_in = clamp_steps(xp, t, self.warmup)
            ramp = anneal(
                xp, "linear", self.start, self.peak, t_in, self.warmup - t_in, self.warmup, clamped=True
            )
            value = xp.where(t < self.warmup, ramp, value)
        return value

    @property
    def horizon(self) -> int | None:
        return self.total

    def breakpoints(self) -> list[int]:
        return [self.warmup, self.total - self.decay, self.total]

    def cooldown_from(self, step: int, decay: int | None = None) -> WarmupStableDecay:
        """The same run branching into its decay at ``step`` (where a checkpoint resumes,
        the WSD practice): warmup and peak unchanged, the decay (``decay`` steps, by default
        this schedule's) starting at ``step``, so ``total = step + decay``. Equal to this
        schedule before ``step``; ``step`` must lie in the stable phase.

        >>> s = lrcore.warmup_stable_decay(peak=1.0, warmup=10, decay=20, total=1000)
        >>> c = s.cooldown_from(500)
        >>> c.total, c(499), c(510)
        (520, 1.0, 0.5)
        """
        at = Count().coerce(step, "step")
        length = self.decay if decay is None else Count().coerce(decay, "decay")
        if not self.warmup <= at <= self.total - self.decay:
            raise ConfigError(
                "step",
                f"a step in the stable phase [{self.warmup}, {self.total - self.decay}]",
                at,
            )
        config = {**self.to_config(), "decay": length, "total": at + length}
        config.pop("type")
        return WarmupStableDecay(**config)


class Tanh(Schedule):
    """timm TanhLRScheduler:
    ``end + (start - end) * (1 - tanh(lower * (1 - r) + upper * r)) / 2`` with
    ``r = t / steps``, then ``end``.

    >>> round(lrcore.tanh(start=1.0, end=0.0, steps=10, lower=-1.0, upper=1.0)(5), 12)
    0.5
    """

    type = "tanh"
    start: float = param(Rate())
    end: float = param(Rate())
    steps: int = param(Steps())
    lower: float = param(Real(), -7.0)
    upper: float = param(Real(), 3.0)

    def check(self) -> None:
        if not self.lower < self.upper:
            raise ConfigError("upper", f"a value > lower ({self.lower})", self.upper)
        if abs(self.lower) > 40 or abs(self.upper) > 40:
            raise ConfigError(
                "lower" if abs(self.lower) > 40 else "upper",
                "a bound within [-40, 40]",
                self.lower if abs(self.lower) > 40 else self.upper,
            )

    def formula(self, t: Array, xp: Namespace) -> Array:
        t = clamp_steps(xp, t, self.steps)
        remaining = self.steps - t
        # (1 - tanh(z)) / 2 == 1 / (1 + exp(2 z)), z = upper - (upper - lower) * remaining / steps
        grow = exp_steps(
            xp,
            remaining,
            -2.0 * (self.upper - self.lower) / self.steps,
            math.exp(2.0 * self.upper),
            self.steps,
        )
        if _rising(xp, self.start, self.end):
            # the weight on start is 1 / (1 + grow), on end grow / (1 + grow)
            value = _from_nearer_end(xp, self.start, self.end, 1.0 / (1.0 + grow), grow / (1.0 + grow))
        else:
            value = self.end + (self.start - self.end) / (1.0 + grow)
        return xp.where(remaining > 0, value, self.end)

    @property
    def horizon(self) -> int | None:
        return self.steps


class Table(Schedule):
    """``values[min(t, len(values) - 1)]``: a host function tabulated ahead of time.

    >>> lrcore.table(values=[0.3, 0.2, 0.1])(7)
    0.1
    """

    type = "table"
    values_: tuple[float, ...] = param(Rates(), name="values")

    def formula(self, t: Array, xp: Namespace) -> Array:
        np = _np()
        return take_wide(
            xp, np.asarray(self.values_, dtype=np.float64), clamp_steps(xp, t, len(self.values_) - 1)
        )

    @property
    def horizon(self) -> int | None:
        return len(self.values_) - 1


class Rex(Schedule):
    """REX (Chen et al., budgeted training): ``end + (start - end) * (1 - z) / (1/2 + (1 - z)/2)``
    with ``z = t / steps``, then ``end``. It stays near ``start`` longer than linear and drops
    to ``end`` at the horizon.

    >>> lrcore.rex(start=1.0, steps=100)(50)
    0.6666666666666666
    """

    type = "rex"
    start: float = param(Rate())
    end: float = param(Rate(), 0.0)
    steps: int = param(Steps())

    def formula(self, t: Array, xp: Namespace) -> Array:
        t = clamp_steps(xp, t, self.steps)
        r = fraction(xp, self.steps - t, self.steps)  # 1 - z, from the remaining steps
        weight = (r + r) / (1.0 + r)
        if _rising(xp, self.start, self.end):
            # 1 - weight == (1 - r) / (1 + r) == z / (1 + r)
            return _from_nearer_end(xp, self.start, self.end, weight, fraction(xp, t, self.steps) / (1.0 + r))
        return self.end + (self.start - self.end) * weight

    @property
    def horizon(self) -> int | None:
        return self.steps


@functools.lru_cache(maxsize=64)
@functools.lru_cache(maxsize=64)
def _restart_tables(
    first_cycle: int, cycle_mult: int, peak_decay: float
) -> tuple[tuple[int, ...], tuple[int, ...], Any]:
    """SGDR's cycle starts (with the int64 sentinel), cycle lengths and ``peak_decay ** i``,
    computed once per schedule rather than per ``values()`` chunk."""
    np = _np()
    starts = _cycle_starts(first_cycle, cycle_mult)
    lengths = tuple(b - a for a, b in itertools.pairwise(starts))
    return starts, lengths, np.power(peak_decay, np.arange(len(starts) - 1, dtype=np.float64))


def _cycle_starts(first_cycle: int, cycle_mult: int) -> tuple[int, ...]:
    """SGDR cycle starts up to the int64 sentinel (computed once, not per values() chunk)."""
    starts, length = [0], first_cycle
    while starts[-1] < (1 << 63) - 1 - length:
        starts.append(starts[-1] + length)
        length *= cycle_mult
    starts.append((1 << 63) - 1)
    return tuple(starts)
