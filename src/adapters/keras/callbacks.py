"""A Keras callback that sets the optimizer's learning rate from an lrcore schedule, in the
spirit of ``keras.callbacks.LearningRateScheduler``.

>>> import keras, lrcore
>>> from lrcore.adapters.keras import callback
>>> cb = callback(lrcore.step(start=0.1, gamma=0.5, step_size=100), interval="step")
>>> model.fit(x, y, epochs=3, callbacks=[cb])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import lrcore
from lrcore._errors import ConfigError
from lrcore._hostcache import HostCache
from lrcore._schedule import ready

from . import in_step
from .hyperparameters import attach
from .schedules import _as_lrcore

try:  # Keras' own printer (it follows keras.config.disable_interactive_logging)
    from keras.src.utils.io_utils import print_msg as _print
except ImportError:  # pragma: no cover - moved in another Keras version
    _print = print

__all__ = ["LearningRateLogger", "ScheduleCallback", "callback"]


def _inner(optimizer: Any) -> Any:
    """The optimizer that holds the learning rate: a ``LossScaleOptimizer``'s inner one (its
    own ``_learning_rate`` is a placeholder that no update reads)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's learning rate from an lrcore schedule, like
    ``keras.callbacks.LearningRateScheduler``.

    ``interval="step"``: every update applies ``lr = schedule(optimizer.iterations)`` (a
    resumed fit continues the curve). ``optimizer.iterations`` counts applied updates:
    with ``gradient_accumulation_steps=k`` it is the micro-batch count ``// k``, and an
    update a ``LossScaleOptimizer`` skipped (non-finite gradients) is not counted. The
    value is written into the optimizer's learning rate variable inside the compiled train
    step, after each update for the next one (module ``in_step``: no host round trip per
    batch, and on JAX no state sync), so at every batch start the variable holds the rate
    that batch applies, as a per-batch setting would; the fit runs a train step of its own
    and Keras' comes back after it. ``interval="epoch"``: before every epoch,
    ``lr = schedule(epoch)`` with the epoch index, as LearningRateScheduler does. The
    value is the float64 host reference rounded to the learning rate variable's dtype
    (float32(reference); computed in the step in float64 on TensorFlow, read from host
    tables on JAX). At every epoch end ``learning_rate`` is written into the logs (History,
    CSVLogger, TensorBoard): the rate of the epoch's last applied update (per epoch: the
    epoch's rate); after ``fit`` the variable holds it too. ``verbose=1`` prints the
    learning rate at the start of every epoch.

    ``momentum``, ``beta1``, ``weight_decay``: schedules for those hyperparameters, set at
    the same steps from the same ``t``, per step inside the train step too (module
    ``hyperparameters``: which optimizer attribute each drives, and the backends where
    Keras lets a changed value reach the compiled step: TensorFlow and torch). The schedule's own
    ``schedule.hyperparameters()`` (``one_cycle`` / ``cyclic`` with ``cycle_momentum``)
    are applied too, never dropped; an explicit argument replaces the paired one.

    The optimizer must hold a float learning rate (a variable); one created with a
    ``LearningRateSchedule`` is refused with a TypeError. A ``LossScaleOptimizer`` (also
    the one ``compile`` wraps around the optimizer under a ``mixed_float16`` policy) has
    its inner optimizer's learning rate set.
    """

    def __init__(
        self,
        schedule: Any,
        interval: str = "step",
        verbose: int = 0,
        *,
        momentum: Any = None,
        beta1: Any = None,
        weight_decay: Any = None,
    ) -> None:
        super().__init__()
        if interval not in ("step", "epoch"):
            raise ConfigError("interval", "'step' or 'epoch'", interval)
        self.schedule = _as_lrcore(schedule)
        self.interval = interval
        self.verbose = verbose
        self._cache: HostCache[float] = HostCache(self._values, name="t")
        given = {"momentum": momentum, "beta1": beta1, "weight_decay": weight_decay}
        self.hyperparameters: dict[str, Any] = {
            **self.schedule.hyperparameters(),
            **{name: ready(value, name) for name, value in given.items() if value is not None},
        }
        self._variables: dict[str, Any] = {}
        self._epoch = 0
        self._assigned: Any = None
        self._installed: tuple[Any, Any] | None = None  # (optimizer, Keras' train function)

    def value(self, t: int) -> float:
        """``schedule(t)`` (float64), from the host cache."""
        return self._cache[t]

    def _values(self, steps: Any) -> list[float]:
        values: list[float] = self.schedule.values(steps).tolist()
        return values

    def _optimizer(self) -> Any:
        optimizer = _inner(self.model.optimizer)
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
        optimizer = self._optimizer()
        self._variables = attach(optimizer, list(self.hyperparameters))
        self._assigned = None
        if self.interval == "step" and getattr(self.model, "steps_per_execution", 1) > 1:
            raise ValueError(
                f"interval='step' needs steps_per_execution=1 (the model has {self.model.steps_per_execution}): "
                "the callback can only change the learning rate between executions. Use "
                "lrcore.adapters.keras.schedule(...) as the optimizer's learning_rate instead."
            )
        if self.interval == "step":
            schedules = [(optimizer._learning_rate, self.schedule)]
            schedules += [(self._variables[name], s) for name, s in self.hyperparameters.items()]
            plan = (self.schedule, sorted(self.hyperparameters.items()))
            rate, theirs = in_step.install(self.model, in_step.InStepRate(optimizer, schedules), plan)
            self._installed = (rate.optimizer, theirs)

    def on_train_end(self, logs: Any = None) -> None:
        if self._installed is None:
            return
        optimizer, theirs = self._installed
        self._installed = None
        in_step.remove(self.model, optimizer, theirs)
        # As the per-batch setting left it: the rate of the last applied update.
        t = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
        self._set(self.value(t))
        self._set_hyperparameters(t)

    def _set(self, lr: float) -> Any:
        variable = _inner(self.model.optimizer)._learning_rate
        value = np.asarray(lr, dtype=keras.backend.standardize_dtype(variable.dtype))
        if self._assigned is None or value != self._assigned:
            variable.assign(value)
            self._assigned = value
        return value

    def _set_hyperparameters(self, t: int) -> None:
        for name, variable in self._variables.items():
            variable.assign(np.float32(self.hyperparameters[name](t)))

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._epoch = epoch
        if self.interval == "epoch":
            value = self._set(self.value(epoch))
            self._set_hyperparameters(epoch)
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: lrcore setting learning rate to {value}.")

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self.interval == "step" and self.verbose > 0 and batch == 0:
            # On JAX the trainer holds the state between steps: sync it to read the step.
            sync = getattr(self.model, "jax_state_sync", None)
            if sync is not None:
                sync()
            optimizer = _inner(self.model.optimizer)
            t = int(keras.ops.convert_to_numpy(optimizer.iterations))
            value = keras.ops.convert_to_numpy(optimizer.learning_rate)
            _print(f"\nEpoch {self._epoch + 1}: lrcore setting learning rate to {value} (step {t}).")

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is None:
            return
        # (the inner optimizer of a LossScaleOptimizer: before Keras 3.8 or so the wrapper's
        # own iterations count nothing)
        optimizer = _inner(self.model.optimizer)
        if self.interval == "step":  # the rate of the epoch's last applied update
            t = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
            logs["learning_rate"] = float(np.float32(self.value(t)))
        else:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class LearningRateLogger(keras.callbacks.Callback):
    """Writes ``learning_rate`` into the logs at every epoch end (History, CSVLogger,
    TensorBoard), for an optimizer created with a ``LearningRateSchedule`` such as
    :func:`lrcore.adapters.keras.schedule`, which Keras 3 does not log by itself (its
    ``LearningRateScheduler`` and ``ReduceLROnPlateau`` callbacks do, and so does
    :func:`callback`).

    The value is the rate of the epoch's last applied update, as :func:`callback` logs:
    ``schedule(t)`` with ``t = optimizer.iterations - 1`` (applied updates, so gradient
    accumulation and skipped updates are accounted for), float32(reference) for an lrcore
    schedule. A float learning rate is logged as it is.

    >>> model.fit(x, y, epochs=3, callbacks=[LearningRateLogger()])  # doctest: +SKIP
    """

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is None:
            return
        optimizer = _inner(self.model.optimizer)
        held = optimizer._learning_rate
        if not isinstance(held, keras.optimizers.schedules.LearningRateSchedule):
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
            return
        t = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
        schedule = getattr(held, "schedule", None)
        if isinstance(schedule, lrcore.Schedule):
            logs["learning_rate"] = float(np.float32(schedule(t)))
        else:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(held(t)))


def callback(
    schedule: Any,
    interval: str = "step",
    verbose: int = 0,
    *,
    momentum: Any = None,
    beta1: Any = None,
    weight_decay: Any = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> ScheduleCallback:
    """A Keras callback setting the optimizer's learning rate from ``schedule`` for every
    update (``interval="step"``, inside the train step) or epoch (``interval="epoch"``),
    and ``momentum``, ``beta1``, ``weight_decay`` from their schedules where given (and from
    ``schedule.hyperparameters()``; see :class:`ScheduleCallback`). Schedules with
    durations (``"5%"``, ``"10ep"``) are bound here by ``total_steps`` / ``steps_per_epoch``.

    >>> model.fit(x, y, epochs=3, callbacks=[callback(lrcore.step(start=0.1, gamma=0.5, step_size=100))])
    ... # doctest: +SKIP
    """
    others = {"momentum": momentum, "beta1": beta1, "weight_decay": weight_decay}
    if total_steps is not None or steps_per_epoch is not None:
        bind = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
        schedule = ready(schedule, "schedule", **bind)
        others = {name: None if s is None else ready(s, name, **bind) for name, s in others.items()}
    return ScheduleCallback(schedule, interval=interval, verbose=verbose, **others)
