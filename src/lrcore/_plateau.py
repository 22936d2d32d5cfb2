"""Reduce on plateau: a metric-driven multiplier on top of any schedule.

``lrcore.plateau(schedule, ...)`` is torch's ``ReduceLROnPlateau`` as a value: its
parameters (and config) are fixed, and what the metrics have done so far lives in a
small immutable :class:`PlateauState` that the pure function :meth:`Plateau.update`
advances, one metric report (a validation) at a time::

    p = lrcore.plateau(lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9000), steps=1000),
                       patience=2, factor=0.5)
    state = p.initial_state()
    for epoch in range(10):
        ...                                   # updates t use p.lr(t, state)
        state = p.update(state, val_loss)     # after each validation

The state machine (torch's, bit for bit). A report ``m`` is an improvement when
``m < best * (1 - threshold)`` (``mode="min"``, ``threshold_mode="rel"``),
``m < best - threshold`` (min, abs), ``m > best * (threshold + 1)`` (max, rel) or
``m > best + threshold`` (max, abs), each moved by a further ``atol`` when it is set
(optax's ``reduce_on_plateau`` uses ``rtol`` and ``atol`` together: ``m < best * (1 - rtol) - atol``;
the default 0 is torch's rule); ``best`` starts at +inf (min) or -inf (max). An
improvement sets ``best = m`` and ``num_bad_epochs = 0``, anything else adds one bad
epoch. During a cooldown (``cooldown_counter > 0``) the counter goes down by one and
bad epochs are forgotten. When ``num_bad_epochs > patience`` (torch counts *more
than* patience; Keras and optax reduce when the count *reaches* it) a reduction is
attempted, and the cooldown restarts and the bad epochs reset whether or not it
applies.

The learning rate. The state's ``level`` is what the reductions have done:

- Plain case, a constant inner (``plateau(0.1)`` or ``plateau(lrcore.constant(...))``):
  ``level`` *is* the learning rate. It starts at the value; a reduction computes
  ``new = max(level * factor, min_lr)`` and applies it only if
  ``level - new > eps``, torch's arithmetic exactly, so the learning rates equal
  torch's ``ReduceLROnPlateau`` bit for bit.
- Any other schedule: ``level`` is a multiplier, starting at 1; a reduction computes
  ``new = level * factor`` and applies it only if ``level - new > eps`` (so ``eps``
  is measured on the multiplier). The learning rate at update ``t`` is

      lr(t) = min(inner(t), max(inner(t) * level, min_lr))

  i.e. the schedule scaled by the reductions, never pushed below ``min_lr`` by them,
  and never raised above the schedule itself (a warmup from 0 still starts at 0).
  For a constant inner the two rules give the same value up to rounding; the plain
  rule is the one that rounds like torch.

Non-finite metrics (NaN, +-inf) never become ``best`` and never reach the learning
rate: with ``nonfinite="ignore"`` (the default) such a report counts as a bad epoch
(torch does the same for NaN and for an infinity in the worsening direction; for
``-inf`` in min mode, or ``+inf`` in max mode, torch would record it as the best and
reduce every ``patience + 1`` reports from then on: lrcore treats a diverged metric as
no improvement instead). With ``nonfinite="raise"`` the host :meth:`update` raises
``ValueError`` naming the metric. Metrics may be negative; note that the relative
threshold then follows torch's formula literally (``best * (1 - threshold)`` lies
above a negative ``best``).

Config: ``{"type": "plateau", "schedule": 0.1, "patience": 5}``; the state is not part
of the config and serializes separately (:meth:`Plateau.state_to_dict`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from ._errors import ConfigError
from ._namespace import Array, Namespace, numpy_namespace, take_wide
from ._params import Binding, Choice, Count, NestedOrRate, Rate, Real, host_step, param, parse_duration
from ._schedule import Declared, Schedule
from .catalog import Constant

__all__ = ["MODES", "NONFINITE", "THRESHOLD_MODES", "Plateau", "PlateauState", "ready_plateau"]

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")
NONFINITE = ("ignore", "raise")
CHAIN_CAP = 4096  # reductions tabulated for the float32 path (see Plateau.transition)
_INT32_COUNT = (1 << 31) - 2  # counters must fit the int32 state of traced adapters


class PlateauState(NamedTuple):
    """What the metrics have done so far: plain Python numbers (or, in a traced
    adapter, one array per field).

    ``best``: the best metric so far (+inf/-inf before the first improvement).
    ``num_bad_epochs``, ``cooldown_counter``: torch's counters.
    ``level``: the learning rate (constant inner) or the multiplier (schedule inner).
    ``reductions``: reductions applied so far. ``reports``: metrics reported so far.
    """

    best: Any
    num_bad_epochs: Any
    cooldown_counter: Any
    level: Any
    reductions: Any
    reports: Any


class Plateau(Declared):
    """Reduce ``schedule`` (a schedule or a constant learning rate) by ``factor`` when
    the reported metric stops improving (torch ``ReduceLROnPlateau`` semantics; see the
    module docstring for the exact rules).

    >>> p = lrcore.plateau(0.1, patience=1)
    >>> s = p.initial_state()
    >>> for loss in [1.0, 1.0, 1.0]:
    ...     s = p.update(s, loss)
    >>> p.lr(0, s)
    0.010000000000000002
    """

    type = "plateau"
    schedule: Schedule | float = param(NestedOrRate())
    mode: str = param(Choice(*MODES), "min")
    factor: float = param(Real(min=0.0, max=1.0, min_open=True, max_open=True), 0.1)
    patience: int = param(Count(max=_INT32_COUNT, duration=False), 10)
    threshold: float = param(Real(min=0.0), 1e-4)
    threshold_mode: str = param(Choice(*THRESHOLD_MODES), "rel")
    cooldown: int = param(Count(max=_INT32_COUNT, duration=False), 0)
    min_lr: float = param(Rate(), 0.0)
    eps: float = param(Real(min=0.0), 1e-8)
    nonfinite: str = param(Choice(*NONFINITE), "ignore")
    atol: float = param(Real(min=0.0), 0.0)

    def check(self) -> None:
        if self.threshold_mode == "rel" and self.threshold >= 1.0:
            raise ConfigError("threshold", "a number < 1 with threshold_mode='rel'", self.threshold)

    # -- the inner schedule ------------------------------------------------------------

    @property
    def plain(self) -> bool:
        """Whether the inner schedule is a constant (then ``level`` is the lr itself)."""
        return not isinstance(self.schedule, Schedule) or isinstance(self.schedule, Constant)

    @property
    def inner(self) -> Schedule:
        """The inner schedule (a number becomes ``constant``)."""
        if isinstance(self.schedule, Schedule):
            return self.schedule
        return Constant(value=self.schedule)

    @property
    def initial_level(self) -> float:
        if not self.plain:
            return 1.0
        if isinstance(self.schedule, Schedule):
            return float(self.schedule.value)  # type: ignore[attr-defined]  # a Constant
        return float(self.schedule)

    @property
    def level_floor(self) -> float:
        """The floor of a reduction: ``min_lr`` in the plain case (level is a learning
        rate), 0 otherwise (``min_lr`` is applied to the learning rate instead)."""
        return self.min_lr if self.plain else 0.0

    def breakpoints(self) -> list[int]:
        """The inner schedule's breakpoints (reductions come from metrics, not steps)."""
        return self.inner.breakpoints()

    def __iter__(self) -> Iterator[Schedule]:
        """The inner schedule, when there is one (as a combinator yields its children)."""
        if isinstance(self.schedule, Schedule):
            yield self.schedule

    # -- state -------------------------------------------------------------------------

    def initial_state(self) -> PlateauState:
        """The state before any report."""
        worst = math.inf if self.mode == "min" else -math.inf
        return PlateauState(worst, 0, 0, self.initial_level, 0, 0)

    def update(self, state: PlateauState, metric: Any) -> PlateauState:
        """The state after reporting ``metric`` (a number, or a 0-d tensor/array).

        Pure: ``state`` is not modified. Computed in float64 by :meth:`transition`, the
        same code the traced adapters run.
        """
        value = _metric(metric)
        if not math.isfinite(value) and self.nonfinite == "raise":
            raise ValueError(f"metric: expected a finite number (nonfinite='raise'), got {value!r}")
        np = numpy_namespace(64).np
        arrays = PlateauState(
            np.float64(state.best),
            np.int64(state.num_bad_epochs),
            np.int64(state.cooldown_counter),
            np.float64(state.level),
            np.int64(state.reductions),
            np.int64(state.reports),
        )
        new = self.transition(numpy_namespace(64), arrays, np.float64(value))
        return PlateauState(
            float(new.best),
            int(new.num_bad_epochs),
            int(new.cooldown_counter),
            float(new.level),
            int(new.reductions),
            int(new.reports),
        )

    def transition(self, xp: Namespace, state: PlateauState, metric: Array) -> PlateauState:
        """One report, written over the namespace ``xp`` with ``where`` only (no Python
        branch on a value), so that it traces under ``jax.jit``. ``state`` holds arrays of
        ``xp`` (floats in its float type, counters in its int type), ``metric`` is in
        its float type. The host :meth:`update` runs this in float64.

        In float64 the reduction is torch's arithmetic. In float32 a chain of
        ``level * factor`` roundings would drift away from the float64 learning rate, so
        the levels (and whether a reduction applies) are looked up in a host table of
        the float64 chain, indexed by ``reductions``: the float32 level is then
        ``float32(float64 level)`` exactly (for the first :data:`CHAIN_CAP` reductions).
        """
        best, bad, cooldown, level, reductions, reports = state
        if self.mode == "min":
            bound = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            if self.atol:  # only when set: torch's bound stays the same expression
                bound = bound - self.atol
            better = metric < bound
        else:
            bound = best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold
            if self.atol:
                bound = bound + self.atol
            better = metric > bound
        finite = (metric > -math.inf) & (metric < math.inf)  # False for NaN and +-inf
        better = better & finite
        best = xp.where(better, metric, best)
        bad = xp.where(better, 0, bad + 1)
        in_cooldown = cooldown > 0
        cooldown = xp.where(in_cooldown, cooldown - 1, cooldown)
        bad = xp.where(in_cooldown, 0, bad)
        reduce = bad > self.patience
        new_level, applies = self._reduced(xp, level, reductions)
        applied = reduce & applies
        level = xp.where(applied, new_level, level)
        reductions = reductions + xp.where(applied, 1, 0)
        cooldown = xp.where(reduce, self.cooldown, cooldown)
        bad = xp.where(reduce, 0, bad)
        return PlateauState(best, bad, cooldown, level, reductions, reports + 1)

    def level_pair(self, xp: Namespace, level: Array, reductions: Array) -> Array:
        """The level to scale a schedule inner by: in an ``extended`` (float pair) namespace
        the float64 chain's level after ``reductions`` as a pair, so that the product rounds
        to float32(reference) (a float32 level is up to 2**-25 off the float64 one); else
        (and past the tabulated chain) ``level`` itself."""
        if not xp.extended or self.plain:
            return level
        levels, _ = _chain(self.initial_level, self.factor, self.level_floor, self.eps)
        n = len(levels)
        return xp.where(reductions < n, take_wide(xp, levels, xp.minimum(reductions, n - 1)), level)

    def _reduced(self, xp: Namespace, level: Array, reductions: Array) -> tuple[Array, Array]:
        """The level one reduction would give, and whether it applies (``> eps``)."""
        new = xp.maximum(level * self.factor, self.level_floor)
        applies = level - new > self.eps
        if xp.bits == 64:
            return new, applies
        levels, can = _chain(self.initial_level, self.factor, self.level_floor, self.eps)
        n = len(can)
        tabulated = reductions < n
        new = xp.where(tabulated, xp.take(levels, xp.minimum(reductions + 1, n)), new)
        applies = xp.where(tabulated, xp.take(can, xp.minimum(reductions, n - 1)) > 0, applies)
        return new, applies

    # -- the learning rate -------------------------------------------------------------

    def __call__(self, t: Any) -> float:
        """A plateau has no value without its state: say what to use instead."""
        raise TypeError(
            "a plateau's learning rate depends on the metrics it has seen: use "
            "plateau.lr(t, state), plateau.evaluate(t, xp, state.level) or a plateau adapter"
        )

    def values(self, ts: Any, **_: Any) -> Any:
        return self(ts)

    def evaluate(self, t: Array, xp: Namespace, level: Any) -> Array:
        """The learning rate at integer steps ``t`` given the state's ``level`` (an array
        of ``xp`` or a number): the entry point of traced adapters."""
        if self.plain:
            return xp.fill(t, 0.0) + level
        return self.scaled(self.inner.evaluate(t, xp), level, xp)

    def scaled(self, inner: Array, level: Any, xp: Namespace) -> Array:
        """``min(inner, max(inner * level, min_lr))`` for a schedule inner (the part of
        :meth:`evaluate` after the inner schedule; adapters that cache ``inner`` use it)."""
        if self.plain:
            return xp.fill(inner, 0.0) + level
        value = inner * level
        if self.min_lr > 0.0:
            # level <= 1, so without a floor inner * level never exceeds inner.
            value = xp.minimum(inner, xp.maximum(value, self.min_lr))
        return value

    def lr(self, t: int, state: PlateauState) -> float:
        """The float64 reference learning rate of update ``t`` in ``state``."""
        xp = numpy_namespace(64)
        steps = xp.as_int([host_step(t)])
        return float(self.evaluate(steps, xp, xp.np.float64(state.level))[0])

    def level_after(self, reductions: int) -> float:
        """The float64 level after ``reductions`` applied reductions (the chain is
        deterministic): restores the exact level from a float32 adapter state."""
        levels, can = _chain(self.initial_level, self.factor, self.level_floor, self.eps)
        if reductions < len(can) or not can[-1]:
            return float(levels[min(reductions, len(levels) - 1)])
        level = float(levels[-1])
        for _ in range(reductions - len(can)):
            new = max(level * self.factor, self.level_floor)
            if not level - new > self.eps:
                break
            level = new
        return level

    # -- state serialization -----------------------------------------------------------

    def state_to_dict(self, state: PlateauState) -> dict[str, Any]:
        """The state as plain JSON types (``best`` is None before the first improvement,
        since JSON has no infinity)."""
        best = float(state.best)
        return {
            "best": best if math.isfinite(best) else None,
            "num_bad_epochs": int(state.num_bad_epochs),
            "cooldown_counter": int(state.cooldown_counter),
            "level": float(state.level),
            "reductions": int(state.reductions),
            "reports": int(state.reports),
        }

    def state_from_dict(self, data: Mapping[str, Any]) -> PlateauState:
        """The state :meth:`state_to_dict` wrote (validated: ``ConfigError`` names the field)."""
        if not isinstance(data, Mapping):
            raise ConfigError("state", "a mapping", data)
        fields = set(PlateauState._fields)
        for key in data:
            if key not in fields:
                raise ConfigError(
                    f"state.{key}", "one of " + ", ".join(PlateauState._fields), key, hint="unknown key"
                )
        for key in fields:
            if key not in data:
                raise ConfigError(f"state.{key}", "a value", None, hint="missing key")
        best = data["best"]
        if best is None:
            best = math.inf if self.mode == "min" else -math.inf
        elif isinstance(best, bool) or not isinstance(best, (int, float)) or not math.isfinite(best):
            raise ConfigError("state.best", "a finite number or None", best)
        level = data["level"]
        if (
            isinstance(level, bool)
            or not isinstance(level, (int, float))
            or not 0 <= level <= self.initial_level
        ):
            raise ConfigError("state.level", f"a number in [0, {self.initial_level}]", level)
        counts = []
        for key in ("num_bad_epochs", "cooldown_counter", "reductions", "reports"):
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"state.{key}", "an integer >= 0", value)
            counts.append(value)
        return PlateauState(float(best), counts[0], counts[1], float(level), counts[2], counts[3])


def as_plateau(value: Any) -> Plateau:
    """A plateau from a plateau or its config mapping (what every plateau adapter takes)."""
    if isinstance(value, Plateau):
        return value
    if isinstance(value, Mapping):
        from .config import from_config

        built = from_config(value)
        if isinstance(built, Plateau):
            return built
    raise ConfigError("plateau", "an lrcore.plateau or its config mapping", value)


def ready_plateau(
    value: Any, *, total_steps: int | None = None, steps_per_epoch: int | None = None
) -> Plateau:
    """What a plateau adapter runs: a plateau (or its config) whose schedule has every
    duration (``"5%"``, ``"10ep"``) bound, by ``total_steps`` / ``steps_per_epoch`` when
    given (as :func:`lrcore._schedule.ready` does for a schedule). A duration left unbound is
    a :class:`ConfigError` naming the parameter and the argument to give.

    >>> p = lrcore.plateau(lrcore.cosine(start=0.1, end=0.0, steps="90ep"), patience=2)
    >>> ready_plateau(p, steps_per_epoch=10).schedule
    lrcore.cosine(start=0.1, end=0.0, steps=900)
    """
    plateau = as_plateau(value)
    context = Binding(total_steps, steps_per_epoch)  # the arguments' own errors name them
    given = {"ep": steps_per_epoch, "dur": total_steps}
    for path, text in plateau.unbound_durations():
        _, unit = parse_duration(text, path)
        if given[unit] is None:
            needs = "steps_per_epoch" if unit == "ep" else "total_steps"
            raise ConfigError(
                f"plateau.{path}",
                "a bound duration",
                text,
                hint=f"give the plateau adapter {needs}=..., or call plateau.bind({needs}=...)",
            )
    try:
        return plateau._bind(context)
    except ConfigError as error:
        raise error.prefixed("plateau") from None


@functools.lru_cache(maxsize=64)
def _chain(start: float, factor: float, floor: float, eps: float) -> tuple[Any, Any]:
    """The float64 levels after 0, 1, ... reductions and whether each next one applies,
    until a reduction no longer applies (the level is then final) or CHAIN_CAP."""
    np = numpy_namespace(64).np
    levels = [start]
    can: list[int] = []
    level = start
    while len(can) < CHAIN_CAP:
        new = max(level * factor, floor)
        applies = level - new > eps
        can.append(1 if applies else 0)
        if not applies:
            levels.append(level)
            break
        levels.append(new)
        level = new
    return np.asarray(levels, dtype=np.float64), np.asarray(can, dtype=np.int64)


def _metric(metric: Any) -> float:
    if isinstance(metric, (bool, str, bytes)):
        raise TypeError(f"metric: expected a number, got {metric!r}")
    try:
        return float(metric)
    except (TypeError, ValueError):
        raise TypeError(f"metric: expected a number or a 0-d tensor, got {metric!r}") from None
