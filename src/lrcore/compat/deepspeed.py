"""DeepSpeed's ``scheduler`` config section as lrcore schedules, without importing DeepSpeed.

``from_config(ds_config)`` reads the ``scheduler`` section of a DeepSpeed config (a mapping,
or the path of its JSON file) and returns the curve DeepSpeed's own scheduler class
(``deepspeed.runtime.lr_schedules``) applies; the class-named constructors take the same
parameters. The value at ``t`` is the lr of the ``t``-th optimizer update: DeepSpeed's engine
calls ``lr_scheduler.step()`` after every update, so update ``t`` runs with the lr computed
for ``last_batch_iteration = t - 1`` (the constructor's lr at ``t = 0``).

>>> import lrcore.compat.deepspeed as DS
>>> DS.from_config({"optimizer": {"type": "AdamW", "params": {"lr": 3e-4}},
...                 "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 100,
...                                                            "warmup_type": "linear"}}})
lrcore.join(schedules=[lrcore.constant(value=0.0), lrcore.linear(start=0.0, end=0.0003, steps=100)], boundaries=[1])

Checked against DeepSpeed 0.19.8 (``tests/compat/test_deepspeed.py``, which steps the live
classes). Traps handled here:

- Update 0 and update 1 both run at the warmup's start (``last_batch_iteration`` -1 and 0),
  so every warmup is one step later than its ``warmup_num_steps`` says; ``warmup_num_steps``
  below 2 counts as 2.
- ``warmup_type`` defaults to ``"log"``: ``min + (max - min) * log(t) / log(warmup_num_steps)``,
  tabulated over the warmup (no catalog shape); ``"linear"`` is lrcore's ``linear``.
- ``WarmupDecayLR`` decays linearly to ``warmup_min_lr`` (not 0) at ``total_num_steps``;
  ``WarmupCosineLR`` takes ratios of the optimizer's lr, starts at 0 at update 0, and its
  cosine begins one step in (its first post-warmup update is at progress ``1 / (total - warmup)``).
- ``OneCycle`` with ``cycle_momentum`` (its default) also cycles ``beta1`` of an optimizer with
  ``betas`` (and sets ``beta2`` to 0.99). The learning-rate schedule cannot carry it (DeepSpeed's
  OneCycle is a ``join``), so :func:`OneCycle` warns; :func:`OneCycleBeta1` and
  :func:`hyperparameters` give the ``beta1`` curve for the adapters to apply beside the rate.
  Its momentum decay after the cycle (``decay_mom_rate`` with ``decay_step_size``) grows beta1
  without bound and is refused.
- ``LRRangeTest`` grows without limit: lrcore needs ``horizon`` (the steps of the test).
- ``"auto"`` values (filled in by transformers' DeepSpeed integration) are refused: resolve them first.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ConfigError
from .._params import did_you_mean
from .._schedule import Schedule
from ..catalog import Constant, Cosine, Cyclic, InverseTime, Linear, PiecewiseConstant, Table
from ..combinators import Join, Scale
from . import integer, native_errors, number

SCHEDULERS = ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest")


def _positive_int(where: str, name: str, value: Any) -> int:
    # DeepSpeed: `not isinstance(value, int) or value <= 0` raises ValueError (a float is refused).
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}.{name}", "a positive integer", value)
    return value


def _warmup_gammas(kind: str, steps: int) -> list[float]:
    """DeepSpeed's warmup gamma for ``last_batch_iteration`` 0 .. steps - 1, transcribed."""
    if kind == "log":
        inverse = 1.0 / math.log(steps)
        return [inverse * math.log(k + 1) for k in range(steps)]
    return [k / steps for k in range(steps)]


def _warmup_kind(where: str, warmup_type: Any) -> str:
    if warmup_type not in ("log", "linear"):
        # DeepSpeed logs a warning and falls back to "log": a silent change lrcore refuses.
        raise ConfigError(f"{where}.warmup_type", "'log' or 'linear'", warmup_type)
    return str(warmup_type)


def _warmup(low: float, high: float, steps: int, kind: str, after: Schedule) -> Schedule:
    """``low`` at update 0, the warmup over updates 1 .. steps, then ``after``."""
    if kind == "linear":
        if after == Constant(value=high):  # linear already holds its end
            return Join([Constant(value=low), Linear(start=low, end=high, steps=steps)], [1])
        return Join([Constant(value=low), Linear(start=low, end=high, steps=steps), after], [1, steps + 1])
    delta = high - low
    ramp = [low] + [low + delta * g for g in _warmup_gammas(kind, steps)]
    return Join([Table(values=ramp), after], [steps + 1])


@native_errors("WarmupLR")
def WarmupLR(
    warmup_min_lr: float = 0.0,
    warmup_max_lr: float | None = None,
    warmup_num_steps: int = 1000,
    warmup_type: str = "log",
    *,
    base_lr: float | None = None,
) -> Schedule:
    """Warm up from ``warmup_min_lr`` to ``warmup_max_lr`` (default: the optimizer's lr,
    ``base_lr``), then hold it."""
    where = "WarmupLR"
    steps = max(2, _positive_int(where, "warmup_num_steps", warmup_num_steps))
    kind = _warmup_kind(where, warmup_type)
    low = number(where, "warmup_min_lr", warmup_min_lr, minimum=0.0)
    if warmup_max_lr is None:
        if base_lr is None:
            raise ConfigError(
                f"{where}.warmup_max_lr", "a learning rate (or base_lr: the optimizer's lr)", None
            )
        warmup_max_lr = base_lr
    high = number(where, "warmup_max_lr", warmup_max_lr, minimum=0.0)
    return _warmup(low, high, steps, kind, Constant(value=high))


@native_errors("WarmupDecayLR")
def WarmupDecayLR(
    total_num_steps: int,
    warmup_min_lr: float = 0.0,
    warmup_max_lr: float = 0.001,
    warmup_num_steps: int = 1000,
    warmup_type: str = "log",
) -> Schedule:
    """:func:`WarmupLR`, then linear from ``warmup_max_lr`` back to ``warmup_min_lr`` at
    ``total_num_steps`` (DeepSpeed's gamma ``(total - k) / (total - warmup)``, floored at 0)."""
    where = "WarmupDecayLR"
    steps = max(2, _positive_int(where, "warmup_num_steps", warmup_num_steps))
    kind = _warmup_kind(where, warmup_type)
    total = integer(where, "total_num_steps", total_num_steps)
    low = number(where, "warmup_min_lr", warmup_min_lr, minimum=0.0)
    high = number(where, "warmup_max_lr", warmup_max_lr, minimum=0.0)
    decay: Schedule
    if total <= steps:  # DeepSpeed warns; its gamma is 0 from the end of the warmup on
        decay = Constant(value=low)
    else:
        decay = Linear(start=high, end=low, steps=total - steps)
    return _warmup(low, high, steps, kind, decay)


@native_errors("WarmupCosineLR")
def WarmupCosineLR(
    total_num_steps: int,
    warmup_min_ratio: float = 0.0,
    warmup_num_steps: int = 1000,
    cos_min_ratio: float = 0.0001,
    warmup_type: str = "log",
    *,
    base_lr: float,
) -> Schedule:
    """``base_lr`` (the optimizer's lr) times a ratio: 0 at update 0, warmup from
    ``warmup_min_ratio`` to 1, then a cosine to ``cos_min_ratio`` at ``total_num_steps``.

    Written as ``scale(join([constant(base_lr), cosine]), factor=table(warmup ratios))``: the
    cosine starts one update after the warmup's last, at DeepSpeed's progress
    ``1 / (total - warmup)``, which a join at the warmup's end gives; the warmup ratios (and the
    0 of update 0) are a table of factors on top.
    """
    where = "WarmupCosineLR"
    steps = max(2, _positive_int(where, "warmup_num_steps", warmup_num_steps))
    kind = _warmup_kind(where, warmup_type)
    total = integer(where, "total_num_steps", total_num_steps)
    base = number(where, "base_lr", base_lr, minimum=0.0)
    start = number(where, "warmup_min_ratio", warmup_min_ratio, minimum=0.0)
    # DeepSpeed clamps the ratio at 0; lrcore refuses a negative end instead of chasing the clamp.
    end = number(where, "cos_min_ratio", cos_min_ratio, minimum=0.0)
    ratios = [0.0] + [start + g * (1.0 - start) for g in _warmup_gammas(kind, steps)]
    cosine = Cosine(start=base, end=base * end, steps=max(1, total - steps))
    curve = Join([Constant(value=base), cosine], [steps])
    return Scale(curve, factor=Table(values=[*ratios, 1.0]))


@native_errors("OneCycle")
def OneCycle(
    cycle_min_lr: float,
    cycle_max_lr: float,
    decay_lr_rate: float = 0.0,
    cycle_first_step_size: int = 2000,
    cycle_second_step_size: int | None = None,
    cycle_first_stair_count: int = 0,
    cycle_second_stair_count: int | None = None,
    decay_step_size: int = 0,
    cycle_momentum: bool = True,
    cycle_min_mom: float = 0.8,
    cycle_max_mom: float = 0.9,
    decay_mom_rate: float = 0.0,
) -> Schedule:
    """A triangle from ``cycle_min_lr`` up to ``cycle_max_lr`` over ``cycle_first_step_size``
    and back over ``cycle_second_step_size``, then ``cycle_min_lr / (1 + decay_lr_rate * t' /
    decay_step_size)`` (``t'`` updates after the cycle; no decay when either is 0)."""
    where = "OneCycle"
    first = number(where, "cycle_first_step_size", cycle_first_step_size, minimum=0.0, open_min=True)
    second = (
        first
        if cycle_second_step_size is None
        else number(where, "cycle_second_step_size", cycle_second_step_size, minimum=0.0)
    )
    up = integer(where, "cycle_first_step_size", first)
    down = integer(where, "cycle_second_step_size", second)
    low = number(where, "cycle_min_lr", cycle_min_lr, minimum=0.0)
    high = number(where, "cycle_max_lr", cycle_max_lr, minimum=0.0)
    rate = number(where, "decay_lr_rate", decay_lr_rate, minimum=0.0)
    every = number(where, "decay_step_size", decay_step_size, minimum=0.0)
    stairs_up = integer(where, "cycle_first_stair_count", cycle_first_stair_count, minimum=0)
    stairs_down = (
        stairs_up
        if cycle_second_stair_count is None
        else integer(where, "cycle_second_stair_count", cycle_second_stair_count, minimum=0)
    )
    if cycle_momentum:
        warnings.warn(
            "DeepSpeed's OneCycle also cycles beta1 (and sets beta2 to 0.99), which this "
            "learning-rate schedule does not carry: apply lrcore.compat.deepspeed.hyperparameters"
            "(ds_config) (or OneCycleBeta1(**params)) beside it, or set cycle_momentum=False",
            stacklevel=3,
        )
    total = up + down
    cycle: Schedule
    if stairs_up or stairs_down:
        cycle = Table(
            values=[_one_cycle_lr(t, low, high, up, down, stairs_up, stairs_down) for t in range(total)]
        )
    elif down == 0:
        cycle = Linear(start=low, end=high, steps=up)
    else:
        cycle = Cyclic(low=low, high=high, up=up, down=None if down == up else down)
    after: Schedule = Constant(value=low)
    if rate != 0.0 and every != 0.0:
        after = InverseTime(start=low, rate=rate, steps=integer(where, "decay_step_size", every, minimum=1))
    return Join([cycle, after], [total])


@native_errors("OneCycle")
def OneCycleBeta1(
    cycle_min_lr: float = 0.0,
    cycle_max_lr: float = 0.0,
    decay_lr_rate: float = 0.0,
    cycle_first_step_size: int = 2000,
    cycle_second_step_size: int | None = None,
    cycle_first_stair_count: int = 0,
    cycle_second_stair_count: int | None = None,
    decay_step_size: int = 0,
    cycle_momentum: bool = True,
    cycle_min_mom: float = 0.8,
    cycle_max_mom: float = 0.9,
    decay_mom_rate: float = 0.0,
) -> Schedule:
    """The ``beta1`` DeepSpeed's OneCycle writes to an optimizer with ``betas`` (it takes
    :func:`OneCycle`'s parameters; the learning-rate ones are not used): ``cycle_min_mom`` at
    update 0 (set by the constructor), then ``cycle_max_mom - (cycle_max_mom - cycle_min_mom) *
    scale`` over the cycle where the lr is ``cycle_min_lr + (cycle_max_lr - cycle_min_lr) *
    scale`` (stairs included), and ``cycle_max_mom`` after it.

    Refused (:class:`ConfigError`): ``cycle_momentum=False`` (there is no beta1 curve), a
    momentum outside ``[0, 1)`` or ``cycle_min_mom > cycle_max_mom``, and a momentum decay
    (``decay_mom_rate`` and ``decay_step_size`` both nonzero: DeepSpeed then grows beta1 as
    ``cycle_max_mom * (1 + decay_mom_rate * t' / decay_step_size)``, past 1).
    """
    where = "OneCycle"
    if cycle_momentum is not True:
        raise ConfigError(
            f"{where}.cycle_momentum", "true (without it OneCycle leaves beta1 alone)", cycle_momentum
        )
    first = number(where, "cycle_first_step_size", cycle_first_step_size, minimum=0.0, open_min=True)
    second = (
        first
        if cycle_second_step_size is None
        else number(where, "cycle_second_step_size", cycle_second_step_size, minimum=0.0)
    )
    up = integer(where, "cycle_first_step_size", first)
    down = integer(where, "cycle_second_step_size", second)
    stairs_up = integer(where, "cycle_first_stair_count", cycle_first_stair_count, minimum=0)
    stairs_down = (
        stairs_up
        if cycle_second_stair_count is None
        else integer(where, "cycle_second_stair_count", cycle_second_stair_count, minimum=0)
    )
    low = number(where, "cycle_min_mom", cycle_min_mom, minimum=0.0)
    high = number(where, "cycle_max_mom", cycle_max_mom, minimum=0.0)
    rate = number(where, "decay_mom_rate", decay_mom_rate)
    every = number(where, "decay_step_size", decay_step_size, minimum=0.0)
    if not math.isclose(rate, 0) and not math.isclose(every, 0):  # DeepSpeed's skip_mom_decay test
        raise ConfigError(
            f"{where}.decay_mom_rate",
            "0 for the beta1 side (DeepSpeed's momentum decay grows beta1 as cycle_max_mom * "
            "(1 + decay_mom_rate * t / decay_step_size), without bound; lrcore does not port it)",
            decay_mom_rate,
        )
    if high >= 1.0:  # Adam refuses beta1 >= 1
        raise ConfigError(f"{where}.cycle_max_mom", "a momentum in [0, 1)", cycle_max_mom)
    if low > high:  # DeepSpeed does not check; its curve would run above cycle_max_mom
        raise ConfigError(f"{where}.cycle_min_mom", f"a momentum <= cycle_max_mom ({high})", cycle_min_mom)
    total = up + down
    if total == 1:
        return Join([Constant(value=low), Constant(value=high)], [1])
    # Updates 1 .. total - 1 follow the lr's shape upside down; update 0 runs at cycle_min_mom
    # (the constructor's betas) where the cycle is at its top; from update total on, cycle_max_mom.
    if stairs_up or stairs_down:  # tabulated, as the lr's stairs are
        values = [_one_cycle_mom(t, low, high, up, down, stairs_up, stairs_down) for t in range(1, total)]
        return Join([Constant(value=low), Table(values=values), Constant(value=high)], [1, total])
    cycle: Schedule
    if down == 0:
        cycle = Linear(start=high, end=low, steps=up)
    else:
        cycle = Cyclic(
            low=0.0,
            high=0.0,
            up=up,
            down=None if down == up else down,
            base_momentum=low,
            max_momentum=high,
            curve="momentum",
        )
    first_update = Table(values=[low / high if high else 1.0, 1.0])
    return Join([Scale(cycle, factor=first_update), Constant(value=high)], [total])


def _one_cycle_mom(
    b: int, low: float, high: float, up: int, down: int, stairs_up: int, stairs_down: int
) -> float:
    """DeepSpeed's ``_get_cycle_mom``: ``high - (high - low) * scale`` with the lr's scale."""
    scale = _one_cycle_lr(b, 0.0, 1.0, up, down, stairs_up, stairs_down)  # 0 + 1 * scale
    return high - (high - low) * scale


def _one_cycle_lr(
    b: int, low: float, high: float, up: int, down: int, stairs_up: int, stairs_down: int
) -> float:
    """DeepSpeed's ``_get_scale_factor`` with stairs, transcribed (``b`` = batch_iteration)."""
    total = float(up + down)
    ratio = up / total
    x = 1.0 + b / total - math.floor(1 + b / total)
    if x <= ratio:
        scale, stairs = x / ratio, stairs_up
    else:
        scale, stairs = (x - 1) / (ratio - 1), stairs_down
    if stairs > 0:
        at = b % total
        position = at * stairs / up if at <= up else (total - at) * stairs / down
        scale = math.floor(position) / stairs
    return low + (high - low) * scale


@native_errors("LRRangeTest")
def LRRangeTest(
    lr_range_test_min_lr: float = 1e-3,
    lr_range_test_step_size: int = 2000,
    lr_range_test_step_rate: float = 1.0,
    lr_range_test_staircase: bool = False,
    *,
    horizon: int | None = None,
) -> Schedule:
    """``min_lr * (1 + step_rate * t / step_size)`` (``floor(t / step_size)`` with staircase) up
    to ``horizon``, then held: DeepSpeed grows forever, lrcore needs the test's length."""
    where = "LRRangeTest"
    size = _positive_int(where, "lr_range_test_step_size", lr_range_test_step_size)
    low = number(where, "lr_range_test_min_lr", lr_range_test_min_lr, minimum=0.0)
    rate = number(where, "lr_range_test_step_rate", lr_range_test_step_rate, minimum=0.0)
    if rate == 0.0:
        return Constant(value=low)
    if horizon is None:
        raise ConfigError(
            f"{where}.horizon",
            "the number of steps of the range test (DeepSpeed's lr grows without limit; lrcore holds it after)",
            None,
        )
    steps = integer(where, "horizon", horizon, minimum=1)
    if not lr_range_test_staircase:
        return Linear(start=low, end=low * (1 + rate * (steps / size)), steps=steps)
    marks = list(range(size, steps + 1, size))
    if not marks:
        return Constant(value=low)
    return PiecewiseConstant(boundaries=marks, values=[low * (1 + rate * i) for i in range(len(marks) + 1)])


def _section(
    ds_config: Mapping[str, Any] | str | os.PathLike[str], group: int | None
) -> tuple[Mapping[str, Any], str, dict[str, Any]]:
    """The config (read from its file), its scheduler type and its params with per-group lists
    resolved to ``group``'s value; refused values raise :class:`ConfigError`."""
    if isinstance(ds_config, (str, os.PathLike)):
        with open(ds_config, encoding="utf-8") as file:
            ds_config = json.load(file)
    if not isinstance(ds_config, Mapping):
        raise ConfigError("ds_config", "a DeepSpeed config mapping or the path of its JSON file", ds_config)
    section = ds_config.get("scheduler")
    if not isinstance(section, Mapping):
        raise ConfigError("scheduler", "a mapping with 'type' and 'params'", section)
    kind = section.get("type")
    if kind not in SCHEDULERS:
        hint = did_you_mean(kind, SCHEDULERS) if isinstance(kind, str) else ""
        raise ConfigError("scheduler.type", "one of " + ", ".join(map(repr, SCHEDULERS)), kind, hint=hint)
    params = dict(section.get("params") or {})
    for key, value in params.items():
        if value == "auto":
            raise ConfigError(
                f"scheduler.params.{key}",
                "a value ('auto' is filled in by transformers' DeepSpeed integration: resolve it first)",
                value,
            )
        if key == "last_batch_iteration" and value != -1:
            raise ConfigError(
                f"scheduler.params.{key}", "-1 (a schedule starts at 0; resume through the adapter)", value
            )
    params.pop("last_batch_iteration", None)
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            if group is None:
                raise ConfigError(
                    f"scheduler.params.{key}",
                    "a number (for DeepSpeed's per-group list, pass group=i)",
                    value,
                )
            if not 0 <= group < len(value):
                raise ConfigError("group", f"a param group index in [0, {len(value)})", group)
            params[key] = value[group]
    return ds_config, str(kind), params


def from_config(
    ds_config: Mapping[str, Any] | str | os.PathLike[str],
    *,
    base_lr: float | None = None,
    horizon: int | None = None,
    group: int | None = None,
) -> Schedule:
    """The lrcore schedule of a DeepSpeed config's ``scheduler`` section.

    ``base_lr`` (the optimizer's lr) defaults to the config's ``optimizer.params.lr``; WarmupLR
    without ``warmup_max_lr`` and WarmupCosineLR need it. ``horizon`` is LRRangeTest's length.
    DeepSpeed takes a list (one value per param group) for its learning rates and momenta:
    ``group=i`` ports group ``i``'s curve.
    """
    ds_config, kind, params = _section(ds_config, group)
    if base_lr is None:
        optimizer = ds_config.get("optimizer")
        if isinstance(optimizer, Mapping) and isinstance(optimizer.get("params"), Mapping):
            base_lr = optimizer["params"].get("lr")
    builders: dict[str, Callable[..., Schedule]] = {
        "WarmupLR": WarmupLR,
        "WarmupDecayLR": WarmupDecayLR,
        "WarmupCosineLR": WarmupCosineLR,
        "OneCycle": OneCycle,
        "LRRangeTest": LRRangeTest,
    }
    build = builders[kind]
    extra: dict[str, Any] = {}
    if kind == "WarmupLR" and params.get("warmup_max_lr") is None:
        extra["base_lr"] = base_lr
    elif kind == "WarmupCosineLR":
        if base_lr is None:
            raise ConfigError("optimizer.params.lr", "the optimizer's lr (or pass base_lr=)", None)
        extra["base_lr"] = base_lr
    elif kind == "LRRangeTest":
        extra["horizon"] = horizon
    try:
        schedule: Schedule = build(**params, **extra)
    except TypeError as error:
        raise ConfigError(
            "scheduler.params", f"the parameters of DeepSpeed's {kind}", params, hint=str(error)
        ) from None
    return schedule


def hyperparameters(
    ds_config: Mapping[str, Any] | str | os.PathLike[str], *, group: int | None = None
) -> dict[str, Schedule]:
    """The other hyperparameters a DeepSpeed config's scheduler drives beside the learning rate,
    keyed as :meth:`lrcore.Schedule.hyperparameters` keys them: ``{"beta1": ...}`` for OneCycle
    with ``cycle_momentum`` (its default; DeepSpeed applies it only to an optimizer with
    ``betas`` and logs that it is disabled otherwise), ``{}`` for every other scheduler.
    ``group`` picks one param group's value from per-group lists, as in :func:`from_config`.
    """
    _, kind, params = _section(ds_config, group)
    if kind != "OneCycle" or params.get("cycle_momentum", True) is False:
        return {}
    try:
        return {"beta1": OneCycleBeta1(**params)}
    except TypeError as error:
        raise ConfigError(
            "scheduler.params", "the parameters of DeepSpeed's OneCycle", params, hint=str(error)
        ) from None


__all__ = [
    "SCHEDULERS",
    "LRRangeTest",
    "OneCycle",
    "OneCycleBeta1",
    "WarmupCosineLR",
    "WarmupDecayLR",
    "WarmupLR",
    "from_config",
    "hyperparameters",
]
