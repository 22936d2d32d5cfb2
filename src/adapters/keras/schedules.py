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
JAX without x64 it is evaluated with int32 steps in double-float pairs of float32
(host tables, error-free sums and products), rounded once: float32(reference) too, but
at near ties (``lrcore.precision.near_ties``: 1 ulp). Keras runs the torch
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

import sys
import warnings
from collections.abc import Mapping
from types import FrameType
from typing import Any

import keras
import numpy as np
from keras import ops

import lrcore
from lrcore._errors import ConfigError
from lrcore._hostcache import HostCache
from lrcore._namespace import narrow
from lrcore._schedule import ready
from lrcore.checkpoint import FORMAT

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


def _accumulating_optimizer(step: Any) -> Any:
    """The optimizer calling the schedule with its own micro-batch counter, or None.

    Keras 3 (checked on 3.15) evaluates a ``LearningRateSchedule`` in
    ``BaseOptimizer._get_current_learning_rate`` as ``schedule(self._iterations)``: the
    count of micro-batches, although its ``iterations`` property (and its docs) count
    applied updates (``_iterations // gradient_accumulation_steps``). The caller's frame is
    the only place that names the optimizer; it is recognised only when ``step`` *is* its
    ``_iterations`` variable, so a Keras that passes ``iterations`` instead, or a user
    calling the schedule with any other step, is never divided twice.
    """
    frame: FrameType | None = sys._getframe(2)  # the caller of KerasSchedule.__call__
    for _ in range(2):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if getattr(owner, "_iterations", None) is step and isinstance(owner, keras.optimizers.Optimizer):
            return owner
        frame = frame.f_back
    return None


def _check_accumulation(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(field, "an integer >= 1", value)
    return value if value > 1 else None


@keras.saving.register_keras_serializable(package="lrcore")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """An lrcore schedule as a Keras ``LearningRateSchedule``: ``lr = schedule(t)``, ``t``
    the number of updates already applied (SPEC section 3).

    Keras calls it inside the train step; the value is computed in the graph by the core's
    formula (:class:`KerasNamespace`) and returned as float32. Its config is the lrcore
    config and the checkpoint format (``{"schedule": ..., "lrcore_format": 1}``), so
    ``model.save`` / ``load_model`` round-trip it without ``custom_objects``
    (``lrcore.adapters.keras`` must have been imported, which registers the class as
    ``"lrcore>KerasSchedule"``); :func:`lrcore.adapters.keras.resume` compares it with the
    schedule a resumed run is given.

    Gradient accumulation: an optimizer created with ``gradient_accumulation_steps=k``
    passes its micro-batch count to schedules; this one recognises that call and
    evaluates ``schedule(iterations // k)``, so its real updates get ``s(0), s(1), ...``
    with ``k`` stated once, on the optimizer. ``gradient_accumulation_steps`` here is for
    a step that counts micro-batches elsewhere (a custom loop); when the optimizer also
    accumulates, the two must agree (a ConfigError otherwise) and divide once.

    >>> KerasSchedule(lrcore.linear(start=0.1, end=0.0, steps=10))(5)  # doctest: +SKIP
    <tf.Tensor: shape=(), dtype=float32, numpy=0.05>
    """

    def __init__(self, schedule: Any, gradient_accumulation_steps: int | None = None) -> None:
        self.schedule = _as_lrcore(schedule)
        self.gradient_accumulation_steps = _check_accumulation(
            gradient_accumulation_steps, "gradient_accumulation_steps"
        )
        self._cache: HostCache[float] = HostCache(self._float32_values, name="step")

    def __call__(self, step: Any) -> Any:
        every = self._micro_batches_per_update(step)
        if _eager_torch():
            return ops.convert_to_tensor(self._host(step, every), dtype="float32")
        return self._evaluate(step, every)

    def _micro_batches_per_update(self, step: Any) -> int | None:
        optimizer = _accumulating_optimizer(step)
        if optimizer is None:
            return self.gradient_accumulation_steps
        every = _check_accumulation(
            optimizer.gradient_accumulation_steps, f"{optimizer.name}.gradient_accumulation_steps"
        )
        if self.gradient_accumulation_steps not in (None, every):
            raise ConfigError(
                "gradient_accumulation_steps",
                f"the optimizer's own value ({every}) or None: the schedule reads the optimizer's "
                "setting, state it there only",
                self.gradient_accumulation_steps,
            )
        return every

    def evaluate(self, step: Any) -> Any:
        """The schedule at ``step`` updates (a scalar or an array; divided by this object's
        ``gradient_accumulation_steps`` if set), computed with ``keras.ops``."""
        return self._evaluate(step, self.gradient_accumulation_steps)

    def _evaluate(self, step: Any, every: int | None) -> Any:
        xp = namespace()  # decided at trace time: JAX's x64 flag may change before then
        t = xp.as_int(step)
        if every:
            t = xp.floordiv(t, every)
        if xp.extended:
            # JAX: compiled once, not once per variable the optimizer updates
            from .. import _jax_pairs

            return _jax_pairs.compiled_once(
                lambda t: self._pairs(t, xp), t, lambda: np.float32(self.schedule.values([0])[0])
            )
        return self._pairs(t, xp)

    def _pairs(self, t: Any, xp: Any) -> Any:
        return ops.cast(narrow(self.schedule.evaluate(t, xp)), "float32")

    def _host(self, step: Any, every: int | None) -> Any:
        """float32(reference) for an eager scalar step, from the host cache."""
        steps = np.asarray(ops.convert_to_numpy(step), dtype=np.int64)
        if steps.ndim:
            return self._evaluate(step, every)
        t = max(int(steps), 0)
        if every:
            t //= every
        return self._cache[t]

    def _float32_values(self, steps: Any) -> list[float]:
        # Python floats holding float32 values: converting one back to float32 is exact.
        values: list[float] = self.schedule.values(steps).astype(np.float32).tolist()
        return values

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schedule": self.schedule.to_config(), "lrcore_format": FORMAT}
        if self.gradient_accumulation_steps:
            config["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KerasSchedule:
        """Also reads configs saved before ``lrcore_format`` existed (format 1 without the key)."""
        config = dict(config)
        version = config.pop("lrcore_format", FORMAT)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT:
            raise ConfigError(
                "lrcore_format",
                f"a format version in [1, {FORMAT}] (written by this or an older lrcore)",
                version,
            )
        return cls(**config)

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
    ``"10ep"``) is bound here by ``total_steps`` / ``steps_per_epoch``. With gradient
    accumulation, state it on the optimizer only (see :class:`KerasSchedule`).

    It drives the learning rate alone: a schedule that also drives other hyperparameters
    (``schedule.hyperparameters()``, e.g. ``one_cycle`` with ``cycle_momentum``) warns,
    since they would be dropped; :func:`lrcore.adapters.keras.callback` applies them all.

    >>> optimizer = keras.optimizers.SGD(learning_rate=schedule(lrcore.cosine(start=0.1, end=0.0, steps=1000)))
    """
    if total_steps is not None or steps_per_epoch is not None:
        schedule = ready(schedule, "schedule", total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    adapter = KerasSchedule(schedule, gradient_accumulation_steps)
    others = sorted(adapter.schedule.hyperparameters())
    if others:
        warnings.warn(
            f"lrcore.adapters.keras.schedule drives the learning rate only; this schedule also drives "
            f"{', '.join(others)}, which the optimizer will not get. Use lrcore.adapters.keras.callback("
            "schedule) with a float learning_rate to apply them all.",
            UserWarning,
            stacklevel=2,
        )
    return adapter
