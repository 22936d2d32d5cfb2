"""keras.optimizers.schedules as lrcore schedules, without importing Keras.

Same names and parameters as Keras (``name`` is accepted and ignored); the value at step ``t``
is the native ``schedule(t)`` (``t`` = ``optimizer.iterations``).

>>> import lrcore.compat.keras as K
>>> K.ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
lrcore.exponential(start=0.1, rate=0.96, steps=1000, staircase=True)

Traps handled here (see docs/porting.md):

- PiecewiseConstantDecay switches *after* a boundary (``step > b``); lrcore's
  ``piecewise_constant`` and torch switch *at* it, so the boundaries move by one.
- CosineDecay's ``alpha`` is a fraction of the peak; lrcore's ``end`` is absolute.
- CosineDecay's ``decay_steps`` comes *after* ``warmup_steps`` (optax counts the warmup inside).
- CosineDecay with ``warmup_target`` and ``warmup_steps=0`` starts at ``warmup_target``.
- A non-integer ``decay_steps`` is exact only where the curve is a function of
  ``t / decay_steps`` with no floor (ExponentialDecay, InverseTimeDecay without staircase).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._errors import ConfigError
from .._schedule import Schedule
from ..catalog import (
    Constant,
    Cosine,
    CosineRestarts,
    Exponential,
    InverseTime,
    Linear,
    PiecewiseConstant,
    Polynomial,
)
from ..combinators import Warmup
from . import drop_leading, integer, native_errors, number, tabulate


def _steps_or_rate(
    where: str, decay_steps: Any, decay_rate: float, staircase: bool
) -> tuple[int, float, float]:
    """``(steps, rate, per_step_rate)``: an integer ``decay_steps``, or for a continuous decay a
    fractional one folded into the rate (``rate ** (t / s) == (rate ** (1 / s)) ** t``)."""
    s = number(where, "decay_steps", decay_steps, minimum=0.0, open_min=True)
    if s.is_integer():
        return int(s), decay_rate, decay_rate
    if staircase:
        raise ConfigError(f"{where}.decay_steps", "an integer with staircase=True", decay_steps)
    return 0, decay_rate, decay_rate ** (1.0 / s)


@native_errors("ExponentialDecay")
def ExponentialDecay(
    initial_learning_rate: float,
    decay_steps: float,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Schedule:
    """``initial_learning_rate * decay_rate ** (t / decay_steps)`` (floored with staircase)."""
    steps, rate, per_step = _steps_or_rate("ExponentialDecay", decay_steps, decay_rate, staircase)
    if rate == 1.0:
        return Constant(value=initial_learning_rate)
    if steps == 0:
        return Exponential(start=initial_learning_rate, rate=per_step)
    return Exponential(start=initial_learning_rate, rate=rate, steps=steps, staircase=staircase)


@native_errors("PiecewiseConstantDecay")
def PiecewiseConstantDecay(
    boundaries: Sequence[float], values: Sequence[float], name: str | None = None
) -> Schedule:
    """``values[i]`` where ``i`` is the number of boundaries ``b`` with ``t > b``.

    Keras compares ``step > b`` after casting ``b`` to the step's integer type, so the value
    changes at step ``floor(b) + 1``: ``lrcore.piecewise_constant(boundaries=[b + 1, ...])``.
    """
    if len(values) != len(boundaries) + 1:
        raise ConfigError("values", f"{len(boundaries) + 1} values (one more than boundaries)", list(values))
    switch = [
        math.floor(number("PiecewiseConstantDecay", f"boundaries[{i}]", b)) + 1
        for i, b in enumerate(boundaries)
    ]
    switch, kept = drop_leading(switch, values)
    if not switch:
        return Constant(value=kept[0])
    return PiecewiseConstant(boundaries=switch, values=kept)


@native_errors("PolynomialDecay")
def PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Schedule:
    """``(initial - end) * (1 - t / decay_steps) ** power + end``; with ``cycle`` the horizon is
    the first multiple of ``decay_steps`` not below ``t``."""
    steps = integer("PolynomialDecay", "decay_steps", decay_steps, minimum=1)
    if power == 1.0 and not cycle:
        return Linear(start=initial_learning_rate, end=end_learning_rate, steps=steps)
    return Polynomial(
        start=initial_learning_rate, end=end_learning_rate, steps=steps, power=power, cycle=cycle
    )


@native_errors("InverseTimeDecay")
def InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: float,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Schedule:
    """``initial_learning_rate / (1 + decay_rate * t / decay_steps)`` (floored with staircase)."""
    s = number("InverseTimeDecay", "decay_steps", decay_steps, minimum=0.0, open_min=True)
    if s.is_integer():
        return InverseTime(start=initial_learning_rate, rate=decay_rate, steps=int(s), staircase=staircase)
    if staircase:
        raise ConfigError("decay_steps", "an integer with staircase=True", decay_steps)
    return InverseTime(start=initial_learning_rate, rate=decay_rate / s, steps=1)


@native_errors("CosineDecay")
def CosineDecay(
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    name: str | None = None,
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> Schedule:
    """Optional linear warmup from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, then cosine from the peak to ``alpha * peak`` over ``decay_steps``
    (the warmup is *not* counted in ``decay_steps``)."""
    steps = integer("CosineDecay", "decay_steps", decay_steps, minimum=1)
    alpha = number("CosineDecay", "alpha", alpha, minimum=0.0)
    if warmup_target is None:
        return Cosine(start=initial_learning_rate, end=initial_learning_rate * alpha, steps=steps)
    decay = Cosine(start=warmup_target, end=warmup_target * alpha, steps=steps)
    warmup = integer("CosineDecay", "warmup_steps", warmup_steps, minimum=0)
    if warmup == 0:
        return decay  # Keras: step < 0 never holds, the decay starts from warmup_target
    return Warmup(decay, steps=warmup, start=initial_learning_rate)


@native_errors("CosineDecayRestarts")
def CosineDecayRestarts(
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str | None = None,
    horizon: int | None = None,
) -> Schedule:
    """SGDR: cycle ``i`` lasts ``first_decay_steps * t_mul ** i`` steps and decays from
    ``m_mul ** i * (1 - alpha) + alpha`` to ``alpha`` times ``initial_learning_rate``.

    An integer ``t_mul`` maps to ``cosine_restarts``. A fractional ``t_mul`` puts restarts at
    fractional steps: pass ``horizon`` to tabulate the Keras formula over that many steps.
    """
    first = integer("CosineDecayRestarts", "first_decay_steps", first_decay_steps, minimum=1)
    t_mul = number("CosineDecayRestarts", "t_mul", t_mul, minimum=1.0)
    alpha = number("CosineDecayRestarts", "alpha", alpha, minimum=0.0)
    lr = number("CosineDecayRestarts", "initial_learning_rate", initial_learning_rate, minimum=0.0)
    if t_mul.is_integer() and 0.0 < m_mul <= 1.0:
        return CosineRestarts(
            start=lr, end=lr * alpha, first_cycle=first, cycle_mult=int(t_mul), peak_decay=m_mul
        )
    if horizon is None:
        raise ConfigError(
            "horizon",
            "a number of steps to tabulate (t_mul is fractional or m_mul > 1, "
            "which the catalog cannot express)",
            None,
        )

    def factor(t: int) -> float:  # the Keras formula, in float64
        frac = t / first
        if t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
            frac = (frac - (1.0 - t_mul**i) / (1.0 - t_mul)) / t_mul**i
        return (1 - alpha) * (0.5 * m_mul**i * (1.0 + math.cos(math.pi * frac))) + alpha

    return tabulate(
        "CosineDecayRestarts", factor, lr, integer("CosineDecayRestarts", "horizon", horizon, minimum=1)
    )


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]
