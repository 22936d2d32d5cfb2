"""timm.scheduler as lrcore schedules, without importing timm or torch.

Each constructor takes timm's parameters with ``base_lr`` (the optimizer's initial lr) in
place of the optimizer. The value at ``t`` is the lr timm sets with ``scheduler.step(t)``
(``t_in_epochs=True``: ``t`` is the epoch) or ``scheduler.step_update(t)``
(``t_in_epochs=False``: ``t`` is the number of updates); ``t_in_epochs`` picks which call
drives the scheduler and does not change the curve. For an epoch curve on an update counter,
wrap it: ``lrcore.per_epoch(schedule, steps_per_epoch)``.

>>> import lrcore.compat.timm as timm
>>> timm.CosineLRScheduler(base_lr=0.1, t_initial=100, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-4,
...                        warmup_prefix=True)
lrcore.warmup(schedule=lrcore.cosine(start=0.1, end=1e-05, steps=100), steps=5, start=0.0001)

Checked against timm 1.0.31 in ``tests/compat/test_timm.py``. Traps handled here:

- ``warmup_prefix=False`` (the default of the cosine, poly and tanh schedulers) does *not*
  shift the curve: the warmup replaces its first ``warmup_t`` steps. lrcore writes this as
  the curve scaled by a tabulated ramp factor over the warmup steps (the curve itself stays
  closed form).
- ``MultiStepLRScheduler`` applies milestone ``m`` at ``t == m - 1`` (timm's own,
  deliberately kept convention), one step before torch's ``MultiStepLR``.
- ``TanhLRScheduler`` without a prefix warmup ramps to its value at ``warmup_t``, not to
  ``base_lr``.
- timm's train loop never calls ``step(0)``: epoch 0 runs at the lr set by the constructor
  (``warmup_lr_init``, else ``base_lr``), which is ``lr(0)`` here except for a tanh without
  warmup (``base_lr`` against ``lr(0) = base_lr * (1 - 8e-7)``) and a milestone at 1.
- Noise (``noise_range_t``) draws from torch's generator per step: refused (lrcore schedules
  are deterministic curves that run unchanged in every framework).
- Curves the catalog cannot write in closed form (``k_decay != 1``, a fractional
  ``cycle_mul``, several poly or tanh cycles, a ``cycle_decay`` with ``lr_min > 0``, WSD's
  ``rsqrt``/``power`` stable phases and ``power``/``exp``/callable decays) are
  tabulated over their finite run (``cycle_limit`` cycles) and then hold ``lr_min``: exact on
  every step, as long as the run has at most :data:`MAX_TABLE` steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import ConfigError
from .._plateau import Plateau
from .._schedule import Schedule
from ..catalog import (
    Constant,
    Cosine,
    CosineRestarts,
    Linear,
    Multistep,
    PiecewiseConstant,
    Polynomial,
    Step,
    Table,
    WarmupStableDecay,
)
from ..catalog import Tanh as _Tanh
from ..combinators import Join, Scale, Warmup
from . import integer, native_errors, number

MAX_TABLE = 2_000_000  # steps a tabulated timm curve may span (a 16 MB table)

Shape = Callable[[float, float, float, float], float]  # (lr_max, lr_min, t_curr, t_i) -> lr


def _no_noise(where: str, noise_range_t: Any) -> None:
    if noise_range_t is not None:
        raise ConfigError(
            f"{where}.noise_range_t",
            "None (timm's lr noise draws from torch's random generator at every step; lrcore "
            "schedules are deterministic curves: train without noise, or tabulate the noisy "
            "values with lrcore.porting.from_function)",
            noise_range_t,
        )


def _common(where: str, base_lr: Any, warmup_t: Any, warmup_lr_init: Any) -> tuple[float, int, float]:
    base = number(where, "base_lr", base_lr, minimum=0.0)
    warm = integer(where, "warmup_t", warmup_t, minimum=0)
    init = number(where, "warmup_lr_init", warmup_lr_init, minimum=0.0)
    return base, warm, init


def _with_warmup(
    where: str, body: Schedule, base: float, warm: int, init: float, prefix: bool, target: float | None = None
) -> Schedule:
    """timm's linear warmup ``init + t * (target - init) / warmup_t`` for ``t < warmup_t``.

    With ``prefix`` the curve starts after the warmup (``body(t - warmup_t)``); without, the
    warmup replaces its first steps (``body(t)`` from ``warmup_t`` on).
    """
    if warm == 0:
        return body
    target = base if target is None else target
    ramp = [init + t * ((target - init) / warm) for t in range(warm)]
    if prefix:
        if body(0) == target:
            return Warmup(body, steps=warm, start=init)
        return Join([Linear(start=init, end=target, steps=warm), body], [warm])
    under = [float(v) for v in body.values(range(warm))]
    if any(u == 0.0 and r != 0.0 for u, r in zip(under, ramp, strict=True)):
        raise ConfigError(
            f"{where}.warmup_t",
            "a warmup that ends before the curve reaches 0 (warmup_prefix=False scales the curve "
            "over the warmup), or warmup_prefix=True",
            warm,
        )
    factors = [r / u if u else 1.0 for r, u in zip(ramp, under, strict=True)]
    return Scale(body, factor=Table(values=[*factors, 1.0]))


def _cycle_length(t_initial: int, cycle_mul: float, cycles: int) -> int:
    """timm's ``get_cycle_length()`` without the warmup: where the last cycle ends."""
    cycles = max(1, cycles)
    if cycle_mul == 1.0:
        return t_initial * cycles
    return math.floor(-t_initial * (cycle_mul**cycles - 1) / (1 - cycle_mul))


def _timm_cycles(
    t: int, t_initial: int, cycle_mul: float, cycle_decay: float, cycle_limit: int, lr_min: float
) -> tuple[bool, float, float, float]:
    """timm's cycle arithmetic, transcribed: (in a cycle, decayed peak factor, t_curr, t_i)."""
    if cycle_mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
        t_i = cycle_mul**i * t_initial
        t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - (t_initial * i)
    return i < cycle_limit, cycle_decay**i, t_curr, t_i


def _tabulated(
    where: str,
    reason: str,
    shape: Shape,
    base: float,
    lr_min: float,
    t_initial: int,
    cycle_mul: float,
    cycle_decay: float,
    cycle_limit: int,
) -> Schedule:
    """The curve evaluated with timm's own arithmetic over its whole run, then ``lr_min``."""
    end = _cycle_length(t_initial, cycle_mul, cycle_limit)
    if end + 1 > MAX_TABLE:
        raise ConfigError(
            f"{where}.{reason}",
            f"a curve lrcore writes in closed form, or a run of at most {MAX_TABLE} steps "
            f"(this one is tabulated over {end + 1} steps)",
            cycle_limit if reason == "cycle_limit" else None,
        )
    values = []
    for t in range(end + 1):
        inside, gamma, t_curr, t_i = _timm_cycles(t, t_initial, cycle_mul, cycle_decay, cycle_limit, lr_min)
        value = shape(base * gamma, lr_min, t_curr, t_i) if inside else lr_min
        if not (math.isfinite(value) and value >= 0.0):
            raise ConfigError(where, f"a finite learning rate >= 0 at step {t}", value)
        values.append(value)
    values.append(lr_min)
    return Table(values=values)


def _cycle_args(
    where: str, t_initial: Any, lr_min: Any, cycle_mul: Any, cycle_decay: Any, cycle_limit: Any
) -> tuple[int, float, float, float, int]:
    t_initial = integer(where, "t_initial", t_initial, minimum=1)  # timm: assert t_initial > 0
    lr_min = number(where, "lr_min", lr_min, minimum=0.0)  # timm: assert lr_min >= 0
    # timm computes log(1 - t / t_initial * (1 - cycle_mul), cycle_mul): a math domain error below 1
    cycle_mul = number(where, "cycle_mul", cycle_mul, minimum=1.0)
    cycle_decay = number(where, "cycle_decay", cycle_decay, minimum=0.0, open_min=True)
    cycle_limit = integer(where, "cycle_limit", cycle_limit, minimum=0)
    return t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit


@native_errors("CosineLRScheduler")
def CosineLRScheduler(
    base_lr: float,
    t_initial: int,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
) -> Schedule:
    """SGDR cycles of ``lr_min + (peak_i - lr_min) * (1 + cos(pi * t_curr**k / t_i**k)) / 2``
    (``peak_i = base_lr * cycle_decay ** i``), ``lr_min`` after ``cycle_limit`` cycles."""
    where = "CosineLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    T, m, mul, decay, limit = _cycle_args(where, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    k = number(where, "k_decay", k_decay, minimum=0.0, open_min=True)

    def shape(peak: float, low: float, t_curr: float, t_i: float) -> float:
        return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * t_curr**k / t_i**k))

    body: Schedule
    if limit == 0:
        body = Constant(value=m)
    elif k == 1.0 and limit == 1:
        body = Cosine(start=base, end=m, steps=T)
    elif k == 1.0 and mul.is_integer() and (decay == 1.0 or m == 0.0) and decay <= 1.0:
        restarts = CosineRestarts(start=base, end=m, first_cycle=T, cycle_mult=int(mul), peak_decay=decay)
        body = Join([restarts, Constant(value=m)], [_cycle_length(T, mul, limit)])
    else:
        reason = "k_decay" if k != 1.0 else "cycle_mul" if not mul.is_integer() else "cycle_decay"
        body = _tabulated(where, reason, shape, base, m, T, mul, decay, limit)
    return _with_warmup(where, body, base, warm, init, bool(warmup_prefix))


@native_errors("PolyLRScheduler")
def PolyLRScheduler(
    base_lr: float,
    t_initial: int,
    power: float = 0.5,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
) -> Schedule:
    """Cycles of ``lr_min + (peak_i - lr_min) * (1 - t_curr**k / t_i**k) ** power``."""
    where = "PolyLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    T, m, mul, decay, limit = _cycle_args(where, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    k = number(where, "k_decay", k_decay, minimum=0.0, open_min=True)
    p = number(where, "power", power, minimum=0.0, open_min=True)

    def shape(peak: float, low: float, t_curr: float, t_i: float) -> float:
        return low + (peak - low) * float((1 - t_curr**k / t_i**k) ** p)

    body: Schedule
    if limit == 0:
        body = Constant(value=m)
    elif k == 1.0 and limit == 1:
        body = Polynomial(start=base, end=m, steps=T, power=p)
    else:
        reason = "k_decay" if k != 1.0 else "cycle_limit"
        body = _tabulated(where, reason, shape, base, m, T, mul, decay, limit)
    return _with_warmup(where, body, base, warm, init, bool(warmup_prefix))


@native_errors("TanhLRScheduler")
def TanhLRScheduler(
    base_lr: float,
    t_initial: int,
    lb: float = -7.0,
    ub: float = 3.0,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """Cycles of ``lr_min + (peak_i - lr_min) * (1 - tanh(lb * (1 - r) + ub * r)) / 2``,
    ``r = t_curr / t_i`` (lrcore's ``tanh`` with ``lower=lb``, ``upper=ub``)."""
    where = "TanhLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    T, m, mul, decay, limit = _cycle_args(where, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    lower, upper = number(where, "lb", lb), number(where, "ub", ub)
    if not lower < upper:  # timm: assert lb < ub
        raise ConfigError(f"{where}.ub", f"a number > lb ({lower})", ub)

    def shape(peak: float, low: float, t_curr: float, t_i: float) -> float:
        tr = t_curr / t_i
        return low + 0.5 * (peak - low) * (1 - math.tanh(lower * (1.0 - tr) + upper * tr))

    body: Schedule
    if limit == 0:
        body = Constant(value=m)
    elif limit == 1:
        body = _Tanh(start=base, end=m, steps=T, lower=lower, upper=upper)
    else:
        body = _tabulated(where, "cycle_limit", shape, base, m, T, mul, decay, limit)
    prefix = bool(warmup_prefix)
    # timm ramps to base_lr with a prefix warmup, else to the curve's value at warmup_t.
    target = None if prefix or warm == 0 else body(warm)
    return _with_warmup(where, body, base, warm, init, prefix, target)


@native_errors("StepLRScheduler")
def StepLRScheduler(
    base_lr: float,
    decay_t: float,
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """``base_lr * decay_rate ** (t // decay_t)`` (after the warmup when ``warmup_prefix``)."""
    where = "StepLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    # timm divides by decay_t at every step: 0 raises ZeroDivisionError there, and a fractional
    # one puts the steps at float floors lrcore does not chase.
    step = integer(where, "decay_t", decay_t, minimum=1)
    rate = number(where, "decay_rate", decay_rate, minimum=0.0)
    body: Schedule
    if rate == 1.0:
        body = Constant(value=base)
    elif rate == 0.0:
        body = PiecewiseConstant(boundaries=[step], values=[base, 0.0])
    elif rate > 1.0:
        raise ConfigError(
            f"{where}.decay_rate",
            "a number <= 1 (lrcore refuses a learning rate that grows without limit)",
            rate,
        )
    else:
        body = Step(start=base, gamma=rate, step_size=step)
    return _with_warmup(where, body, base, warm, init, bool(warmup_prefix))


@native_errors("MultiStepLRScheduler")
def MultiStepLRScheduler(
    base_lr: float,
    decay_t: Sequence[int],
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """``base_lr * decay_rate ** (number of milestones <= t + 1)``: timm applies milestone
    ``m`` at ``t == m - 1`` (torch's MultiStepLR at ``t == m``)."""
    where = "MultiStepLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    if isinstance(decay_t, (str, bytes)) or not hasattr(decay_t, "__iter__"):
        raise ConfigError(f"{where}.decay_t", "a list of milestones", decay_t)
    marks = [integer(where, f"decay_t[{i}]", m) for i, m in enumerate(decay_t)]
    for i in range(1, len(marks)):
        if marks[i] < marks[i - 1]:  # timm bisects: unsorted milestones give a wrong count
            raise ConfigError(f"{where}.decay_t[{i}]", f"a milestone >= {marks[i - 1]} (sorted)", marks[i])
    rate = number(where, "decay_rate", decay_rate, minimum=0.0)
    start = base * rate ** sum(1 for m in marks if m <= 1)
    later = [m - 1 for m in marks if m > 1]
    body: Schedule
    if not later or rate == 1.0:
        body = Constant(value=start)
    elif len(set(later)) == len(later) and rate <= 1.0:
        body = Multistep(start=start, milestones=later, gamma=rate)
    else:
        values, lr = [start], start
        bounds = sorted(set(later))
        for b in bounds:  # timm raises decay_rate to the count: a repeated milestone counts twice
            lr = start * rate ** sum(1 for m in later if m <= b)
            values.append(lr)
        body = PiecewiseConstant(boundaries=bounds, values=values)
    return _with_warmup(where, body, base, warm, init, bool(warmup_prefix))


_STABLE_FNS = ("constant", "rsqrt", "power")
_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")


@native_errors("WSDLRScheduler")
def WSDLRScheduler(
    base_lr: float,
    t_initial: int,
    decay_t: int,
    lr_min: float = 0.0,
    stable_fn: str = "constant",
    stable_timescale: float | None = None,
    stable_power: float = 0.5,
    decay_fn: str | Callable[[float], float] = "1-sqrt",
    decay_power: float = 0.5,
    decay_ratio: float = 0.1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
) -> Schedule:
    """Warmup over ``warmup_t``, a stable phase, and a decay to ``lr_min`` over the last
    ``decay_t`` of ``t_initial`` steps (``warmup_t + t_initial`` in all), then ``lr_min``:
    ``lr_min + (max(base_lr * stable(t_s), lr_min) - lr_min) * decay(frac)``.

    A constant stable phase with a ``linear``, ``cosine`` or ``1-sqrt`` decay is lrcore's
    ``warmup_stable_decay``; the other stable and decay functions (a Python ``decay_fn``
    included) are tabulated over the run with timm's arithmetic.
    """
    where = "WSDLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, init = _common(where, base_lr, warmup_t, warmup_lr_init)
    # timm raises ValueError for each of these
    total = integer(where, "t_initial", t_initial, minimum=1)
    decay = integer(where, "decay_t", decay_t, minimum=1)
    if decay > total:
        raise ConfigError(f"{where}.decay_t", f"an integer in (0, t_initial] (t_initial is {total})", decay_t)
    low = number(where, "lr_min", lr_min, minimum=0.0)
    if stable_fn not in _STABLE_FNS:
        raise ConfigError(f"{where}.stable_fn", "one of " + ", ".join(map(repr, _STABLE_FNS)), stable_fn)
    if not callable(decay_fn) and decay_fn not in _DECAY_FNS:
        expected = "one of " + ", ".join(map(repr, _DECAY_FNS)) + " or a callable"
        raise ConfigError(f"{where}.decay_fn", expected, decay_fn)
    ratio = number(where, "decay_ratio", decay_ratio, minimum=0.0, open_min=True)
    if ratio >= 1.0:
        raise ConfigError(f"{where}.decay_ratio", "a number in (0, 1)", decay_ratio)
    d_power = number(where, "decay_power", decay_power, minimum=0.0, open_min=True)
    s_power = number(where, "stable_power", stable_power, minimum=0.0, open_min=True)
    timescale = 0.0
    if stable_fn != "constant":
        given = warm if stable_timescale is None else stable_timescale
        timescale = number(where, "stable_timescale", given, minimum=0.0, open_min=True)
    if stable_fn == "constant" and decay_fn in ("linear", "cosine", "1-sqrt"):
        return WarmupStableDecay(
            peak=base, warmup=warm, decay=decay, total=warm + total, start=init, end=low, decay_shape=decay_fn
        )
    power = 0.5 if stable_fn == "rsqrt" else s_power

    def shape(frac: float) -> float:  # timm's _decay, transcribed
        if callable(decay_fn):
            return float(decay_fn(frac))
        if decay_fn == "linear":
            return 1.0 - frac
        if decay_fn == "1-sqrt":
            return 1.0 - math.sqrt(frac)
        if decay_fn == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * frac))
        if decay_fn == "power":
            return float(1.0 - frac**d_power)
        return float((ratio**frac - ratio) / (1.0 - ratio))

    def lr(t: int) -> float:  # timm's _get_lr after the warmup, transcribed
        t_s = t - warm
        factor = 1.0 if stable_fn == "constant" else float((1.0 + t_s / timescale) ** -power)
        stable = max(base * factor, low)
        t_decay = t_s - (total - decay)
        if t_decay <= 0:
            return stable
        return low + (stable - low) * shape(min(t_decay / decay, 1.0))

    end = warm + total
    if end + 1 > MAX_TABLE:
        raise ConfigError(f"{where}.t_initial", f"a tabulated run of at most {MAX_TABLE} steps", t_initial)
    values = [init + t * ((base - init) / warm) for t in range(warm)]
    values += [lr(t) for t in range(warm, end + 1)]
    for t, value in enumerate(values):
        if not (math.isfinite(value) and value >= 0.0):
            raise ConfigError(where, f"a finite learning rate >= 0 at step {t}", value)
    return Table(values=values)


@native_errors("PlateauLRScheduler")
def PlateauLRScheduler(
    base_lr: float,
    decay_rate: float = 0.1,
    patience_t: int = 10,
    threshold: float = 1e-4,
    cooldown_t: int = 0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    lr_min: float = 0.0,
    mode: str = "max",
    noise_range_t: Any = None,
    noise_type: str = "normal",
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int | None = None,
    initialize: bool = True,
) -> Plateau:
    """timm wraps torch's ``ReduceLROnPlateau`` (``mode="max"`` by default: timm monitors
    accuracy): lrcore's ``plateau``, fed the metric of every ``step(epoch, metric)``."""
    where = "PlateauLRScheduler"
    _no_noise(where, noise_range_t)
    base, warm, _ = _common(where, base_lr, warmup_t, warmup_lr_init)
    if warm:
        raise ConfigError(
            f"{where}.warmup_t",
            "0 (timm ignores metrics until the warmup ends and then starts torch's plateau logic; "
            "lrcore's plateau sees every report)",
            warmup_t,
        )
    return Plateau(
        base,
        mode=mode,
        factor=decay_rate,
        patience=patience_t,
        threshold=threshold,
        cooldown=cooldown_t,
        min_lr=lr_min,
    )


@native_errors("create_scheduler_v2")
def create_scheduler_v2(
    base_lr: float,
    sched: str = "cosine",
    num_epochs: int = 300,
    decay_epochs: float | None = None,
    decay_milestones: Sequence[int] = (90, 180, 270),
    cooldown_epochs: int = 0,
    patience_epochs: int = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: int = 0,
    warmup_prefix: bool = False,
    noise: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: str = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> tuple[Schedule | Plateau, int]:
    """timm's factory: ``(schedule, num_epochs)`` as timm returns ``(scheduler, num_epochs)``.

    ``t`` counts epochs with ``step_on_epochs`` (the default), else updates (timm multiplies
    every duration by ``updates_per_epoch``). ``sched="none"`` is ``constant(base_lr)``.
    """
    where = "create_scheduler_v2"
    names = ("cosine", "tanh", "step", "constant", "multistep", "plateau", "poly", "wsd", "rsqrt", "none")
    if sched not in names:  # timm: ValueError
        raise ConfigError(f"{where}.sched", "one of " + ", ".join(map(repr, names)), sched)
    if noise is not None:
        _no_noise(where, noise)
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t, cooldown_t = num_epochs, warmup_epochs, decay_epochs, cooldown_epochs
    timescale_t = stable_timescale
    milestones = list(decay_milestones)
    per = 1
    if not step_on_epochs:
        per = integer(where, "updates_per_epoch", updates_per_epoch, minimum=1)  # timm: assert > 0
        t_initial, warmup_t, decay_t, cooldown_t = (
            t_initial * per,
            warmup_t * per,
            decay_t * per,
            cooldown_t * per,
        )
        milestones = [d * per for d in milestones]
        if timescale_t is not None:
            timescale_t = timescale_t * per
    warm: dict[str, Any] = {"warmup_lr_init": warmup_lr, "warmup_t": warmup_t, "warmup_prefix": warmup_prefix}
    cycles: dict[str, Any] = {"cycle_mul": cycle_mul, "cycle_decay": cycle_decay, "cycle_limit": cycle_limit}
    result: Schedule | Plateau
    if sched == "cosine":
        result = CosineLRScheduler(base_lr, t_initial, lr_min=min_lr, k_decay=k_decay, **cycles, **warm)
    elif sched == "tanh":
        result = TanhLRScheduler(base_lr, t_initial, lr_min=min_lr, **cycles, **warm)
    elif sched == "poly":
        result = PolyLRScheduler(
            base_lr, t_initial, power=decay_rate, lr_min=min_lr, k_decay=k_decay, **cycles, **warm
        )
    elif sched == "step":
        result = StepLRScheduler(base_lr, decay_t, decay_rate, **warm)
    elif sched == "constant":
        result = StepLRScheduler(base_lr, 1, 1.0, **warm)
    elif sched == "multistep":
        result = MultiStepLRScheduler(base_lr, milestones, decay_rate, **warm)
    elif sched == "plateau":
        if not step_on_epochs:
            raise ConfigError(f"{where}.step_on_epochs", "True (timm's plateau steps per epoch)", False)
        result = PlateauLRScheduler(
            base_lr,
            decay_rate=decay_rate,
            patience_t=patience_epochs,
            warmup_t=warmup_t,
            warmup_lr_init=warmup_lr,
            lr_min=min_lr,
            mode=plateau_mode,
        )
    elif sched in ("wsd", "rsqrt"):
        # timm: the warmup is always a prefix; without warmup_prefix the rest fits in num_epochs
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = round(decay_t)
        if not 0 < decay_t <= t_sched:  # timm: ValueError
            raise ConfigError(
                f"{where}.decay_epochs",
                f"a decay of (0, {t_sched}] steps (the stable + decay length)",
                decay_epochs,
            )
        result = WSDLRScheduler(
            base_lr,
            t_sched,
            decay_t,
            lr_min=min_lr,
            stable_fn="rsqrt" if sched == "rsqrt" else "constant",
            stable_timescale=timescale_t,
            decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
            warmup_t=warmup_t,
            warmup_lr_init=warmup_lr,
        )
        total = warmup_t + t_sched + cooldown_t
        return result, total if step_on_epochs else total // per
    else:
        return Constant(value=number(where, "base_lr", base_lr, minimum=0.0)), num_epochs
    if sched in ("cosine", "tanh", "poly"):
        length = _cycle_length(
            integer(where, "num_epochs", t_initial), number(where, "cycle_mul", cycle_mul), cycle_limit or 1
        )
        length = length + warmup_t if warmup_prefix else length
        total = length + cooldown_t
        return result, total if step_on_epochs else total // updates_per_epoch
    return result, num_epochs + warmup_epochs if warmup_prefix else num_epochs


__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PlateauLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "WSDLRScheduler",
    "create_scheduler_v2",
]
