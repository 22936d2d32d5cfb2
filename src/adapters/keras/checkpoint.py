"""Resuming a saved Keras model with a changed plan (SPEC section 8).

A model saved with ``model.save`` (or ``keras.callbacks.ModelCheckpoint``) whose optimizer
holds :func:`lrcore.adapters.keras.schedule` keeps the schedule's config and the
checkpoint format in the ``.keras`` file (``KerasSchedule.get_config``). :func:`resume`
loads it and compares that plan with the schedule the run was rebuilt with, as
:func:`lrcore.checkpoint.reconcile` does for every adapter: the same plan resumes
silently; a changed one (another horizon, a new warmup, another type) warns with a
:class:`lrcore.checkpoint.PlanChangedWarning` naming each changed field and keeps the
checkpoint's schedule, unless ``prefer="checkpoint"`` or ``prefer="current"`` chooses
(and silences the warning).

>>> model = lrk.resume("run/epoch3.keras", lrcore.cosine(start=0.1, end=0.0, steps=2000), prefer="current")
... # doctest: +SKIP
>>> model.fit(x, y, initial_epoch=3, epochs=10)  # doctest: +SKIP

``keras.callbacks`` are not saved with a model, so a run driven by
:func:`lrcore.adapters.keras.callback` leaves no plan in its checkpoints: :func:`resume`
refuses such a model (rebuild the callback with the schedule you mean).
"""

from __future__ import annotations

import os
from typing import Any

import keras

from lrcore._schedule import ready
from lrcore.checkpoint import reconcile, record

from .callbacks import _inner
from .schedules import KerasSchedule, _as_lrcore

__all__ = ["resume"]


def resume(
    model_or_path: Any,
    schedule: Any,
    *,
    prefer: str | None = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> Any:
    """The model (loaded with ``keras.models.load_model`` when given a path), its optimizer
    running the schedule to resume with: the saved one when it equals ``schedule`` or when
    ``prefer="checkpoint"``; ``schedule`` when ``prefer="current"``; with ``prefer=None`` a
    changed plan warns (:class:`lrcore.checkpoint.PlanChangedWarning`, naming the changed
    fields) and the saved one is kept. ``optimizer.iterations`` is kept either way, so the
    chosen schedule continues at the step where the checkpoint stopped.

    ``schedule`` is an lrcore schedule or config; one with durations is bound by
    ``total_steps`` / ``steps_per_epoch``. A model whose optimizer holds no lrcore schedule
    is a TypeError.
    """
    if isinstance(model_or_path, (str, os.PathLike)):
        where = os.fspath(model_or_path)
        model = keras.models.load_model(model_or_path)
    else:
        where, model = "model", model_or_path
    if total_steps is not None or steps_per_epoch is not None:
        schedule = ready(schedule, "schedule", total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    current = _as_lrcore(schedule)

    optimizer = _inner(getattr(model, "optimizer", None))
    held = getattr(optimizer, "_learning_rate", None)
    if not isinstance(held, KerasSchedule):
        raise TypeError(
            f"{where}: the optimizer holds no lrcore schedule (it holds {held!r}), so the checkpoint "
            "has no plan to compare. lrcore.adapters.keras.resume needs a model compiled with "
            "learning_rate=lrcore.adapters.keras.schedule(...); a run driven by the callback saves no "
            "plan (Keras does not save callbacks): rebuild the callback with the schedule you mean."
        )
    chosen = reconcile(record(held.schedule), current, prefer=prefer, where=where)
    if chosen != held.schedule:
        optimizer._learning_rate = KerasSchedule(chosen, held.gradient_accumulation_steps)
        # A compiled train step has the old schedule traced in: build it anew.
        model.train_function = None
    return model
