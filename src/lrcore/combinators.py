"""Combinators: schedules built from schedules, themselves schedules with configs."""

from __future__ import annotations

from typing import Any

from ._errors import ConfigError
from ._interpolation import anneal
from ._namespace import Array, Namespace, NumpyNamespace, clamp_steps, fits
from ._params import Boundaries, Choice, Nested, NestedOrRate, Rate, Schedules, Steps, param
from ._schedule import Schedule


def _without_hyperparameters(schedule: Schedule, path: str, combinator: str) -> None:
    """A combinator that cannot say what its parts' momentum (beta1, weight decay) schedules
    become refuses them rather than drop them (SPEC section 9)."""
    carried = sorted(schedule.hyperparameters())
    if carried:
        raise ConfigError(
            path,
            f"a schedule without a {' or '.join(carried)} side inside {combinator} "
            f"(it applies to the learning rate only and would drop the {' and '.join(carried)} schedule)",
            f"{schedule.type} with cycle_momentum=True",
            hint="set cycle_momentum=False, and pass the adapter a momentum schedule of its own: "
            "momentum= or beta1=",
        )


def _mapped(schedule: Schedule, build: Any) -> dict[str, Schedule]:
    """The hyperparameter schedules of ``schedule``, each passed through ``build``."""
    return {name: build(side) for name, side in schedule.hyperparameters().items()}


class Warmup(Schedule):
    """Ramp from ``start`` to ``schedule(0)`` over ``steps`` (``shape``: ``linear`` or
    ``cosine``), then ``schedule(t - steps)``.

    >>> s = lrcore.warmup(lrcore.constant(value=1.0), steps=4)
    >>> s(0), s(2), s(4)
    (0.0, 0.5, 1.0)
    """

    type = "warmup"
    schedule: Schedule = param(Nested())
    steps: int = param(Steps())
    start: float = param(Rate(), 0.0)
    shape: str = param(Choice("linear", "cosine"), "linear")

    def check(self) -> None:
        _without_hyperparameters(self.schedule, "schedule", "warmup")

    def formula(self, t: Array, xp: Namespace) -> Array:
        # schedule(0) is cached: evaluating it afresh made nested warmups cost 2**depth.
        target = self.__dict__.get("_target")
        if target is None:
            target = self.schedule(0)
            object.__setattr__(self, "_target", target)
        t_in = clamp_steps(xp, t, self.steps)
        ramp = anneal(xp, self.shape, self.start, target, t_in, self.steps - t_in, self.steps, clamped=True)
        return xp.where(t < self.steps, ramp, self.schedule.evaluate(t - self.steps, xp))

    @property
    def horizon(self) -> int | None:
        inner = self.schedule.horizon
        return None if inner is None else self.steps + inner

    def breakpoints(self) -> list[int]:
        return [self.steps] + [self.steps + b for b in self.schedule.breakpoints()]


class Join(Schedule):
    """``schedules[i]`` from ``boundaries[i - 1]`` on, seeing ``t - boundaries[i - 1]``
    (optax ``join_schedules``).

    >>> s = lrcore.join([lrcore.linear(start=0.0, end=1.0, steps=10),
    ...                  lrcore.constant(value=1.0)], boundaries=[10])
    >>> s(5), s(10)
    (0.5, 1.0)
    """

    type = "join"
    schedules: tuple[Schedule, ...] = param(Schedules())
    boundaries_: tuple[int, ...] = param(Boundaries(min=1), name="boundaries")

    def check(self) -> None:
        if len(self.boundaries_) != len(self.schedules) - 1:
            raise ConfigError(
                "boundaries",
                f"{len(self.schedules) - 1} boundaries for {len(self.schedules)} schedules",
                list(self.boundaries_),
            )
        for i, schedule in enumerate(self.schedules):
            _without_hyperparameters(schedule, f"schedules[{i}]", "join")

    def formula(self, t: Array, xp: Namespace) -> Array:
        value = self.schedules[0].evaluate(t, xp)
        for boundary, schedule in zip(self.boundaries_, self.schedules[1:], strict=False):
            if not fits(xp, boundary):
                break
            value = xp.where(t >= boundary, schedule.evaluate(t - boundary, xp), value)
        return value

    @property
    def horizon(self) -> int | None:
        last = self.schedules[-1].horizon
        return None if last is None else self.boundaries_[-1] + last if self.boundaries_ else last

    def breakpoints(self) -> list[int]:
        points = list(self.schedules[0].breakpoints())
        for boundary, schedule in zip(self.boundaries_, self.schedules[1:], strict=False):
            points = [p for p in points if p < boundary] + [boundary]
            points += [boundary + b for b in schedule.breakpoints()]
        return points


class Scale(Schedule):
    """``factor * schedule(t)``; ``factor`` is a number or a schedule (torch's
    ChainedScheduler multiplies its schedulers' factors the same way).

    >>> lrcore.scale(lrcore.constant(value=0.5), factor=0.2)(0)
    0.1
    """

    type = "scale"
    schedule: Schedule = param(Nested())
    factor: Schedule | float = param(NestedOrRate())

    def check(self) -> None:
        if isinstance(self.factor, Schedule):
            _without_hyperparameters(self.factor, "factor", "scale's factor")

    def hyperparameters(self) -> dict[str, Schedule]:
        """The inner schedule's, unchanged: the factor scales the learning rate only."""
        return self.schedule.hyperparameters()

    def float32_ulps(self) -> int:
        """The product is one more float32 rounding: on top of a powered shape, whose error
        reaches its own bound, the bound grows by one (other shapes keep slack for it)."""
        from .precision import FLOAT32_ULPS, float32_bound

        inner = float32_bound(self.schedule)
        if isinstance(self.factor, Schedule):
            inner = max(inner, float32_bound(self.factor))
        return inner + 1 if inner > FLOAT32_ULPS else FLOAT32_ULPS

    def formula(self, t: Array, xp: Namespace) -> Array:
        if isinstance(self.factor, Schedule):
            return self.schedule.evaluate(t, xp) * self.factor.evaluate(t, xp)
        schedule, factor = self.schedule, self.factor
        if xp.bits == 32 and not xp.extended:
            # Nested constant factors multiply on the host (float64), so float32 rounds once
            # for the whole chain instead of once per level (the reference's own product
            # differs from that by float64 roundings only).
            while isinstance(schedule, Scale) and not isinstance(schedule.factor, Schedule):
                factor = schedule.factor * factor
                schedule = schedule.schedule
        return schedule.evaluate(t, xp) * factor

    @property
    def horizon(self) -> int | None:
        inner = self.schedule.horizon
        if not isinstance(self.factor, Schedule):
            return inner
        other = self.factor.horizon
        return None if inner is None or other is None else max(inner, other)

    def breakpoints(self) -> list[int]:
        points = self.schedule.breakpoints()
        if isinstance(self.factor, Schedule):
            points = sorted(set(points) | set(self.factor.breakpoints()))
        return points


class Clip(Schedule):
    """``schedule(t)`` clamped to ``[min, max]`` (either may be omitted).

    >>> lrcore.clip(lrcore.constant(value=0.5), max=0.1)(0)
    0.1
    """

    type = "clip"
    schedule: Schedule = param(Nested())
    min: float | None = param(Rate(), None)
    max: float | None = param(Rate(), None)

    def check(self) -> None:
        if self.min is None and self.max is None:
            raise ConfigError("max", "a bound (give min, max or both)", None)
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigError("max", f"a value >= min ({self.min})", self.max)

    def hyperparameters(self) -> dict[str, Schedule]:
        """The inner schedule's, unchanged: the bounds clip the learning rate only."""
        return self.schedule.hyperparameters()

    def formula(self, t: Array, xp: Namespace) -> Array:
        value = self.schedule.evaluate(t, xp)
        if self.min is not None:
            value = xp.maximum(value, self.min)
        if self.max is not None:
            value = xp.minimum(value, self.max)
        return value

    @property
    def horizon(self) -> int | None:
        return self.schedule.horizon

    def breakpoints(self) -> list[int]:
        return self.schedule.breakpoints()


class PerEpoch(Schedule):
    """``schedule(t // steps_per_epoch)``: an epoch-indexed schedule on a step counter.

    >>> lrcore.per_epoch(lrcore.step(start=0.01, gamma=0.1, step_size=5), steps_per_epoch=100)(499)
    0.01
    """

    type = "per_epoch"
    schedule: Schedule = param(Nested())
    steps_per_epoch: int = param(Steps())

    def hyperparameters(self) -> dict[str, Schedule]:
        """The inner schedule's, each stepped per epoch as well."""
        return _mapped(
            self.schedule, lambda side: PerEpoch(schedule=side, steps_per_epoch=self.steps_per_epoch)
        )

    def formula(self, t: Array, xp: Namespace) -> Array:
        return self.schedule.evaluate(xp.floordiv(t, self.steps_per_epoch), xp)

    @property
    def horizon(self) -> int | None:
        inner = self.schedule.horizon
        return None if inner is None else inner * self.steps_per_epoch

    def breakpoints(self) -> list[int]:
        return [b * self.steps_per_epoch for b in self.schedule.breakpoints()]


class AfterHorizon(Schedule):
    """What ``schedule`` does past its horizon ``h`` (``horizon``, by default the schedule's own):

    - ``hold``: its final value (what every schedule does by itself);
    - ``repeat``: its curve again, ``schedule(t mod h)``;
    - ``continue``: its formula keeps going where that formula is periodic (``cosine`` climbs
      back up after ``steps``, as torch's ``CosineAnnealingLR`` does after ``T_max``);
    - ``raise``: a step past ``h`` is an error. A traced or graph evaluation (optax, the Keras
      schedule) cannot raise inside a compiled step: there it holds, and the host paths (the
      reference, ``values()``, the torch scheduler, the Keras callback) raise.

    >>> s = lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=4), policy="repeat")
    >>> s(3), s(4), s(5)
    (0.25, 1.0, 0.75)
    """

    type = "after_horizon"
    schedule: Schedule = param(Nested())
    policy: str = param(Choice("hold", "repeat", "continue", "raise"))
    horizon_: int | None = param(Steps(), None, name="horizon")

    def check(self) -> None:
        if self.policy == "continue":
            if self.schedule.periodic is None:
                raise ConfigError(
                    "policy",
                    "'continue' only for a formula that is periodic past its horizon (cosine)",
                    self.policy,
                    hint=f"{self.schedule.type} has none: use 'repeat' or 'hold'",
                )
            if self.horizon_ is not None:
                raise ConfigError(
                    "horizon", "no horizon with 'continue' (the formula's period decides)", self.horizon_
                )
        elif self.horizon_ is None and self.schedule.horizon is None:
            raise ConfigError(
                "horizon", f"a horizon: {self.schedule.type} never settles by itself", None, hint="missing"
            )

    @property
    def end(self) -> int:
        h = self.horizon_ if self.horizon_ is not None else self.schedule.horizon
        assert h is not None  # check() guarantees it
        return h

    def hyperparameters(self) -> dict[str, Schedule]:
        """The inner schedule's under the same policy, past the same horizon (so a repeated
        one_cycle repeats its momentum cycle with it)."""
        horizon = None if self.policy == "continue" else self.end  # 'continue' takes none
        return _mapped(
            self.schedule, lambda side: AfterHorizon(schedule=side, policy=self.policy, horizon=horizon)
        )

    def formula(self, t: Array, xp: Namespace) -> Array:
        if self.policy == "continue":
            result: Array = self.schedule.periodic(t, xp)
            return result
        h = self.end
        if self.policy == "repeat":
            t = xp.mod(t, h) if fits(xp, h) and h > 0 else t
        elif self.policy == "raise" and isinstance(xp, NumpyNamespace):  # steps known on the host
            last = int(xp.np.max(t)) if xp.np.size(t) else 0
            if last > h:
                raise ConfigError("t", f"a step <= {h} (the schedule's horizon; policy='raise')", last)
        elif self.policy == "hold" and fits(xp, h):
            t = xp.minimum(t, h)
        return self.schedule.evaluate(t, xp)

    @property
    def horizon(self) -> int | None:
        return None if self.policy in ("repeat", "continue") else self.end

    def breakpoints(self) -> list[int]:
        if self.policy == "continue":
            return self.schedule.breakpoints()
        return [b for b in self.schedule.breakpoints() if b < self.end] + [self.end]
