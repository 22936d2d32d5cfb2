"""transformers' schedulers (``transformers.optimization``) as lrcore schedules, without
importing transformers or torch.

transformers builds every scheduler as a torch ``LambdaLR`` whose lambda multiplies the
optimizer's lr; here ``base_lr`` (that lr) replaces the optimizer. Names and parameters are the
native ones, and :func:`get_scheduler` takes the ``SchedulerType`` names.

>>> import lrcore.compat.transformers as H
>>> H.get_scheduler("cosine", base_lr=1e-3, num_warmup_steps=100, num_training_steps=1000)
lrcore.warmup(schedule=lrcore.after_horizon(schedule=lrcore.cosine(start=0.001, end=0.0, steps=900), policy='continue'), steps=100)

transformers' cosine lambdas keep following the cosine back up past ``num_training_steps``;
the ported cosines do too (``after_horizon(..., policy="continue")``), so they equal the native
at every step. Where transformers' curve is not a catalog shape (a ``num_cycles`` that does not
fit a whole number of steps per half wave, ``cosine_warmup_with_min_lr`` without warmup, a
``1-sqrt`` warmup), the lambda is tabulated over ``num_training_steps`` (``table``: exact on
those steps) and holds its final value after them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ConfigError
from .._plateau import Plateau
from .._schedule import Schedule
from ..catalog import Constant, Cosine, CosineRestarts, InverseSqrt, Linear, Polynomial, WarmupStableDecay
from ..combinators import AfterHorizon, Join, Warmup
from . import integer, native_errors, number, tabulate

SCHEDULER_TYPES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
)


def _warmup(schedule: Schedule, num_warmup_steps: int) -> Schedule:
    """transformers' warmup: ``t / max(1, num_warmup_steps)`` times the lr, from 0."""
    return schedule if num_warmup_steps <= 0 else Warmup(schedule, steps=num_warmup_steps)


def _wave(where: str, peak: float, low: float, length: int, num_cycles: float) -> Schedule | None:
    """``low + (peak - low) * 0.5 * (1 + cos(2 pi num_cycles p))`` for ``p = t / length``, at
    every step (transformers keeps the formula going past ``num_training_steps``): a cosine
    half wave mirrored back and forth when each half wave is a whole number of steps; None
    otherwise."""
    half = length / (2.0 * num_cycles) if num_cycles > 0 else 0.0
    if num_cycles == 0.0:
        return Constant(value=peak)
    if not half.is_integer() or half < 1:
        return None
    return AfterHorizon(Cosine(start=peak, end=low, steps=int(half)), policy="continue")


def _decay_steps(num_warmup_steps: int, num_training_steps: int) -> int:
    return max(1, num_training_steps - num_warmup_steps)


@native_errors("get_constant_schedule")
def get_constant_schedule(base_lr: float) -> Schedule:
    """``base_lr`` at every step."""
    return Constant(value=base_lr)


@native_errors("get_constant_schedule_with_warmup")
def get_constant_schedule_with_warmup(base_lr: float, num_warmup_steps: int) -> Schedule:
    """Linear warmup from 0 over ``num_warmup_steps``, then ``base_lr``."""
    w = integer("get_constant_schedule_with_warmup", "num_warmup_steps", num_warmup_steps, minimum=0)
    return _warmup(Constant(value=base_lr), w)


@native_errors("get_linear_schedule_with_warmup")
def get_linear_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int
) -> Schedule:
    """Warmup from 0, then linear to 0 at ``num_training_steps``."""
    w = integer("get_linear_schedule_with_warmup", "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer("get_linear_schedule_with_warmup", "num_training_steps", num_training_steps, minimum=0)
    if n <= w:
        return _join_after_warmup(base_lr, w, Constant(value=0.0))
    return _warmup(Linear(start=base_lr, end=0.0, steps=n - w), w)


def _join_after_warmup(base_lr: float, w: int, after: Schedule) -> Schedule:
    if w <= 0:
        return after
    return Join([Linear(start=0.0, end=base_lr, steps=w), after], [w])


def _cosine(
    where: str,
    base_lr: float,
    w: int,
    n: int,
    num_cycles: float,
    min_rate: float,
    factor: Callable[[int], float],
) -> Schedule:
    wave = _wave(where, base_lr, base_lr * min_rate, _decay_steps(w, n), num_cycles)
    if wave is None:
        return tabulate(where, factor, base_lr, max(n, w) + 1)
    return _warmup(wave, w)


@native_errors("get_cosine_schedule_with_warmup")
def get_cosine_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5
) -> Schedule:
    """Warmup from 0, then ``0.5 * (1 + cos(2 pi num_cycles p))`` times ``base_lr`` with
    ``p = (t - warmup) / (num_training_steps - warmup)`` (the default ``num_cycles=0.5`` is a
    half cosine down to 0)."""
    where = "get_cosine_schedule_with_warmup"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer(where, "num_training_steps", num_training_steps, minimum=0)
    c = number(where, "num_cycles", num_cycles, minimum=0.0)

    def factor(t: int) -> float:  # transformers' _get_cosine_schedule_with_warmup_lr_lambda
        if t < w:
            return float(t) / float(max(1, w))
        progress = float(t - w) / float(max(1, n - w))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * progress)))

    return _cosine(where, base_lr, w, n, c, 0.0, factor)


@native_errors("get_cosine_with_hard_restarts_schedule_with_warmup")
def get_cosine_with_hard_restarts_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1
) -> Schedule:
    """Warmup from 0, then ``num_cycles`` cosine cycles from ``base_lr`` to 0, restarting
    (hard) at ``base_lr``; 0 from ``num_training_steps`` on."""
    where = "get_cosine_with_hard_restarts_schedule_with_warmup"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer(where, "num_training_steps", num_training_steps, minimum=0)
    c = number(where, "num_cycles", num_cycles, minimum=0.0, open_min=True)
    length = _decay_steps(w, n)
    cycle = length / c

    def factor(t: int) -> float:  # transformers' hard-restarts lambda
        if t < w:
            return float(t) / float(max(1, w))
        progress = float(t - w) / float(max(1, n - w))
        if progress >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(c) * progress) % 1.0))))

    if not cycle.is_integer() or cycle < 1:
        return tabulate(where, factor, base_lr, max(n, w) + 1)
    cycles = CosineRestarts(start=base_lr, end=0.0, first_cycle=int(cycle))
    return _warmup(Join([cycles, Constant(value=0.0)], [length]), w)


@native_errors("get_polynomial_decay_schedule_with_warmup")
def get_polynomial_decay_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, lr_end: float = 1e-7, power: float = 1.0
) -> Schedule:
    """Warmup from 0, then ``(base_lr - lr_end) * (1 - p) ** power + lr_end``, then ``lr_end``
    (``base_lr`` is the optimizer's default lr, which transformers calls ``lr_init``)."""
    where = "get_polynomial_decay_schedule_with_warmup"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer(where, "num_training_steps", num_training_steps, minimum=0)
    if not base_lr > lr_end:
        raise ConfigError("lr_end", f"a value smaller than base_lr ({base_lr})", lr_end)
    if n <= w:
        raise ConfigError("num_training_steps", f"more than num_warmup_steps ({w})", n)
    if power == 1.0:
        return _warmup(Linear(start=base_lr, end=lr_end, steps=n - w), w)
    return _warmup(Polynomial(start=base_lr, end=lr_end, steps=n - w, power=power), w)


@native_errors("get_inverse_sqrt_schedule")
def get_inverse_sqrt_schedule(
    base_lr: float, num_warmup_steps: int, timescale: int | None = None
) -> Schedule:
    """Warmup from 0, then ``base_lr * sqrt(timescale / (t - warmup + timescale))``
    (``timescale`` defaults to ``num_warmup_steps``, or 10,000 without warmup)."""
    w = integer("get_inverse_sqrt_schedule", "num_warmup_steps", num_warmup_steps, minimum=0)
    if timescale is None:
        timescale = w or 10_000
    return InverseSqrt(peak=base_lr, warmup=w, timescale=timescale)


@native_errors("get_reduce_on_plateau_schedule")
def get_reduce_on_plateau_schedule(base_lr: float, **kwargs: Any) -> Plateau:
    """torch ReduceLROnPlateau on ``base_lr`` (lrcore's ``plateau``)."""
    from . import load_plateau

    return load_plateau()(base_lr, **kwargs)


def _min_rate(where: str, base_lr: float, min_lr: float | None, min_lr_rate: float | None) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ConfigError("min_lr", "only one of min_lr and min_lr_rate", min_lr)
    if min_lr is not None:
        return number(where, "min_lr", min_lr, minimum=0.0) / base_lr
    if min_lr_rate is None:
        raise ConfigError("min_lr_rate", "one of min_lr and min_lr_rate", None)
    return number(where, "min_lr_rate", min_lr_rate, minimum=0.0)


@native_errors("get_cosine_with_min_lr_schedule_with_warmup")
def get_cosine_with_min_lr_schedule_with_warmup(
    base_lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    """Like ``cosine`` but towards ``min_lr`` (or ``min_lr_rate * base_lr``) instead of 0."""
    where = "get_cosine_with_min_lr_schedule_with_warmup"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer(where, "num_training_steps", num_training_steps, minimum=0)
    c = number(where, "num_cycles", num_cycles, minimum=0.0)
    r = _min_rate(where, base_lr, min_lr, min_lr_rate)

    def factor(t: int) -> float:
        if t < w:
            return float(t) / float(max(1, w))
        progress = float(t - w) / float(max(1, n - w))
        f = 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * progress))
        return max(0, f * (1 - r) + r)

    return _cosine(where, base_lr, w, n, c, r, factor)


@native_errors("get_cosine_with_min_lr_schedule_with_warmup_lr_rate")
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    base_lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    """``cosine_warmup_with_min_lr``: the warmup *starts* one step in, ``(t + 1) / warmup``
    (or from ``warmup_lr_rate``), reaching ``base_lr`` at ``warmup - 1``, and the cosine is
    shifted one step earlier, ``p = (t - warmup + 1) / (num_training_steps - warmup)``."""
    where = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    n = integer(where, "num_training_steps", num_training_steps, minimum=0)
    c = number(where, "num_cycles", num_cycles, minimum=0.0)
    r = _min_rate(where, base_lr, min_lr, min_lr_rate)
    rate = None if warmup_lr_rate is None else number(where, "warmup_lr_rate", warmup_lr_rate, minimum=0.0)

    def factor(t: int) -> float:  # transformers' ..._warmup_lr_rate_lambda
        step, warm, total = float(t), float(w), float(n)
        if step < warm:
            if rate is None:
                return (step + 1.0) / max(1.0, warm)
            return rate + (1.0 - rate) * step / max(1, warm - 1)
        progress = (step - warm + 1.0) / max(1.0, total - warm)
        f = 0.5 * (1.0 + math.cos(math.pi * c * 2.0 * progress))
        return max(0, f * (1 - r) + r)

    wave = _wave(where, base_lr, base_lr * r, int(max(1.0, n - w)), c)
    start = base_lr / max(1, w) if rate is None else base_lr * rate
    if wave is None or w == 0 or (w == 1 and rate is not None and rate != 1.0):
        return tabulate(where, factor, base_lr, max(n, w) + 1)
    if w == 1:
        return wave
    # The ramp reaches base_lr at w - 1, where the (shifted) cosine starts.
    return Join([Linear(start=start, end=base_lr, steps=w - 1), wave], [w - 1])


@native_errors("get_wsd_schedule")
def get_wsd_schedule(
    base_lr: float,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
) -> Schedule:
    """Warmup from ``min_lr_ratio * base_lr`` (shape ``warmup_type``), hold ``base_lr`` for
    ``num_stable_steps``, decay to ``min_lr_ratio * base_lr`` over ``num_decay_steps``
    (shape ``decay_type``; note the default is ``cosine``), then hold."""
    where = "get_wsd_schedule"
    w = integer(where, "num_warmup_steps", num_warmup_steps, minimum=0)
    d = integer(where, "num_decay_steps", num_decay_steps, minimum=0)
    for name, kind in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if kind not in ("linear", "cosine", "1-sqrt"):
            raise ConfigError(name, "one of 'linear', 'cosine', '1-sqrt'", kind)
    if num_stable_steps is None:
        if num_training_steps is None:
            raise ConfigError("num_training_steps", "num_training_steps or num_stable_steps", None)
        num_stable_steps = integer(where, "num_training_steps", num_training_steps) - w - d
    s = integer(where, "num_stable_steps", num_stable_steps, minimum=0)
    r = number(where, "min_lr_ratio", min_lr_ratio, minimum=0.0)
    c = number(where, "num_cycles", num_cycles, minimum=0.0)
    low = base_lr * r

    def factor(t: int) -> float:  # transformers' _get_wsd_scheduler_lambda
        if t < w:
            p = float(t) / float(max(1, w))
            f = {
                "linear": p,
                "cosine": 0.5 * (1.0 - math.cos(math.pi * p)),
                "1-sqrt": 1.0 - math.sqrt(1.0 - p),
            }
            return max(0.0, f[warmup_type] * (1.0 - r) + r)
        if t < w + s:
            return 1.0
        if t < w + s + d:
            p = float(t - w - s) / float(max(1, d))
            g = {
                "linear": 1.0 - p,
                "cosine": 0.5 * (1.0 + math.cos(math.pi * float(c) * 2.0 * p)),
                "1-sqrt": 1.0 - math.sqrt(p),
            }
            return max(0.0, g[decay_type] * (1.0 - r) + r)
        return r

    if warmup_type == "1-sqrt" or (decay_type == "cosine" and c != 0.5 and d > 0):
        return tabulate(where, factor, base_lr, w + s + d + 1)
    if d == 0:
        body: Schedule = (
            Join([Constant(value=base_lr), Constant(value=low)], [s]) if s else Constant(value=low)
        )
    else:
        body = WarmupStableDecay(
            peak=base_lr, warmup=0, decay=d, total=s + d, end=low, decay_shape=decay_type
        )
    if w == 0:
        return body
    ramp = Warmup(Constant(value=base_lr), steps=w, start=low, shape=warmup_type)
    if body(0) != base_lr:  # no stable or decay phase: the value drops right after the warmup
        return Join([ramp, body], [w])
    return Warmup(body, steps=w, start=low, shape=warmup_type)


_BY_TYPE: dict[str, Callable[..., Schedule | Plateau]] = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": get_reduce_on_plateau_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
}


def get_scheduler(
    name: str,
    base_lr: float,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> Schedule | Plateau:
    """transformers' ``get_scheduler``: the same argument rules per ``SchedulerType`` name
    (``constant`` ignores the step counts; ``constant_with_warmup`` and ``inverse_sqrt`` take
    only ``num_warmup_steps`` and, as transformers, ignore ``scheduler_specific_kwargs``)."""
    name = str(getattr(name, "value", name))
    if name not in _BY_TYPE:
        raise ConfigError("name", "a transformers SchedulerType (" + ", ".join(SCHEDULER_TYPES) + ")", name)
    build = _BY_TYPE[name]
    kwargs = dict(scheduler_specific_kwargs or {})
    if name == "constant":
        return build(base_lr)
    if name == "reduce_lr_on_plateau":
        return build(base_lr, **kwargs)
    if num_warmup_steps is None:
        raise ConfigError("num_warmup_steps", f"a number of steps ({name} requires it)", None)
    if name in ("constant_with_warmup", "inverse_sqrt"):
        return build(base_lr, num_warmup_steps=num_warmup_steps)
    if name == "warmup_stable_decay":
        return build(
            base_lr, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **kwargs
        )
    if num_training_steps is None:
        raise ConfigError("num_training_steps", f"a number of steps ({name} requires it)", None)
    return build(base_lr, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **kwargs)


__all__ = [
    "SCHEDULER_TYPES",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
]
