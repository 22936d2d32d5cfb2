"""Keras 3 adapter for ``lrcore.plateau``: a callback that monitors a logged metric, and
the learning-rate schedule it drives.

:func:`plateau_callback` works like ``keras.callbacks.ReduceLROnPlateau`` (``monitor``,
``verbose``, ``learning_rate`` in the logs) with torch's semantics and any lrcore
schedule underneath::

    p = lrcore.plateau(lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9000), steps=1000),
                       patience=3)
    model.compile(optimizer=keras.optimizers.AdamW(), loss="mse")
    model.fit(x, y, validation_data=(xv, yv), epochs=30, callbacks=[plateau_callback(p)])

How. The optimizer's learning rate becomes a :class:`PlateauSchedule` (at the start of
``fit``, through the optimizer's public ``learning_rate`` setter; pass one yourself with
``learning_rate=plateau_schedule(p)`` to compile with it). Keras evaluates it inside the
train step at ``optimizer.iterations`` with the core's formula (lrcore's
``KerasNamespace``), multiplied by the plateau ``level`` held in a non-trainable
variable. At every epoch end the callback feeds the monitored metric to the core's
pure ``update`` on the host (float64, torch's arithmetic) and assigns the new level.
Whatever learning rate the optimizer held before (a float, Keras' or lrcore's schedule)
is replaced: the plateau's inner schedule is the learning rate, as the torch adapter
overwrites ``lr=``. (Keras' own ReduceLROnPlateau raises a TypeError on an optimizer
whose learning rate is a schedule.)

On JAX the train step is compiled with the variable's value as a constant (the level
is not one of the optimizer variables Keras threads through its state, which keeps
saved models loadable), so after a reduction the callback asks Keras for a fresh train
function: one recompilation per reduction.

Resuming. The schedule's config holds the plateau *and its state*, so ``model.save`` /
``keras.models.load_model`` restore both, and a later ``fit`` continues in the middle of
a patience window (from ``optimizer.iterations`` for the inner schedule). The
callback's ``state`` can also be read and set (``plateau.state_to_dict`` for JSON).
Put the plateau callback before ``ModelCheckpoint`` in ``callbacks``, so a checkpoint
holds the state after that epoch's report. The plateau state lives in the schedule's
config, which ``keras.callbacks.BackupAndRestore`` (weights and optimizer variables) does
not save: resume a plateau with full models from ``ModelCheckpoint``.

Durations. A plateau whose schedule has durations (``"5%"``, ``"10ep"``) is bound by
``total_steps=`` / ``steps_per_epoch=`` of :func:`plateau_callback` and
:func:`plateau_schedule` (as ``lrcore.adapters.keras.callback`` binds a schedule); the
saved config is the bound one.

Precision: float64 evaluation where the backend can (TensorFlow, torch, JAX with x64),
then one rounding to float32; on JAX without x64, the core's float32 path.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import keras
from keras import ops

from lrcore._namespace import Wide, host_pair, narrow
from lrcore._plateau import Plateau, PlateauState, ready_plateau

from .array_namespace import namespace

try:  # Keras' own printer (it follows keras.config.disable_interactive_logging)
    from keras.src.utils.io_utils import print_msg as _print
except ImportError:  # pragma: no cover - moved in another Keras version
    _print = print

__all__ = ["PlateauCallback", "PlateauSchedule", "plateau_callback", "plateau_schedule"]


@keras.saving.register_keras_serializable(package="lrcore")
class PlateauSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """``lr = plateau.lr(step, state)`` as a Keras ``LearningRateSchedule``; the state's
    level lives in :attr:`level` (a non-trainable variable), the rest of the state on the
    host (:attr:`state`). Its config is ``{"plateau": ..., "state": ...}``."""

    def __init__(
        self,
        plateau: Any,
        state: Any = None,
        *,
        total_steps: int | None = None,
        steps_per_epoch: int | None = None,
    ) -> None:
        self.plateau = _as_plateau(plateau, total_steps, steps_per_epoch)
        if state is None:
            state = self.plateau.initial_state()
        elif isinstance(state, Mapping):
            state = self.plateau.state_from_dict(state)
        self.state: PlateauState = state
        xp = namespace()
        self.level = keras.Variable(state.level, dtype=xp.float, trainable=False, name="lrcore_plateau_level")
        # float32-only backends (JAX): the float64 level's low part, so that the level is a
        # float pair and the scaled rate float32(reference)
        self.level_low = keras.Variable(
            host_pair(state.level)[1], dtype="float32", trainable=False, name="lrcore_plateau_level_low"
        )

    def __call__(self, step: Any) -> Any:
        xp = namespace()
        t = xp.as_int(step)
        level = ops.cast(self.level.value, xp.float)
        if xp.extended:
            # (opaque: on JAX the values are compile-time constants to XLA)
            level = Wide(xp, *xp.opaque((level, ops.cast(self.level_low.value, xp.float))))
        return ops.cast(narrow(self.plateau.evaluate(t, xp, level)), "float32")

    def set_state(self, state: PlateauState) -> bool:
        """Adopt ``state``; True if the level (and so the learning rate) changed."""
        changed = bool(state.level != self.state.level)
        self.state = state
        if changed:
            self.level.assign(state.level)
            self.level_low.assign(host_pair(state.level)[1])
        return changed

    def get_config(self) -> dict[str, Any]:
        return {"plateau": self.plateau.to_config(), "state": self.plateau.state_to_dict(self.state)}

    def __repr__(self) -> str:
        return f"PlateauSchedule({self.plateau!r})"


def plateau_schedule(
    plateau: Any, state: Any = None, *, total_steps: int | None = None, steps_per_epoch: int | None = None
) -> PlateauSchedule:
    """The :class:`PlateauSchedule` of ``plateau`` (or its config), to pass as an
    optimizer's ``learning_rate``; :func:`plateau_callback` drives it. Durations in the
    plateau's schedule are bound by ``total_steps`` / ``steps_per_epoch``."""
    return PlateauSchedule(plateau, state, total_steps=total_steps, steps_per_epoch=steps_per_epoch)


class PlateauCallback(keras.callbacks.Callback):
    """Feeds ``logs[monitor]`` to the plateau at every epoch end (see the module
    docstring). ``verbose=1`` prints each reduction, as Keras' ReduceLROnPlateau does."""

    def __init__(
        self,
        plateau: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        *,
        total_steps: int | None = None,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__()
        self.plateau = _as_plateau(plateau, total_steps, steps_per_epoch)
        self.monitor = monitor
        self.verbose = verbose
        self.schedule: PlateauSchedule | None = None

    @property
    def state(self) -> PlateauState:
        return self.schedule.state if self.schedule is not None else self.plateau.initial_state()

    def on_train_begin(self, logs: Any = None) -> None:
        optimizer = self.model.optimizer
        held = getattr(optimizer, "_learning_rate", None)
        if isinstance(held, PlateauSchedule):
            if held.plateau != self.plateau:
                raise ValueError(
                    f"the optimizer's PlateauSchedule runs {held.plateau!r}, the callback {self.plateau!r}"
                )
            self.schedule = held
            return
        self.schedule = self.schedule if self.schedule is not None else PlateauSchedule(self.plateau)
        optimizer.learning_rate = self.schedule  # Keras' setter: a schedule replaces the variable

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        assert self.schedule is not None
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        t = int(ops.convert_to_numpy(optimizer.iterations))
        logs["learning_rate"] = self.plateau.lr(max(t - 1, 0), self.schedule.state)
        metric = logs.get(self.monitor)
        if metric is None:
            warnings.warn(
                f"lrcore plateau: the monitored metric {self.monitor!r} is not in the logs "
                f"(available: {', '.join(sorted(logs))}); no report this epoch.",
                stacklevel=2,
            )
            return
        before = self.schedule.state
        after = self.plateau.update(before, metric)
        if self.schedule.set_state(after):
            if keras.backend.backend() == "jax":
                # The compiled step holds the old level as a constant: compile afresh.
                self.model.make_train_function(force=True)
            if self.verbose > 0:
                _print(
                    f"\nEpoch {epoch + 1}: lrcore plateau reducing the learning rate to "
                    f"{self.plateau.lr(t, after)} (level {after.level})."
                )


def plateau_callback(
    plateau: Any,
    monitor: str = "val_loss",
    verbose: int = 0,
    *,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> PlateauCallback:
    """A Keras callback running ``plateau`` (an ``lrcore.plateau`` or its config) on the
    logged metric ``monitor``. A schedule with durations (``"5%"``, ``"10ep"``) inside the
    plateau is bound by ``total_steps`` / ``steps_per_epoch``; one left unbound is a
    ``ConfigError`` naming it.

    >>> cb = plateau_callback(lrcore.plateau(0.01, patience=2), monitor="val_loss")
    """
    return PlateauCallback(
        plateau, monitor=monitor, verbose=verbose, total_steps=total_steps, steps_per_epoch=steps_per_epoch
    )


def _as_plateau(value: Any, total_steps: int | None = None, steps_per_epoch: int | None = None) -> Plateau:
    if isinstance(value, PlateauSchedule):
        value = value.plateau
    return ready_plateau(value, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
