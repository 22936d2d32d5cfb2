"""Port a schedule a user already has: a live torch scheduler, a Keras schedule or its config,
or a Python function.

>>> from lrcore.porting import from_function
>>> s = from_function(lambda epoch: 0.01 * 0.1 ** (epoch // 5), steps=15)
>>> s(4), round(s(5), 12), round(s(14), 12)
(0.01, 0.001, 0.0001)

The converters read the native object's attributes; they import the framework only when given
one of its objects. Anything they cannot port exactly raises :class:`lrcore.ConfigError` or
``TypeError`` naming it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import ConfigError
from ._params import Rate
from ._plateau import Plateau
from ._schedule import Schedule, as_schedule
from .catalog import Constant, Table
from .combinators import Scale
from .compat import integer, number
from .compat import keras as _keras
from .compat import torch as _torch

# -- host functions ----------------------------------------------------------------------


def _rate(value: Any, where: str) -> float:
    # A host function may return any float-like (a NumPy or 0-d framework scalar).
    if not isinstance(value, (bool, str, bytes)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
    result: float = _RATE.coerce(value, where)
    return result


_RATE = Rate()


def from_function(
    fn: Callable[..., Any],
    steps: int,
    *,
    base_lr: float | None = None,
    initial_lr: float | None = None,
    state_bits: int = 64,
) -> Schedule:
    """Tabulate a host function into a ``table`` over ``steps`` steps (held afterwards).

    - ``fn(t)`` returns the learning rate, or with ``base_lr`` a multiplier of it (torch's
      LambdaLR: ``lr = base_lr * fn(t)``).
    - With ``initial_lr``, ``fn(epoch, lr)`` is Keras' LearningRateScheduler recurrence: the
      value of epoch ``e`` is ``fn(e, value of epoch e - 1)``, starting from ``initial_lr``.
      Keras reads ``lr`` back from its float32 optimizer variable: ``state_bits=32`` rounds
      the state the same way, which reproduces Keras' applied values exactly.

    The table is indexed by whatever ``fn`` counts: for an epoch function used on a step
    counter wrap it, ``lrcore.per_epoch(from_function(fn, epochs), steps_per_epoch)``.
    A NaN, infinite or negative output raises :class:`ConfigError` naming the step.

    >>> import math
    >>> s = from_function(lambda e, lr: lr if e < 10 else lr * math.exp(-0.1), 15, initial_lr=0.01)
    >>> round(s(14), 5)
    0.00607
    """
    steps = integer("from_function", "steps", steps, minimum=1)
    if state_bits not in (32, 64):
        raise ConfigError("state_bits", "32 or 64", state_bits)
    values: list[float] = []
    if initial_lr is not None:
        if base_lr is not None:
            raise ConfigError(
                "base_lr", "None when initial_lr is given (fn(epoch, lr) returns the lr)", base_lr
            )
        lr = number("from_function", "initial_lr", initial_lr, minimum=0.0)
        for epoch in range(steps):
            value = _rate(fn(epoch, _state(lr, state_bits)), f"fn({epoch}, lr)")
            values.append(value)
            lr = value
    else:
        scale = 1.0 if base_lr is None else number("from_function", "base_lr", base_lr, minimum=0.0)
        for t in range(steps):
            values.append(_rate(scale * _rate(fn(t), f"fn({t})"), f"fn({t})"))
    return Table(values=values)


def _state(lr: float, bits: int) -> float:
    if bits == 64:
        return lr
    import numpy as np

    return float(np.float32(lr))


# -- torch -------------------------------------------------------------------------------

_MULTIPLICATIVE = ("StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR")


def from_torch(scheduler: Any, *, group: int | None = None, steps: int | None = None) -> Schedule | Plateau:
    """The lrcore schedule of a constructed ``torch.optim.lr_scheduler`` scheduler.

    Reads the scheduler's parameters and the optimizer's initial lrs (``base_lrs``). Every
    scheduler of ``torch.optim.lr_scheduler`` is supported, SequentialLR and ChainedScheduler of
    supported ones included; LambdaLR and MultiplicativeLR hold Python functions and need
    ``steps`` to be tabulated. When param groups follow different curves, pass ``group``.
    The schedule starts at step 0 whatever the scheduler's ``last_epoch``.

    CyclicLR and OneCycleLR with ``cycle_momentum`` (torch's default) come with their momentum
    side, ``schedule.hyperparameters()["momentum"]``: the curve torch writes to the group's
    ``momentum``, or to ``betas[0]`` for an optimizer with betas (Adam, AdamW, ...).
    """
    from torch.optim import lr_scheduler as L

    if not isinstance(scheduler, (L.LRScheduler, L.ReduceLROnPlateau)):
        raise TypeError(
            f"from_torch expects a torch.optim.lr_scheduler scheduler, got {type(scheduler).__name__}"
        )
    count = len(scheduler.optimizer.param_groups)
    if group is not None:
        if not 0 <= group < count:
            raise ConfigError("group", f"a param group index in [0, {count})", group)
        return _from_torch(scheduler, group, steps, L)
    schedules = [_from_torch(scheduler, i, steps, L) for i in range(count)]
    if any(s != schedules[0] for s in schedules[1:]):
        raise ConfigError(
            "group",
            "a param group index: the groups follow different curves "
            "(port each with from_torch(scheduler, group=i))",
            None,
        )
    return schedules[0]


def _from_torch(s: Any, i: int, steps: int | None, L: Any) -> Schedule | Plateau:
    kind = type(s).__name__
    if kind == "SWALR":
        from torch.optim.swa_utils import SWALR

        if type(s) is SWALR:
            return _swalr(s, i)
    if getattr(L, kind, None) is not type(s):
        raise TypeError(
            f"{type(s).__qualname__} is not a torch.optim.lr_scheduler class (a subclass may "
            "override get_lr): port its curve with lrcore.porting.from_function"
        )
    group = s.optimizer.param_groups[i]
    base = float(s.base_lrs[i]) if hasattr(s, "base_lrs") else float(group.get("initial_lr", group["lr"]))
    if kind == "StepLR":
        return _torch.StepLR(base, s.step_size, s.gamma)
    if kind == "MultiStepLR":
        return _torch.MultiStepLR(base, list(s.milestones.elements()), s.gamma)
    if kind == "ConstantLR":
        return _torch.ConstantLR(base, s.factor, s.total_iters)
    if kind == "LinearLR":
        return _torch.LinearLR(base, s.start_factor, s.end_factor, s.total_iters)
    if kind == "ExponentialLR":
        return _torch.ExponentialLR(base, s.gamma)
    if kind == "PolynomialLR":
        return _torch.PolynomialLR(base, s.total_iters, s.power)
    if kind == "CosineAnnealingLR":
        return _torch.CosineAnnealingLR(base, s.T_max, s.eta_min)
    if kind == "CosineAnnealingWarmRestarts":
        return _torch.CosineAnnealingWarmRestarts(base, s.T_0, s.T_mult, s.eta_min)
    if kind == "CyclicLR":
        return _cyclic(s, i)
    if kind == "OneCycleLR":
        return _one_cycle(s, i)
    if kind == "SequentialLR":
        parts = [
            as_schedule(_from_torch(inner, i, steps, L), f"SequentialLR.schedulers[{k}]")
            for k, inner in enumerate(s._schedulers)
        ]
        return _torch.SequentialLR(parts, list(s._milestones))
    if kind == "ChainedScheduler":
        for inner in s._schedulers:
            name = type(inner).__name__
            if name not in _MULTIPLICATIVE and not (name == "CosineAnnealingLR" and inner.eta_min == 0):
                raise TypeError(
                    f"ChainedScheduler of {name} is not supported: torch chains by multiplying the "
                    f"current lr, which only composes for {', '.join(_MULTIPLICATIVE)} and "
                    "CosineAnnealingLR with eta_min=0"
                )
        chained = [
            as_schedule(_from_torch(inner, i, steps, L), f"ChainedScheduler.schedulers[{k}]")
            for k, inner in enumerate(s._schedulers)
        ]
        return _torch.ChainedScheduler(chained, base)
    if kind in ("LambdaLR", "MultiplicativeLR"):
        if steps is None:
            raise TypeError(
                f"{kind} holds a Python function: pass steps=N to tabulate it over N steps "
                "(from_torch(scheduler, steps=N))"
            )
        fn = s.lr_lambdas[i]
        if kind == "LambdaLR":
            return from_function(fn, steps, base_lr=base)
        return from_function(lambda e, lr: lr if e == 0 else lr * float(fn(e)), steps, initial_lr=base)
    if kind == "ReduceLROnPlateau":
        return _plateau(s, i)
    raise TypeError(f"{kind} is not supported by from_torch")


def _swalr(s: Any, i: int) -> Schedule:
    group = s.optimizer.param_groups[i]
    swa, epochs = float(group["swa_lr"]), int(s.anneal_epochs)
    # torch recovers the lr SWALR started from out of the current one at every step; so does this
    # (exact before the first step, as after construction).
    step = s._step_count - 1
    alpha = s.anneal_func(max(0.0, min(1.0, max(step, 1 if epochs == 0 else 0) / max(1, epochs))))
    if alpha == 1:
        if epochs == 0:
            return _torch.SWALR(swa, swa, 0, s._anneal_strategy)
        raise ConfigError(
            "SWALR", "a scheduler still annealing (its start lr is gone once it reaches swa_lr)", step
        )
    start = (float(group["lr"]) - alpha * swa) / (1 - alpha)
    return _torch.SWALR(start, swa, epochs, s._anneal_strategy)


def _cyclic(s: Any, i: int) -> Schedule:
    if s._scale_fn_custom is not None:
        raise ConfigError(
            "CyclicLR.scale_fn",
            "None (a custom scale_fn is not supported: tabulate the curve with lrcore.porting.from_function)",
            s._scale_fn_custom,
        )
    up = round(s.total_size * s.step_ratio)
    down = round(s.total_size) - up
    down_or_none = None if down == up else down  # torch's default: step_size_down = step_size_up
    momentum: dict[str, Any] = {"cycle_momentum": bool(s.cycle_momentum)}
    if s.cycle_momentum:
        momentum |= {"base_momentum": float(s.base_momentums[i]), "max_momentum": float(s.max_momentums[i])}
    return _torch.CyclicLR(
        float(s.base_lrs[i]), float(s.max_lrs[i]), up, down_or_none, s.mode, s.gamma, **momentum
    )


def _one_cycle(s: Any, i: int) -> Schedule:
    group = s.optimizer.param_groups[i]
    peak, initial, final = float(group["max_lr"]), float(group["initial_lr"]), float(group["min_lr"])
    momentum: dict[str, Any] = {"cycle_momentum": bool(s.cycle_momentum)}
    if s.cycle_momentum:  # torch keeps them in the group: SGD's momentum, or betas[0]
        momentum |= {
            "base_momentum": float(group["base_momentum"]),
            "max_momentum": float(group["max_momentum"]),
        }
    total = s.total_steps
    end1 = float(s._schedule_phases[0]["end_step"])
    pct = (end1 + 1) / total
    for _ in range(4):  # the pct_start whose float(pct * total) - 1 is torch's phase end, bit for bit
        if float(pct * total) - 1 == end1:
            break
        pct = math.nextafter(pct, math.inf if float(pct * total) - 1 < end1 else -math.inf)
    return _torch.OneCycleLR(
        peak,
        total_steps=total,
        pct_start=pct,
        anneal_strategy=s._anneal_func_type,
        div_factor=peak / initial,
        final_div_factor=initial / final,
        three_phase=len(s._schedule_phases) == 3,
        **momentum,
    )


def _plateau(s: Any, i: int) -> Plateau:
    from .compat import load_plateau

    plateau = load_plateau()
    return plateau(
        float(s.optimizer.param_groups[i].get("initial_lr", s.optimizer.param_groups[i]["lr"])),
        mode=s.mode,
        factor=s.factor,
        patience=s.patience,
        threshold=s.threshold,
        threshold_mode=s.threshold_mode,
        cooldown=s.cooldown,
        min_lr=float(s.min_lrs[i]),
        eps=s.eps,
    )


# -- timm --------------------------------------------------------------------------------

_TIMM_FIELDS = {
    "CosineLRScheduler": ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "k_decay"),
    "PolyLRScheduler": ("t_initial", "power", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "k_decay"),
    "TanhLRScheduler": ("t_initial", "lb", "ub", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit"),
    "StepLRScheduler": ("decay_t", "decay_rate"),
    "MultiStepLRScheduler": ("decay_t", "decay_rate"),
    "WSDLRScheduler": (
        "t_initial",
        "decay_t",
        "lr_min",
        "stable_fn",
        "stable_timescale",
        "stable_power",
        "decay_fn",
        "decay_power",
        "decay_ratio",
    ),
}


def from_timm(scheduler: Any, *, group: int | None = None) -> Schedule | Plateau:
    """The lrcore schedule of a constructed ``timm.scheduler`` scheduler (no timm import).

    The value at ``t`` is the lr ``scheduler.step(t)`` (or ``step_update(t)``) sets; a param
    group's ``lr_scale`` (layer-wise decay) scales its curve. When param groups follow
    different curves, pass ``group``. Noise (``noise_range_t``) is refused.
    """
    kind = type(scheduler).__name__
    if not type(scheduler).__module__.startswith("timm.scheduler") or (
        kind not in _TIMM_FIELDS and kind != "PlateauLRScheduler"
    ):
        raise TypeError(
            f"from_timm expects a timm.scheduler scheduler ({', '.join([*_TIMM_FIELDS, 'PlateauLRScheduler'])}), "
            f"got {type(scheduler).__qualname__}"
        )
    count = len(scheduler.optimizer.param_groups)
    if group is not None:
        if not 0 <= group < count:
            raise ConfigError("group", f"a param group index in [0, {count})", group)
        return _from_timm(scheduler, kind, group)
    ported = [_from_timm(scheduler, kind, i) for i in range(count)]
    if any(p != ported[0] for p in ported[1:]):
        raise ConfigError(
            "group",
            "a param group index: the groups follow different curves (port each with from_timm(scheduler, group=i))",
            None,
        )
    return ported[0]


def _from_timm(s: Any, kind: str, i: int) -> Schedule | Plateau:
    from .compat import timm as _timm

    param_group = s.optimizer.param_groups[i]
    scale = float(param_group.get("lr_scale", 1.0))
    base = float(s.base_values[i])
    if kind == "PlateauLRScheduler":
        inner = s.lr_scheduler
        return _timm.PlateauLRScheduler(
            base * scale,
            decay_rate=inner.factor,
            patience_t=inner.patience,
            threshold=inner.threshold,
            cooldown_t=inner.cooldown,
            warmup_t=s.warmup_t,
            warmup_lr_init=s.warmup_lr_init,
            lr_min=float(inner.min_lrs[i]),
            mode=inner.mode,
            noise_range_t=s.noise_range_t,
        )
    fields = {name: getattr(s, name) for name in _TIMM_FIELDS[kind]}
    if kind != "WSDLRScheduler":  # its warmup is always a prefix
        fields["warmup_prefix"] = s.warmup_prefix
    build: Callable[..., Schedule] = getattr(_timm, kind)
    schedule = build(
        base, **fields, warmup_t=s.warmup_t, warmup_lr_init=s.warmup_lr_init, noise_range_t=s.noise_range_t
    )
    return schedule if scale == 1.0 else Scale(schedule, factor=scale)


# -- Keras -------------------------------------------------------------------------------

_KERAS: dict[str, Callable[..., Schedule]] = {
    "ExponentialDecay": _keras.ExponentialDecay,
    "PiecewiseConstantDecay": _keras.PiecewiseConstantDecay,
    "PolynomialDecay": _keras.PolynomialDecay,
    "InverseTimeDecay": _keras.InverseTimeDecay,
    "CosineDecay": _keras.CosineDecay,
    "CosineDecayRestarts": _keras.CosineDecayRestarts,
}


def from_keras(schedule_or_config: Any) -> Schedule:
    """The lrcore schedule of a ``keras.optimizers.schedules`` schedule, of its serialized form
    (``keras.optimizers.schedules.serialize``: ``{"class_name": ..., "config": ...}``), or of
    its ``get_config()`` dict (the class is recognised from the keys; ExponentialDecay and
    InverseTimeDecay share theirs and are told apart by ``name``). A float is a constant.
    """
    obj = schedule_or_config
    if isinstance(obj, Schedule):
        return obj
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return Constant(value=obj)
    if isinstance(obj, Mapping):
        if "class_name" in obj and "config" in obj:
            name, config = str(obj["class_name"]), dict(obj["config"])
        else:
            config = dict(obj)
            name = _keras_class(config)
    else:
        cls = type(obj)
        if not cls.__module__.startswith("keras") or cls.__name__ not in _KERAS:
            raise TypeError(
                f"{cls.__qualname__} is not a built-in Keras schedule: port a custom schedule with "
                "lrcore.porting.from_function"
            )
        name, config = cls.__name__, dict(obj.get_config())
    if name not in _KERAS:
        raise ConfigError(
            "class_name", "a keras.optimizers.schedules class (" + ", ".join(_KERAS) + ")", name
        )
    try:
        return _KERAS[name](**config)
    except TypeError as error:
        raise ConfigError(
            name, "the parameters of keras.optimizers.schedules." + name, config, hint=str(error)
        ) from None


def _keras_class(config: Mapping[str, Any]) -> str:
    keys = set(config)
    if "first_decay_steps" in keys:
        return "CosineDecayRestarts"
    if "boundaries" in keys:
        return "PiecewiseConstantDecay"
    if "end_learning_rate" in keys or "cycle" in keys:
        return "PolynomialDecay"
    if "warmup_target" in keys or "alpha" in keys:
        return "CosineDecay"
    if config.get("name") in ("ExponentialDecay", "InverseTimeDecay"):
        return str(config["name"])
    raise ConfigError(
        "class_name",
        "a serialized Keras schedule ({'class_name': ..., 'config': ...}): this "
        "get_config() dict does not say whether it is an ExponentialDecay or an InverseTimeDecay",
        dict(config),
    )


__all__ = ["from_function", "from_keras", "from_timm", "from_torch"]
