"""optax.schedules as lrcore schedules, without importing JAX or optax.

Same names and parameters as optax; the value at step ``t`` is the native ``schedule(t)``
(``t`` = optax's ``count``). ``join_schedules`` and ``sgdr_schedule`` take lrcore schedules
(for instance built with this module) where optax takes its callables.

>>> import lrcore.compat.optax as O
>>> O.warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000)
lrcore.warmup(schedule=lrcore.cosine(start=0.001, end=0.0, steps=900), steps=100)

Traps handled here (see docs/porting.md):

- ``warmup_cosine_decay_schedule``'s ``decay_steps`` *includes* the warmup (Keras CosineDecay's
  does not).
- optax returns a constant ``init_value`` for a non-positive ``transition_steps`` (so
  ``warmup_constant_schedule(..., warmup_steps=0)`` is ``init_value`` forever, not the peak),
  and for ``decay_rate == 0`` in ``exponential_decay``.
- ``exponential_decay``'s ``end_value`` clips every step, including those before
  ``transition_begin``.
- ``piecewise_constant_schedule`` takes *scales* multiplied into the value at each boundary
  (switching at ``t >= boundary``), not values.
- optax evaluates in float32 with naive formulas (the end of a cosine is off by up to 100% in
  float32); lrcore is the float64 curve, and its float32 evaluation gives float32 of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._errors import ConfigError
from .._plateau import Plateau
from .._schedule import Schedule
from ..catalog import Constant, Cosine, Exponential, Linear, PiecewiseConstant, PiecewiseLinear, Polynomial
from ..combinators import Join, Warmup
from . import integer, native_errors, number


def _delayed(value: float, begin: int, schedule: Schedule) -> Schedule:
    """``value`` before ``begin``, then ``schedule(t - begin)`` (optax's ``transition_begin``)."""
    if begin <= 0:
        return schedule
    return Join([Constant(value=value), schedule], [begin])


def _warmup_then(init_value: float, peak_value: float, warmup_steps: int, schedule: Schedule) -> Schedule:
    """optax's ``join_schedules([linear_schedule(init, peak, warmup), schedule], [warmup])``."""
    if warmup_steps <= 0:
        return schedule
    if schedule(0) == peak_value:
        return Warmup(schedule, steps=warmup_steps, start=init_value)
    return Join([Linear(start=init_value, end=peak_value, steps=warmup_steps), schedule], [warmup_steps])


@native_errors("constant_schedule")
def constant_schedule(value: float) -> Schedule:
    """``value`` at every step."""
    return Constant(value=value)


@native_errors("polynomial_schedule")
def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """``(init - end) * (1 - (t - begin) / steps) ** power + end`` between ``begin`` and
    ``begin + steps``; ``init`` before, ``end`` after. A non-positive ``transition_steps``
    gives a constant ``init_value`` (as optax)."""
    steps = integer("polynomial_schedule", "transition_steps", transition_steps)
    begin = max(0, integer("polynomial_schedule", "transition_begin", transition_begin))
    power = number("polynomial_schedule", "power", power, minimum=0.0)
    if steps <= 0 or power == 0.0 or init_value == end_value:
        return Constant(value=init_value)  # optax: 0 ** 0 == 1 keeps init_value with power 0
    if power == 1.0:
        body: Schedule = Linear(start=init_value, end=end_value, steps=steps)
    else:
        body = Polynomial(start=init_value, end=end_value, steps=steps, power=power)
    return _delayed(init_value, begin, body)


@native_errors("linear_schedule")
def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """Linear from ``init_value`` to ``end_value`` over ``transition_steps`` after
    ``transition_begin``."""
    return polynomial_schedule(init_value, end_value, 1.0, transition_steps, transition_begin)


def _sorted_scales(where: str, boundaries_and_scales: Mapping[Any, float] | None) -> list[tuple[int, float]]:
    items = []
    for key, scale in sorted((boundaries_and_scales or {}).items()):
        scale = number(where, f"boundaries_and_scales[{key!r}]", scale, minimum=0.0)
        items.append((key, scale))
    return items


@native_errors("piecewise_constant_schedule")
def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """``init_value`` times the product of the scales of every boundary ``<= t``.

    optax switches at ``t >= boundary`` (as torch's milestones, unlike Keras'
    PiecewiseConstantDecay); a fractional boundary switches at its ceiling, one at or below 0
    from the start.
    """
    where = "piecewise_constant_schedule"
    boundaries: list[int] = []
    values = [number(where, "init_value", init_value, minimum=0.0)]
    for key, scale in _sorted_scales(where, boundaries_and_scales):
        at = max(0, math.ceil(number(where, "boundaries_and_scales", key)))
        value = values[-1] * scale  # optax multiplies in boundary order
        if (boundaries and boundaries[-1] == at) or (not boundaries and at == 0):
            values[-1] = value
            continue
        boundaries.append(at)
        values.append(value)
    if not boundaries:
        return Constant(value=values[0])
    return PiecewiseConstant(boundaries=boundaries, values=values)


@native_errors("exponential_decay")
def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """``init_value * decay_rate ** ((t - begin) / transition_steps)`` after ``begin``
    (floored with ``staircase``), clipped at ``end_value`` (a floor when ``decay_rate < 1``,
    else a ceiling) at every step."""
    where = "exponential_decay"
    init_value = number(where, "init_value", init_value, minimum=0.0)
    rate = number(where, "decay_rate", decay_rate, minimum=0.0)
    s = number(where, "transition_steps", transition_steps)
    begin = max(0, integer(where, "transition_begin", transition_begin))
    clip = min if rate >= 1.0 else max
    if s <= 0 or rate == 0.0:
        return Constant(value=init_value)  # optax returns init_value unclipped here
    held = init_value if end_value is None else clip(init_value, end_value)
    if rate == 1.0 or (end_value is not None and held != init_value):
        return Constant(value=held)  # the clip holds from step 0 on
    if rate > 1.0 and end_value is None:
        raise ConfigError(
            "end_value", "a ceiling when decay_rate > 1 (the value would grow without limit)", None
        )
    if s.is_integer():
        return Exponential(
            start=init_value, rate=rate, steps=int(s), staircase=staircase, begin=begin, bound=end_value
        )
    if staircase:
        raise ConfigError("transition_steps", "an integer with staircase=True", transition_steps)
    return Exponential(start=init_value, rate=rate ** (1.0 / s), begin=begin, bound=end_value)


@native_errors("cosine_decay_schedule")
def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """``init_value * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decay_steps))) ** exponent + alpha)``,
    then ``alpha * init_value``: ``alpha`` is a fraction of ``init_value``."""
    steps = integer("cosine_decay_schedule", "decay_steps", decay_steps, minimum=1)
    alpha = number("cosine_decay_schedule", "alpha", alpha, minimum=0.0)
    return Cosine(start=init_value, end=init_value * alpha, steps=steps, exponent=exponent)


@native_errors("piecewise_interpolate_schedule")
def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """Linear or cosine interpolation between the *accumulated* values
    ``init_value * prod(scales up to boundary i)`` at the boundaries, starting at step 0 with
    ``init_value``; the last value holds after the last boundary."""
    where = "piecewise_interpolate_schedule"
    if interpolate_type not in ("linear", "cosine"):
        raise ConfigError("interpolate_type", "'linear' or 'cosine'", interpolate_type)
    points = [0]
    values = [number(where, "init_value", init_value, minimum=0.0)]
    for key, scale in _sorted_scales(where, boundaries_and_scales):
        at = integer(where, "boundaries_and_scales", key, minimum=0)
        value = values[-1] * scale  # optax: jnp.cumprod, in boundary order
        if at == points[-1]:  # an empty interval: optax never evaluates the earlier value
            values[-1] = value
        else:
            points.append(at)
            values.append(value)
    if len(points) == 1:
        return Constant(value=values[0])
    if interpolate_type == "linear":
        return PiecewiseLinear(boundaries=points, values=values)
    segments: list[Schedule] = [
        Cosine(start=values[i], end=values[i + 1], steps=points[i + 1] - points[i])
        for i in range(len(points) - 1)
    ]
    return Join([*segments, Constant(value=values[-1])], points[1:])


@native_errors("linear_onecycle_schedule")
def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """Three linear phases: up to ``peak_value`` at ``int(pct_start * transition_steps)``, back
    to ``peak_value / div_factor`` at ``int(pct_final * transition_steps)``, then to
    ``peak_value / div_factor / final_div_factor`` at ``transition_steps`` (optax builds a
    ``piecewise_interpolate_schedule``; so does this)."""
    steps = integer("linear_onecycle_schedule", "transition_steps", transition_steps, minimum=1)
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * steps): div_factor,
            int(pct_final * steps): 1.0 / div_factor,
            steps: 1.0 / final_div_factor,
        },
    )


@native_errors("cosine_onecycle_schedule")
def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """Cosine up from ``peak_value / div_factor`` to ``peak_value`` at
    ``int(pct_start * transition_steps)``, then down to
    ``peak_value / (div_factor * final_div_factor)`` at ``transition_steps``."""
    steps = integer("cosine_onecycle_schedule", "transition_steps", transition_steps, minimum=1)
    return piecewise_interpolate_schedule(
        "cosine",
        peak_value / div_factor,
        {int(pct_start * steps): div_factor, int(steps): 1.0 / (div_factor * final_div_factor)},
    )


@native_errors("warmup_constant_schedule")
def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """Linear from ``init_value`` to ``peak_value`` over ``warmup_steps``, then ``peak_value``
    (``init_value`` forever when ``warmup_steps <= 0``, as optax)."""
    return linear_schedule(init_value, peak_value, warmup_steps)


@native_errors("warmup_cosine_decay_schedule")
def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """Linear warmup to ``peak_value``, then cosine to ``end_value``; ``decay_steps`` is the
    *total* length, warmup included (the cosine lasts ``decay_steps - warmup_steps``)."""
    where = "warmup_cosine_decay_schedule"
    warmup = integer(where, "warmup_steps", warmup_steps, minimum=0)
    total = integer(where, "decay_steps", decay_steps)
    if total - warmup <= 0:
        raise ConfigError(
            "decay_steps", f"more than warmup_steps ({warmup}): it includes the warmup", decay_steps
        )
    # optax decays to peak * (end / peak); end_value itself differs by at most one float64 ulp.
    end = 0.0 if peak_value == 0.0 else end_value
    decay = Cosine(start=peak_value, end=end, steps=total - warmup, exponent=exponent)
    return _warmup_then(init_value, peak_value, warmup, decay)


@native_errors("warmup_exponential_decay_schedule")
def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """Linear warmup to ``peak_value``, then :func:`exponential_decay` from ``peak_value``."""
    warmup = integer("warmup_exponential_decay_schedule", "warmup_steps", warmup_steps, minimum=0)
    decay = exponential_decay(
        peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value
    )
    return _warmup_then(init_value, peak_value, warmup, decay)


@native_errors("sgdr_schedule")
def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    """Cycles of :func:`warmup_cosine_decay_schedule`, cycle ``i`` lasting its ``decay_steps``."""
    schedules: list[Schedule] = []
    boundaries: list[int] = []
    step = 0
    for i, kwargs in enumerate(cosine_kwargs):
        try:
            schedules.append(warmup_cosine_decay_schedule(**kwargs))
        except ConfigError as error:
            raise error.prefixed(f"cosine_kwargs[{i}]") from None
        step += int(kwargs["decay_steps"])
        boundaries.append(step)
    if not schedules:
        raise ConfigError("cosine_kwargs", "at least one cycle", [])
    return schedules[0] if len(schedules) == 1 else Join(schedules, boundaries[:-1])


@native_errors("join_schedules")
def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """``schedules[i]`` from ``boundaries[i - 1]`` on, seeing ``t - boundaries[i - 1]``; a
    boundary at 0 replaces the schedules before it."""
    if len(boundaries) != len(schedules) - 1:
        raise ConfigError(
            "boundaries", f"{len(schedules) - 1} boundaries for {len(schedules)} schedules", list(boundaries)
        )
    kept, marks = list(schedules), [integer("join_schedules", "boundaries", b, minimum=0) for b in boundaries]
    while marks and marks[0] == 0:
        kept.pop(0)
        marks.pop(0)
    return kept[0] if not marks else Join(kept, marks)


@native_errors("reduce_on_plateau")
def reduce_on_plateau(
    learning_rate: float | Schedule,
    factor: float = 0.1,
    patience: int = 10,
    rtol: float = 1e-4,
    atol: float = 0.0,
    cooldown: int = 0,
    accumulation_size: int = 1,
    min_scale: float = 0.0,
) -> Plateau:
    """``optax.contrib.reduce_on_plateau`` scaling ``learning_rate`` (the lr, or the schedule,
    of the optimizer it is chained after), as lrcore's ``plateau`` (run it with
    ``lrcore.adapters.optax.plateau_transform``, fed the same ``value``).

    optax reduces when the count of reports without improvement *reaches* ``patience``
    (torch, and lrcore's plateau, when it exceeds it): lrcore's ``patience`` is one less. An
    improvement is ``value < (1 - rtol) * best - atol`` (min mode only: lrcore's
    ``threshold=rtol`` with ``atol``); the reduction ``scale * factor`` always applies
    (``eps=0``), floored at ``min_scale``.

    Refused, each with what to do instead: ``patience < 1`` (optax then reduces on every
    improvement and never again), ``rtol == 1``, ``min_scale > 0`` with a schedule (lrcore's
    floor is a learning rate, not a scale), and ``accumulation_size > 1`` (report the mean of
    every ``accumulation_size`` values instead: ``plateau_transform``'s ``report=`` argument).
    """
    where = "reduce_on_plateau"
    factor = number(where, "factor", factor, minimum=0.0, open_min=True)
    if factor >= 1.0:  # optax: ValueError outside (0, 1)
        raise ConfigError(f"{where}.factor", "a number in (0, 1)", factor)
    rtol = number(where, "rtol", rtol, minimum=0.0)  # optax: ValueError below 0 and above 1
    if rtol > 1.0:
        raise ConfigError(f"{where}.rtol", "a number in [0, 1]", rtol)
    atol = number(where, "atol", atol, minimum=0.0)
    if rtol == 0.0 and atol == 0.0:  # optax: ValueError
        raise ConfigError(f"{where}.atol", "a positive number when rtol is 0", atol)
    if rtol == 1.0:
        raise ConfigError(f"{where}.rtol", "a number < 1 (an improvement would need a negative value)", rtol)
    patience = integer(where, "patience", patience)
    if patience < 1:
        raise ConfigError(
            f"{where}.patience",
            "an integer >= 1 (with 0, optax reduces at every improvement and never after)",
            patience,
        )
    cooldown = integer(where, "cooldown", cooldown, minimum=0)
    if integer(where, "accumulation_size", accumulation_size, minimum=1) != 1:
        raise ConfigError(
            f"{where}.accumulation_size",
            "1 (report the mean of every accumulation_size values to the plateau instead: "
            "plateau_transform(..., report=...) reports only on the updates you choose)",
            accumulation_size,
        )
    min_scale = number(where, "min_scale", min_scale, minimum=0.0)
    if isinstance(learning_rate, Schedule) and not isinstance(learning_rate, Constant):
        if min_scale > 0.0:
            raise ConfigError(
                f"{where}.min_scale",
                "0 with a schedule (lrcore's plateau floors the learning rate with min_lr, "
                "not the scale: use lrcore.plateau(schedule, min_lr=...))",
                min_scale,
            )
        min_lr = 0.0
    else:
        value = learning_rate.value if isinstance(learning_rate, Constant) else learning_rate
        min_lr = number(where, "learning_rate", value, minimum=0.0) * min_scale
    return Plateau(
        learning_rate,
        mode="min",
        factor=factor,
        patience=patience - 1,
        threshold=rtol,
        threshold_mode="rel",
        atol=atol,  # optax's bound, (1 - rtol) * best - atol, term for term
        cooldown=cooldown,
        min_lr=min_lr,
        eps=0.0,
    )


__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "reduce_on_plateau",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]
