"""An lrcore schedule as a Keras ``LearningRateSchedule``, evaluated inside the train step.

:func:`schedule` wraps a schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.
Keras evaluates it inside the compiled train step at ``optimizer.iterations``, on any
backend (TensorFlow, JAX, torch), through ``KerasNamespace``, the core's array namespace
written over ``keras.ops`` (one formula, the core's, never re-written here). It is
registered for Keras serialization, so a compiled model survives ``model.save`` /
``keras.models.load_model``.

Precision (SPEC section 7): where the backend computes in float64 (TensorFlow, torch,
JAX with ``jax_enable_x64``) the schedule is evaluated in float64 with int64 steps and
rounded once to float32, so the applied learning rate is ``float32(schedule(t))``. On
JAX without x64 it is evaluated in float32 with int32 steps through the core's
table-based float32 path (within 4 float32 ulps of the reference). Keras runs the torch
backend's train step eagerly, op by op: there the schedule object reads
``float32(schedule(t))`` from a host cache instead (exact, and cheaper than ~50 eager
ops per step), and traces the ``keras.ops`` formula only under ``torch.compile``
(``jit_compile=True``).

>>> import keras, lrcore
>>> from lrcore.adapters import keras as lrk
>>> s = lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9000), steps=1000)
>>> optimizer = keras.optimizers.SGD(learning_rate=lrk.schedule(s))
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

import lrcore
from lrcore._errors import ConfigError
from lrcore._hostcache import HostCache
from lrcore._schedule import ready

from .array_namespace import namespace

__all__ = ["KerasSchedule", "schedule"]


def _eager_torch() -> bool:
    """Keras on torch runs the train step eagerly, one Python call per op. There the
    schedule is read from a host table of float32(reference) values, exact and far
    cheaper than ~50 eager ops per step; under ``torch.compile`` it is traced as usual."""
    if keras.backend.backend() != "torch":
        return False
    import torch

    return not torch.compiler.is_compiling()


def _as_lrcore(value: Any) -> lrcore.Schedule:
    if isinstance(value, KerasSchedule):
        return value.schedule
    return ready(value, "schedule")


@keras.saving.register_keras_serializable(package="lrcore")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """An lrcore schedule as a Keras ``LearningRateSchedule``: ``lr = schedule(step)``.

    Keras calls it with ``optimizer.iterations`` inside the train step; the value is
    computed in the graph by the core's formula (:class:`KerasNamespace`) and returned
    as float32. Its config is the lrcore config, so ``model.save`` / ``load_model``
    round-trip it without ``custom_objects`` (``lrcore.adapters.keras`` must have been
    imported, which registers the class as ``"lrcore>KerasSchedule"``).

    With ``gradient_accumulation_steps=n`` (the optimizer's argument of that name) the
    step is ``iterations // n``: Keras passes the micro-batch count to schedules, while
    lrcore's ``t`` counts applied updates (SPEC section 3).

    >>> KerasSchedule(lrcore.linear(start=0.1, end=0.0, steps=10))(5)  # doctest: +SKIP
    <tf.Tensor: shape=(), dtype=float32, numpy=0.05>
    """

    def __init__(self, schedule: Any, gradient_accumulation_steps: int | None = None) -> None:
        self.schedule = _as_lrcore(schedule)
        if gradient_accumulation_steps is not None:
            if (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 1
            ):
                raise ConfigError(
                    "gradient_accumulation_steps", "an integer >= 1", gradient_accumulation_steps
                )
            if gradient_accumulation_steps == 1:
                gradient_accumulation_steps = None
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._cache: HostCache[float] = HostCache(self._float32_values, name="step")

    def __call__(self, step: Any) -> Any:
        if _eager_torch():
            return ops.convert_to_tensor(self._host(step), dtype="float32")
        return self.evaluate(step)

    def evaluate(self, step: Any) -> Any:
        """The schedule at ``step`` (a scalar or an array), computed with ``keras.ops``."""
        xp = namespace()  # decided at trace time: JAX's x64 flag may change before then
        t = xp.as_int(step)
        if self.gradient_accumulation_steps:
            t = xp.floordiv(t, self.gradient_accumulation_steps)
        return ops.cast(self.schedule.evaluate(t, xp), "float32")

    def _host(self, step: Any) -> Any:
        """float32(reference) for an eager scalar step, from the host cache."""
        steps = np.asarray(ops.convert_to_numpy(step), dtype=np.int64)
        if steps.ndim:
            return self.evaluate(step)
        t = max(int(steps), 0)
        if self.gradient_accumulation_steps:
            t //= self.gradient_accumulation_steps
        return self._cache[t]

    def _float32_values(self, steps: Any) -> list[float]:
        # Python floats holding float32 values: converting one back to float32 is exact.
        values: list[float] = self.schedule.values(steps).astype(np.float32).tolist()
        return values

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schedule": self.schedule.to_config()}
        if self.gradient_accumulation_steps:
            config["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        return config

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KerasSchedule):
            return NotImplemented
        return (self.schedule, self.gradient_accumulation_steps) == (
            other.schedule,
            other.gradient_accumulation_steps,
        )

    def __hash__(self) -> int:
        return hash((self.schedule, self.gradient_accumulation_steps))

    def __repr__(self) -> str:
        extra = (
            f", gradient_accumulation_steps={self.gradient_accumulation_steps}"
            if self.gradient_accumulation_steps
            else ""
        )
        return f"KerasSchedule({self.schedule!r}{extra})"


def schedule(
    schedule: Any,
    *,
    gradient_accumulation_steps: int | None = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> KerasSchedule:
    """A ``keras.optimizers.schedules.LearningRateSchedule`` running ``schedule``.

    ``schedule`` is an lrcore schedule or its config mapping; one with durations (``"5%"``,
    ``"10ep"``) is bound here by ``total_steps`` / ``steps_per_epoch``.

    >>> optimizer = keras.optimizers.SGD(learning_rate=schedule(lrcore.cosine(start=0.1, end=0.0, steps=1000)))
    """
    if total_steps is not None or steps_per_epoch is not None:
        schedule = ready(schedule, "schedule", total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    return KerasSchedule(schedule, gradient_accumulation_steps)
