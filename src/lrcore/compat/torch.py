"""torch.optim.lr_scheduler as lrcore schedules, without importing torch.

Each constructor takes the native parameters with ``base_lr`` (the optimizer's initial lr)
in place of the optimizer; ``last_epoch`` does not apply (a schedule is a curve from step 0;
resume through the adapter). The value at step ``t`` is the lr torch applies after ``t`` calls
of ``scheduler.step()``.

>>> import lrcore.compat.torch as T
>>> T.CosineAnnealingLR(base_lr=0.1, T_max=50, eta_min=1e-5)
lrcore.cosine(start=0.1, end=1e-05, steps=50)

Differences, all measured in ``tests/compat/test_torch.py``:

- torch updates most schedulers *recursively* (``lr *= ratio``); lrcore evaluates the closed
  form. The recursion drifts by rounding: measured at most 1.5e-14 of the peak lr over
  10,000 steps (LinearLR, PolynomialLR, ExponentialLR, CosineAnnealingLR up to ``T_max``),
  2.6e-12 of the peak when CosineAnnealingLR runs past ``T_max``.
- CosineAnnealingLR keeps oscillating after ``T_max`` (period ``2 * T_max``); lrcore holds
  ``eta_min`` unless ``horizon`` asks for the oscillation up to a step.
- OneCycleLR allows one step past ``total_steps - 1`` (extrapolating the last phase) and then
  raises; lrcore holds the final value.
- CyclicLR and OneCycleLR cycle momentum (beta1 for an optimizer with ``betas``) by default,
  and so do these ports: the schedule carries it as ``schedule.hyperparameters()["momentum"]``,
  which the adapters apply beside the learning rate (``cycle_momentum=False`` leaves it out, as
  in torch). Measured in ``tests/compat/test_momentum.py`` (300 real updates on SGD, Adam,
  AdamW): OneCycleLR's momentum within 1 ulp of torch's, CyclicLR's within 3 ulps (torch's
  float cycle phase adds about one ulp of 1 per cycle; lrcore counts the phase in integers).
  Momentum values must lie in ``[0, 1)`` with ``base_momentum <= max_momentum`` (torch does
  not check). SequentialLR and ChainedScheduler refuse a scheduler that cycles momentum:
  lrcore's ``join`` and ``scale`` carry no momentum side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .._errors import ConfigError
from .._schedule import Schedule
from ..catalog import (
    Constant,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    Linear,
    Multistep,
    OneCycle,
    PiecewiseConstant,
    Polynomial,
    Step,
)
from ..combinators import AfterHorizon, Join, Scale
from . import integer, native_errors, number


@native_errors("StepLR")
def StepLR(base_lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``base_lr * gamma ** (t // step_size)``."""
    step_size = integer("StepLR", "step_size", step_size, minimum=1)
    if gamma == 0:
        return PiecewiseConstant(boundaries=[step_size], values=[base_lr, 0.0])
    return Step(start=base_lr, gamma=gamma, step_size=step_size)


@native_errors("MultiStepLR")
def MultiStepLR(base_lr: float, milestones: Iterable[int], gamma: float = 0.1) -> Schedule:
    """``base_lr * gamma ** (number of milestones <= t)``; a repeated milestone counts as often
    as it appears (torch keeps a Counter), a milestone at 0 applies from the start."""
    counts = Counter(integer("MultiStepLR", f"milestones[{i}]", m) for i, m in enumerate(milestones))
    base_lr = number("MultiStepLR", "base_lr", base_lr, minimum=0.0)
    gamma = number("MultiStepLR", "gamma", gamma, minimum=0.0)
    start = base_lr * gamma ** counts.pop(0, 0)
    marks = sorted(m for m in counts if m > 0)
    if not marks:
        return Constant(value=start)
    if all(counts[m] == 1 for m in marks) and gamma <= 1.0:
        return Multistep(start=start, milestones=marks, gamma=gamma)
    values, lr = [start], start
    for m in marks:  # torch multiplies the current lr by gamma ** count at each milestone
        lr = lr * gamma ** counts[m]
        values.append(lr)
    return PiecewiseConstant(boundaries=marks, values=values)


@native_errors("ConstantLR")
def ConstantLR(base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """``base_lr * factor`` before ``total_iters``, then ``base_lr``.

    With ``total_iters=0`` torch applies ``factor`` at step 0 and never undoes it (its
    recursive update only undoes at ``last_epoch == total_iters``, which step 0 already was).
    """
    total_iters = integer("ConstantLR", "total_iters", total_iters, minimum=0)
    factor = number("ConstantLR", "factor", factor, minimum=0.0)
    if factor > 1.0:  # torch: ValueError
        raise ConfigError("ConstantLR.factor", "a number in [0, 1]", factor)
    if total_iters == 0:
        return Constant(value=base_lr * factor)
    return PiecewiseConstant(boundaries=[total_iters], values=[base_lr * factor, base_lr])


@native_errors("LinearLR")
def LinearLR(
    base_lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    """Linear from ``base_lr * start_factor`` to ``base_lr * end_factor`` over ``total_iters``.

    With ``total_iters=0`` torch stays at ``base_lr * start_factor`` (the recursion never runs).
    """
    total_iters = integer("LinearLR", "total_iters", total_iters, minimum=0)
    # torch: ValueError outside (0, 1] for start_factor and [0, 1] for end_factor
    start_factor = number("LinearLR", "start_factor", start_factor, minimum=0.0, open_min=True)
    end_factor = number("LinearLR", "end_factor", end_factor, minimum=0.0)
    for name, value in (("start_factor", start_factor), ("end_factor", end_factor)):
        if value > 1.0:
            raise ConfigError(f"LinearLR.{name}", "a number <= 1", value)
    if total_iters == 0:
        return Constant(value=base_lr * start_factor)
    return Linear(start=base_lr * start_factor, end=base_lr * end_factor, steps=total_iters)


@native_errors("ExponentialLR")
def ExponentialLR(base_lr: float, gamma: float) -> Schedule:
    """``base_lr * gamma ** t`` (torch multiplies recursively; lrcore evaluates the power)."""
    return Exponential(start=base_lr, rate=gamma)


@native_errors("PolynomialLR")
def PolynomialLR(base_lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """``base_lr * (1 - t / total_iters) ** power``, 0 from ``total_iters`` on."""
    total_iters = integer("PolynomialLR", "total_iters", total_iters, minimum=0)
    power = number("PolynomialLR", "power", power, minimum=0.0)
    if total_iters == 0 or power == 0.0:
        return Constant(value=base_lr)  # torch: the recursion never runs / ratio ** 0 == 1
    return Polynomial(start=base_lr, end=0.0, steps=total_iters, power=power)


@native_errors("CosineAnnealingLR")
def CosineAnnealingLR(
    base_lr: float, T_max: int, eta_min: float = 0.0, horizon: int | None = None
) -> Schedule:
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2`` at every step.

    torch keeps going past ``T_max``: the lr climbs back to ``base_lr`` at ``2 * T_max`` and
    oscillates; so does this port (``after_horizon(cosine, policy="continue")``). ``horizon``
    is accepted for older code and no longer needed. torch's recursive update drifts from this
    closed form by rounding only (measured <= 1.5e-14 of ``base_lr`` over 10,000 steps;
    2.6e-12 past ``T_max``).
    """
    T_max = integer("CosineAnnealingLR", "T_max", T_max, minimum=1)
    if horizon is not None:
        integer("CosineAnnealingLR", "horizon", horizon, minimum=0)
    return AfterHorizon(Cosine(start=base_lr, end=eta_min, steps=T_max), policy="continue")


def _no_momentum_side(where: str, schedulers: Sequence[Schedule]) -> None:
    """Refuse a scheduler that drives another hyperparameter: the combined schedule (``join``,
    ``scale``) would carry the learning rate alone and drop it silently."""
    for i, schedule in enumerate(schedulers):
        sides = schedule.hyperparameters() if isinstance(schedule, Schedule) else {}
        if sides:
            raise ConfigError(
                f"{where}.schedulers[{i}]",
                f"a scheduler without a {' or '.join(sorted(sides))} side (lrcore's {where} port carries "
                "the learning rate alone: build it with cycle_momentum=False and drive momentum with its "
                "own schedule)",
                schedule,
            )


@native_errors("SequentialLR")
def SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """Scheduler ``i`` runs from ``milestones[i - 1]``, restarted at its own step 0 (torch
    calls ``_update_lr(0)`` on it there): lrcore's ``join``."""
    if not schedulers:  # torch: ValueError
        raise ConfigError("schedulers", "at least one scheduler", list(schedulers))
    _no_momentum_side("SequentialLR", schedulers)
    if len(milestones) != len(schedulers) - 1:
        raise ConfigError(
            "milestones",
            f"{len(schedulers) - 1} milestones for {len(schedulers)} schedulers",
            list(milestones),
        )
    if not milestones:
        return schedulers[0]
    return Join(list(schedulers), list(milestones))


@native_errors("ChainedScheduler")
def ChainedScheduler(schedulers: Sequence[Schedule], base_lr: float) -> Schedule:
    """All schedulers step together on the same lr: for torch's multiplicative schedulers
    (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR
    with ``eta_min=0`` up to ``T_max``) the lr is ``base_lr * prod(s_i(t) / base_lr)``.

    ``base_lr`` replaces the optimizer argument. Schedulers that set an absolute lr (CyclicLR,
    OneCycleLR, CosineAnnealingWarmRestarts, CosineAnnealingLR with ``eta_min > 0``) do not
    chain multiplicatively in torch; :func:`lrcore.porting.from_torch` refuses them.
    """
    if not schedulers:
        raise ConfigError("schedulers", "at least one scheduler", list(schedulers))
    _no_momentum_side("ChainedScheduler", schedulers)
    base_lr = number("ChainedScheduler", "base_lr", base_lr, minimum=0.0, open_min=True)
    result = schedulers[0]
    for other in schedulers[1:]:
        result = Scale(result, factor=Scale(other, factor=1.0 / base_lr))
    return result


@native_errors("CyclicLR")
def CyclicLR(
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Any = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Schedule:
    """Triangular cycles between ``base_lr`` and ``max_lr`` (modes ``triangular``,
    ``triangular2``, ``exp_range``). A custom ``scale_fn`` is a Python function: port it with
    :func:`lrcore.porting.from_function`. With ``cycle_momentum`` (torch's default) momentum
    (or beta1) cycles inversely, from ``max_momentum`` down to ``base_momentum`` at the peak:
    ``schedule.hyperparameters()["momentum"]``."""
    if scale_fn is not None:
        raise ConfigError(
            "scale_fn",
            "None (a custom scale_fn is not supported; tabulate the curve with lrcore.porting.from_function)",
            scale_fn,
        )
    up = integer("CyclicLR", "step_size_up", step_size_up, minimum=1)
    down = (
        None if step_size_down is None else integer("CyclicLR", "step_size_down", step_size_down, minimum=1)
    )
    return Cyclic(
        low=base_lr,
        high=max_lr,
        up=up,
        down=down,
        mode=mode,
        gamma=gamma,
        cycle_momentum=cycle_momentum,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
    )


@native_errors("CosineAnnealingWarmRestarts")
def CosineAnnealingWarmRestarts(base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """SGDR: cosine from ``base_lr`` to ``eta_min`` over ``T_0 * T_mult ** i`` steps, restarted."""
    T_0 = integer("CosineAnnealingWarmRestarts", "T_0", T_0, minimum=1)  # torch: ValueError
    T_mult = integer("CosineAnnealingWarmRestarts", "T_mult", T_mult, minimum=1)
    return CosineRestarts(start=base_lr, end=eta_min, first_cycle=T_0, cycle_mult=T_mult)


@native_errors("OneCycleLR")
def OneCycleLR(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """torch OneCycleLR (it ignores the optimizer's lr: it starts at ``max_lr / div_factor``).
    Past ``total_steps - 1`` lrcore holds the final value (torch extrapolates one step, then
    raises). With ``cycle_momentum`` (torch's default) momentum (or beta1) runs from
    ``max_momentum`` down to ``base_momentum`` while the lr rises and back while it falls:
    ``schedule.hyperparameters()["momentum"]``."""
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ConfigError("total_steps", "total_steps, or epochs and steps_per_epoch", None)
        total_steps = integer("OneCycleLR", "epochs", epochs, minimum=1) * integer(
            "OneCycleLR", "steps_per_epoch", steps_per_epoch, minimum=1
        )
    total_steps = integer("OneCycleLR", "total_steps", total_steps, minimum=1)  # torch: ValueError
    # torch accepts pct_start 0 and 1 (a phase of at most one step); lrcore needs both phases.
    number("OneCycleLR", "pct_start", pct_start, minimum=0.0, open_min=True)
    if pct_start >= 1.0:
        raise ConfigError("OneCycleLR.pct_start", "a number in (0, 1)", pct_start)
    if anneal_strategy not in ("cos", "linear"):  # torch: ValueError
        raise ConfigError("OneCycleLR.anneal_strategy", "'cos' or 'linear'", anneal_strategy)
    return OneCycle(
        peak=max_lr,
        total=total_steps,
        warmup_fraction=pct_start,
        anneal=anneal_strategy,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=three_phase,
        cycle_momentum=cycle_momentum,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
    )


@native_errors("SWALR")
def SWALR(base_lr: float, swa_lr: float, anneal_epochs: int = 10, anneal_strategy: str = "cos") -> Schedule:
    """``torch.optim.swa_utils.SWALR``: from ``base_lr`` (the optimizer's lr when SWALR is
    built) to ``swa_lr`` over ``anneal_epochs`` calls of ``step()`` (``cos``:
    ``(1 - cos(pi * t / anneal_epochs)) / 2`` of the way, or ``linear``), then ``swa_lr``.

    torch anneals recursively, un-mixing the previous lr at every step; lrcore evaluates the
    closed form. ``t`` counts ``step()`` calls (epochs, in the usual SWA loop).
    """
    if anneal_strategy not in ("cos", "linear"):  # torch: ValueError
        raise ConfigError("SWALR.anneal_strategy", "'cos' or 'linear'", anneal_strategy)
    epochs = integer("SWALR", "anneal_epochs", anneal_epochs, minimum=0)  # torch: ValueError below 0
    base_lr = number("SWALR", "base_lr", base_lr, minimum=0.0)
    swa_lr = number("SWALR", "swa_lr", swa_lr, minimum=0.0)
    if epochs == 0 or base_lr == swa_lr:
        return Constant(value=swa_lr)
    if anneal_strategy == "linear":
        return Linear(start=base_lr, end=swa_lr, steps=epochs)
    return Cosine(start=base_lr, end=swa_lr, steps=epochs)


__all__ = [
    "SWALR",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "PolynomialLR",
    "SequentialLR",
    "StepLR",
]
