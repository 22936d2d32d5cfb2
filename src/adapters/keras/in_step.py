"""The per-step callback's rate, advanced inside Keras' compiled train step.

Setting the learning rate variable from Python before every batch costs a host round trip
per batch: a read of ``optimizer.iterations`` (which waits for the previous step) and an
assignment, and on JAX a sync of the trainer's whole state into the variables and back.
Instead, for the length of one ``fit``, :class:`InStepRate` wraps the optimizer's
``apply`` (the call every backend's train step makes once per batch: TensorFlow's
``apply_gradients``, JAX's ``stateless_apply`` and ``LossScaleOptimizer`` on finite
gradients all go through it) so that after each update it writes
``schedule(optimizer.iterations)`` into the optimizer's own learning rate variable: the
value the next update reads. The variables hold what the per-batch callback set at every
batch start, so an update applies ``schedule(t)`` at ``t = optimizer.iterations`` with
gradient accumulation and skipped updates counted as before, and nothing the optimizer
saves changes (its learning rate stays a float variable, its config a float).

The value is float32(reference) on every backend, as the per-batch setting gave:

- TensorFlow graph (and ``torch.compile``): the core's formula over ``keras.ops``
  (:class:`~lrcore.adapters.keras.KerasSchedule`), in float64, rounded once (SPEC 7).
- ``jax.jit``: JAX without x64 computes in float32, whose formula path is up to a few ulps
  off (1 ulp at 11 of 50 steps of a cosine, measured), so the step reads the host's
  float32(reference) from a window of :data:`WINDOW` steps passed to the jitted step as
  an argument; the host builds the next window when the step count may leave it (one
  read of ``iterations`` from the returned state per window).
- Run eagerly (``run_eagerly=True``, torch's eager step): the host's value after each update.

Keras traces the train step once and keeps it in ``model.train_function``, so a step
traced with the wrapper would keep advancing the rate in a later ``fit`` without the
callback. :func:`install` therefore gives the fit a train function of its own (traced once
per model and plan, reused by later fits with the same plan) and :func:`remove` puts
Keras' own back. Checked on Keras 3.15 (TensorFlow, JAX, torch): ``fit`` calls
``make_train_function()`` before ``on_train_begin`` and ``self.train_function`` at every
batch; a test pins both. A fit that stops with an exception never reaches
``on_train_end``: the optimizer and the model keep the callback's step until a later fit
with the callback ends (``remove`` restores them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

import lrcore
from lrcore._hostcache import HostCache

from .schedules import KerasSchedule

__all__ = ["WINDOW", "InStepRate", "install", "remove", "tracing"]

WINDOW = 1024  # steps of host values per JAX window

# Where a model keeps the train function traced with the wrapper: (Keras' function it
# stands in for, the plan it was traced with, the InStepRate, the function).
_TRACED = "_lrcore_in_step_train_function"


def tracing(value: Any) -> bool:
    """Whether ``value`` (a variable's value read inside the train step) is symbolic."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.inside_function())
    if backend == "jax":
        import jax

        return isinstance(value, jax.core.Tracer)
    if backend == "torch":
        import torch

        return bool(torch.compiler.is_compiling())
    return False


def _float32_cache(schedule: lrcore.Schedule) -> HostCache[float]:
    def values(steps: Any) -> list[float]:
        out: list[float] = schedule.values(steps).astype(np.float32).tolist()
        return out

    return HostCache(values, name="t")


class InStepRate:
    """Advances each ``(variable, schedule)`` pair after every update of ``optimizer`` to
    ``schedule(optimizer.iterations)``; a variable's value is the one the next update reads."""

    def __init__(self, optimizer: Any, schedules: Sequence[tuple[Any, lrcore.Schedule]]) -> None:
        self.optimizer = optimizer
        self.schedules = [(variable, KerasSchedule(schedule)) for variable, schedule in schedules]
        self._caches = [_float32_cache(schedule) for _, schedule in schedules]
        self._window: tuple[Any, Any] | None = None  # (table, first step) while tracing
        self._table: Any = None  # the current JAX window (values, first step), calls since
        self._calls = 0

    def set(self, t: int) -> None:
        """From the host: every variable to float32(schedule(t))."""
        for (variable, _), cache in zip(self.schedules, self._caches, strict=True):
            variable.assign(np.float32(cache[t]))

    def reset(self, t: int) -> None:
        """At the start of a fit, at step ``t``: the first update's values, a new window."""
        self.set(t)
        self._table = None

    def wrap(self, apply: Callable[..., Any]) -> Callable[..., Any]:
        def apply_then_advance(*args: Any, **kwargs: Any) -> Any:
            result = apply(*args, **kwargs)
            t = self.optimizer.iterations
            if tracing(getattr(t, "value", t)):
                for i, (variable, schedule) in enumerate(self.schedules):
                    variable.assign(keras.ops.cast(self._traced(i, schedule, t), variable.dtype))
            else:
                self.set(int(keras.ops.convert_to_numpy(t)))
            return result

        return apply_then_advance

    def _traced(self, i: int, schedule: KerasSchedule, t: Any) -> Any:
        if self._window is None:
            return schedule.evaluate(t)
        table, t0 = self._window
        ops = keras.ops
        return ops.take(table[i], ops.clip(ops.subtract(t, ops.cast(t0, t.dtype)), 0, WINDOW - 1))

    def _host_window(self, t: int) -> Any:
        steps = np.arange(t, t + WINDOW)
        return np.stack(
            [schedule.schedule.values(steps).astype(np.float32) for _, schedule in self.schedules]
        )

    def jax_train_function(self, model: Any) -> Callable[..., Any]:
        """Keras' JAX train function (``make_train_function`` with ``jit_compile``) with the
        window as arguments: ``train_function(state, iterator)``."""
        import jax

        def step(state: Any, data: Any, table: Any, t0: Any) -> Any:
            self._window = (table, t0)  # read while tracing the update (see wrap)
            try:
                return model.train_step(state, data)
            finally:
                self._window = None

        out_shardings = None
        if keras.distribution.distribution() is not None:  # as Keras' make_train_function
            out_shardings = (None, model._get_state_sharding_spec())
        # A closure of its own: jax.jit shares traces between jits of equal bound methods,
        # so jit(model.train_step) would reuse (or give) Keras' own trace.
        jitted = jax.jit(step, donate_argnums=0, out_shardings=out_shardings)
        index = next(i for i, v in enumerate(model.optimizer.variables) if v is self.optimizer._iterations)
        every = self.optimizer.gradient_accumulation_steps or 1

        def train_function(state: Any, iterator: Any) -> Any:
            # An update advances the count by at most 1: t stays in [t0, t0 + calls].
            if self._table is None or self._calls >= WINDOW - 1:
                t = int(np.asarray(state[2][index])) // every  # (the variables are purged in fit)
                # On the device once per window, not at every call.
                self._table, self._calls = jax.device_put((self._host_window(t), np.int32(t))), 0
            self._calls += 1
            return jitted(state, next(iterator), *self._table)

        return train_function


def install(model: Any, rate: InStepRate, plan: Any) -> tuple[InStepRate, Any]:
    """For one ``fit``: ``rate`` advances after every update of its optimizer, and the model
    runs a train function traced with it. Returns the rate in use (one traced before with
    the same plan) and Keras' train function, for :func:`remove`."""
    theirs = model.train_function
    traced = model.__dict__.get(_TRACED)
    if traced is not None and theirs is traced[3]:  # left by a fit that stopped with an exception
        theirs = traced[0]
    if traced is not None and traced[0] is theirs and traced[1] == plan:
        rate, ours = traced[2], traced[3]
    else:  # first fit, a recompiled model (a new function of Keras') or another plan
        if keras.backend.backend() == "jax" and model.jit_compile and not model.run_eagerly:
            ours = rate.jax_train_function(model)
        else:
            model.make_train_function(force=True)
            ours = model.train_function
        object.__setattr__(model, _TRACED, (theirs, plan, rate, ours))
    optimizer = rate.optimizer
    rate.reset(int(keras.ops.convert_to_numpy(optimizer.iterations)))
    # An instance attribute, past Keras' attribute tracking: only this optimizer, only now.
    object.__setattr__(optimizer, "apply", rate.wrap(type(optimizer).apply.__get__(optimizer)))
    model.train_function = ours
    return rate, theirs


def remove(model: Any, optimizer: Any, theirs: Any) -> None:
    """Undo :func:`install`: Keras' own ``apply`` and train function."""
    if "apply" in vars(optimizer):
        object.__delattr__(optimizer, "apply")
    model.train_function = theirs
