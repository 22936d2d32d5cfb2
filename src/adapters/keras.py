"""Keras 3 adapter: an lrcore schedule as a Keras ``LearningRateSchedule`` or callback.

Two ways in, one formula (the core's, never re-written here):

- :func:`schedule` wraps a schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.
  Keras evaluates it inside the compiled train step at ``optimizer.iterations``, on any
  backend (TensorFlow, JAX, torch), through :class:`KerasNamespace`, the core's array
  namespace written over ``keras.ops``. It is registered for Keras serialization, so a
  compiled model survives ``model.save`` / ``keras.models.load_model``.
- :func:`callback` is a ``keras.callbacks.Callback`` in the spirit of
  ``keras.callbacks.LearningRateScheduler``: it sets the optimizer's learning rate
  variable on the host before every batch (``interval="step"``, from
  ``optimizer.iterations``, so a resumed fit continues the curve) or every epoch
  (``interval="epoch"``, from the epoch index), and logs ``learning_rate``.

Precision (SPEC section 7): where the backend computes in float64 (TensorFlow, torch,
JAX with ``jax_enable_x64``) the schedule is evaluated in float64 with int64 steps and
rounded once to float32, so the applied learning rate is ``float32(schedule(t))``. On
JAX without x64 it is evaluated in float32 with int32 steps through the core's
table-based float32 path (within 4 float32 ulps of the reference). Keras runs the torch
backend's train step eagerly, op by op: there the schedule object reads
``float32(schedule(t))`` from a host cache instead (exact, and cheaper than ~50 eager
ops per step), and traces the ``keras.ops`` formula only under ``torch.compile``
(``jit_compile=True``). The callback always evaluates the float64 reference on the host.

>>> import keras, lrcore
>>> from lrcore.adapters import keras as lrk
>>> s = lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9000), steps=1000)
>>> optimizer = keras.optimizers.SGD(learning_rate=lrk.schedule(s))
"""

from __future__ import annotations

import numbers
from typing import Any

import keras
import numpy as np
from keras import ops

import lrcore
from lrcore._base import as_schedule
from lrcore._namespace import Array, Namespace

try:  # Keras' own printer (it follows keras.config.disable_interactive_logging)
    from keras.src.utils.io_utils import print_msg as _print
except ImportError:  # pragma: no cover - moved in another Keras version
    _print = print

__all__ = ["KerasNamespace", "KerasSchedule", "ScheduleCallback", "callback", "namespace", "schedule"]

_CHUNK = 4096  # host values computed per refill of a cache (torch schedule, callback)
_INT32_MAX = (1 << 31) - 1
_INT64_MAX = (1 << 63) - 1


def _float64_capable() -> bool:
    """Whether the current Keras backend computes in float64 (JAX only with x64)."""
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


class KerasNamespace(Namespace):
    """The core's array namespace over ``keras.ops``: one class for every Keras backend.

    ``bits=64`` computes in float64 with int64 steps, ``bits=32`` in float32 with int32
    steps (the core then uses its host tables instead of ``sin``/``exp``). Python
    numbers meeting a tensor take the tensor's dtype; two Python numbers take the
    namespace's int or float dtype, so integer and float arithmetic never mix widths.
    """

    def __init__(self, bits: int = 64) -> None:
        if bits not in (32, 64):
            raise ValueError(f"bits must be 32 or 64, got {bits!r}")
        self.bits = bits
        self.float = f"float{bits}"
        self.int = f"int{bits}"
        self.int_max = _INT64_MAX if bits == 64 else _INT32_MAX
        self.name = f"keras-{keras.backend.backend()}-float{bits}"

    def _scalar(self, value: Any, like: Any = None) -> Any:
        """A Python or NumPy number as a tensor of ``like``'s dtype (or ours)."""
        if not isinstance(value, numbers.Number):
            return value
        if like is not None and not isinstance(like, numbers.Number):
            dtype = keras.backend.standardize_dtype(like.dtype)
        else:
            dtype = self.int if isinstance(value, numbers.Integral) else self.float
        if "int" in dtype:
            # A bound past the step type's range can never be reached; clip it so it fits.
            limit = self.int_max if dtype == self.int else np.iinfo(dtype).max
            value = max(-limit - 1, min(int(value), limit))
        return ops.convert_to_tensor(value, dtype=dtype)

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        return self._scalar(a, b), self._scalar(b, a)

    def as_int(self, t: Array) -> Array:
        return ops.cast(t, self.int)

    def to_float(self, x: Array) -> Array:
        return ops.cast(x, self.float)

    def fill(self, like: Array, value: float) -> Array:
        return ops.full_like(like, value, dtype=self.float)

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        return ops.where(cond, *self._pair(a, b))

    # keras.ops.minimum/maximum/floor_divide (torch) and sin (JAX) promote 64-bit inputs
    # to 32-bit results on every backend but TensorFlow (keras.src.backend.common.dtypes
    # BIT64_TO_BIT32_DTYPE, "aligned with JAX's default"). The forms below keep the
    # dtype on every backend: a comparison with where, and the tensors' own operators.

    def minimum(self, a: Any, b: Any) -> Array:
        a, b = self._pair(a, b)
        return ops.where(a <= b, a, b)

    def maximum(self, a: Any, b: Any) -> Array:
        a, b = self._pair(a, b)
        return ops.where(a >= b, a, b)

    def floordiv(self, a: Array, b: int) -> Array:
        return a // self._scalar(b, a)

    def mod(self, a: Array, b: int) -> Array:
        return a % self._scalar(b, a)

    def sin(self, x: Array) -> Array:
        if self.bits == 64 and keras.backend.backend() == "jax":
            import jax.numpy as jnp

            return jnp.sin(x)
        return ops.sin(x)

    def exp(self, x: Array) -> Array:
        return ops.exp(x)

    def sqrt(self, x: Array) -> Array:
        return ops.sqrt(x)

    def pow(self, x: Array, p: float) -> Array:
        return ops.power(x, self._scalar(float(p), x))

    def take(self, table: Any, index: Array) -> Array:
        dtype = self.float if table.dtype.kind == "f" else self.int
        # NumPy rounds the float64 host table to float32 correctly, once.
        return ops.take(ops.convert_to_tensor(np.asarray(table, dtype=dtype)), index)


def _eager_torch() -> bool:
    """Keras on torch runs the train step eagerly, one Python call per op. There the
    schedule is read from a host table of float32(reference) values, exact and far
    cheaper than ~50 eager ops per step; under ``torch.compile`` it is traced as usual."""
    if keras.backend.backend() != "torch":
        return False
    import torch

    return not torch.compiler.is_compiling()


def namespace() -> KerasNamespace:
    """The namespace for the current backend: float64 where it can, else float32."""
    return KerasNamespace(64 if _float64_capable() else 32)


def _as_lrcore(value: Any) -> lrcore.Schedule:
    if isinstance(value, KerasSchedule):
        return value.schedule
    return as_schedule(value, "schedule")


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
                raise ValueError(
                    f"gradient_accumulation_steps must be a positive integer, got {gradient_accumulation_steps!r}"
                )
            if gradient_accumulation_steps == 1:
                gradient_accumulation_steps = None
        self.gradient_accumulation_steps = gradient_accumulation_steps

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
        """float32(reference) for an eager scalar step, a chunk of steps at a time."""
        steps = np.asarray(ops.convert_to_numpy(step), dtype=np.int64)
        if steps.ndim:
            return self.evaluate(step)
        t = int(steps)
        if self.gradient_accumulation_steps:
            t //= self.gradient_accumulation_steps
        cache = self.__dict__.get("_cache")
        if cache is None or not cache[0] <= t < cache[0] + len(cache[1]):
            cache = (
                max(t, 0),
                self.schedule.values(np.arange(max(t, 0), max(t, 0) + _CHUNK)).astype(np.float32),
            )
            self._cache = cache
        return cache[1][max(t, 0) - cache[0]]

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


def schedule(schedule: Any, *, gradient_accumulation_steps: int | None = None) -> KerasSchedule:
    """A ``keras.optimizers.schedules.LearningRateSchedule`` running ``schedule``.

    ``schedule`` is an lrcore schedule or its config mapping.

    >>> optimizer = keras.optimizers.SGD(learning_rate=schedule(lrcore.cosine(start=0.1, end=0.0, steps=1000)))
    """
    return KerasSchedule(schedule, gradient_accumulation_steps)


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's learning rate from an lrcore schedule, like
    ``keras.callbacks.LearningRateScheduler``.

    ``interval="step"``: before every batch, ``lr = schedule(optimizer.iterations)`` (a
    resumed fit continues the curve). ``interval="epoch"``: before every epoch,
    ``lr = schedule(epoch)`` with the epoch index, as LearningRateScheduler does. The
    value is the float64 host reference rounded to the learning rate variable's dtype;
    values are computed a chunk at a time. At every epoch end ``learning_rate`` is
    written into the logs (History, CSVLogger, TensorBoard). ``verbose=1`` prints the
    learning rate at the start of every epoch.

    The optimizer must hold a float learning rate (a variable); one created with a
    ``LearningRateSchedule`` is refused with a TypeError.
    """

    def __init__(self, schedule: Any, interval: str = "step", verbose: int = 0) -> None:
        super().__init__()
        if interval not in ("step", "epoch"):
            raise ValueError(f"interval must be 'step' or 'epoch', got {interval!r}")
        self.schedule = _as_lrcore(schedule)
        self.interval = interval
        self.verbose = verbose
        self._start = 0
        self._cache = np.empty(0)
        self._epoch = 0
        self._assigned: Any = None

    def value(self, t: int) -> float:
        """``schedule(t)`` (float64), from the chunk cache."""
        if not self._start <= t < self._start + len(self._cache):
            self._start = t
            self._cache = self.schedule.values(np.arange(t, t + _CHUNK, dtype=np.int64))
        return float(self._cache[t - self._start])

    def _optimizer(self) -> Any:
        optimizer = self.model.optimizer
        held = getattr(optimizer, "_learning_rate", None)
        if isinstance(held, keras.optimizers.schedules.LearningRateSchedule) or (
            held is not None and not isinstance(held, keras.Variable) and callable(held)
        ):
            raise TypeError(
                f"lrcore's Keras callback sets the learning rate itself, but the optimizer already holds a "
                f"schedule ({held!r}). Create the optimizer with a float learning_rate "
                "(e.g. keras.optimizers.SGD(learning_rate=0.0)) to use the callback, or pass "
                "lrcore.adapters.keras.schedule(...) as its learning_rate and drop the callback."
            )
        if not isinstance(held, keras.Variable):
            raise TypeError(f"the optimizer {optimizer!r} has no learning rate variable to set")
        return optimizer

    def on_train_begin(self, logs: Any = None) -> None:
        self._optimizer()
        self._assigned = None
        if self.interval == "step" and getattr(self.model, "steps_per_execution", 1) > 1:
            raise ValueError(
                f"interval='step' needs steps_per_execution=1 (the model has {self.model.steps_per_execution}): "
                "the callback can only change the learning rate between executions. Use "
                "lrcore.adapters.keras.schedule(...) as the optimizer's learning_rate instead."
            )

    def _set(self, lr: float) -> Any:
        variable = self.model.optimizer._learning_rate
        value = np.asarray(lr, dtype=keras.backend.standardize_dtype(variable.dtype))
        if self._assigned is None or value != self._assigned:
            variable.assign(value)
            self._assigned = value
        return value

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._epoch = epoch
        if self.interval == "epoch":
            value = self._set(self.value(epoch))
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: lrcore setting learning rate to {value}.")

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self.interval != "step":
            return
        # On JAX the trainer holds the state between steps: sync it so that the step we
        # read is current and the variable we assign is used by the next step.
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()
        optimizer = self.model.optimizer
        t = int(keras.ops.convert_to_numpy(optimizer.iterations))
        value = self._set(self.value(t))
        if self.verbose > 0 and batch == 0:
            _print(f"\nEpoch {self._epoch + 1}: lrcore setting learning rate to {value} (step {t}).")

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def callback(schedule: Any, interval: str = "step", verbose: int = 0) -> ScheduleCallback:
    """A Keras callback setting the optimizer's learning rate from ``schedule`` before
    every batch (``interval="step"``) or epoch (``interval="epoch"``).

    >>> model.fit(x, y, epochs=3, callbacks=[callback(lrcore.step(start=0.1, gamma=0.5, step_size=100))])
    ... # doctest: +SKIP
    """
    return ScheduleCallback(schedule, interval=interval, verbose=verbose)


# Reduce-on-plateau as a callback monitoring a logged metric (imported last: it builds on
# this module's namespace; importing it also registers PlateauSchedule for load_model).
from ._plateau_keras import (  # noqa: E402
    PlateauCallback,
    PlateauSchedule,
    plateau_callback,
    plateau_schedule,
)

__all__ += ["PlateauCallback", "PlateauSchedule", "plateau_callback", "plateau_schedule"]
