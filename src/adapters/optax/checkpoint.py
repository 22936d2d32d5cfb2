"""Checkpoints of an optax run that carry the schedule's plan, and resuming when it changed.

An optax schedule keeps no state: the update count lives in the optimizer state, so restoring
that state resumes any schedule at the right step, including one that differs from the
schedule the run was trained with (another horizon, a new warmup), whose curve then jumps
without a word. :func:`save` stores the plan (:func:`lrcore.checkpoint.record`, as one JSON
string: a single pytree leaf whose tree structure does not depend on the plan) beside the
state; :func:`restore` compares it with the schedules the run is rebuilt with (SPEC section 8):
equal plans resume silently; a changed one warns with a :class:`lrcore.checkpoint.PlanChangedWarning`
naming each changed field and resumes with the checkpoint's, unless ``prefer="checkpoint"`` or
``prefer="current"`` chooses explicitly::

    import pickle
    from lrcore.adapters.optax import checkpoint, optimizer

    plan = {"learning_rate": lrcore.cosine(start=1e-3, end=0.0, steps=10_000)}
    opt = optimizer(optax.adamw, **plan)
    ...
    pickle.dump(checkpoint.save(opt_state, plan), file)

    # later, maybe with another horizon:
    plan = {"learning_rate": lrcore.cosine(start=1e-3, end=0.0, steps=20_000)}
    opt_state, plan = checkpoint.restore(pickle.load(file), plan)  # warns: steps: 10000 -> 20000
    opt = optimizer(optax.adamw, **plan)  # the checkpoint's plan, at the checkpoint's count

``schedules`` is one schedule (or config), or a mapping of names to schedules (the arguments of
:func:`lrcore.adapters.optax.optimizer`, say); :func:`restore` returns the same shape. Any
checkpointing library stores the dict :func:`save` returns (pickle, ``flax.serialization``,
Orbax); where the plan must live elsewhere, :func:`plan` and :func:`resume` are the two halves.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any

import lrcore
from lrcore import checkpoint as core
from lrcore._schedule import ready

__all__ = ["plan", "restore", "resume", "save"]

PLAN_KEY = "lrcore"
STATE_KEY = "opt_state"


def save(opt_state: Any, schedules: Any, **binding: Any) -> dict[str, Any]:
    """The checkpoint of a run: ``{"opt_state": opt_state, "lrcore": plan(schedules)}``.
    ``binding`` (``total_steps``, ``steps_per_epoch``) binds durations, as the adapter did."""
    return {STATE_KEY: opt_state, PLAN_KEY: plan(schedules, **binding)}


def restore(
    checkpoint: Mapping[str, Any], schedules: Any, *, prefer: str | None = None, **binding: Any
) -> tuple[Any, Any]:
    """``(opt_state, schedules to resume with)`` from a checkpoint :func:`save` wrote, given
    the schedules the run was rebuilt with (see :func:`resume`)."""
    for key in (STATE_KEY, PLAN_KEY):
        if not isinstance(checkpoint, Mapping) or key not in checkpoint:
            raise lrcore.ConfigError(
                "checkpoint",
                f"a mapping with {STATE_KEY!r} and {PLAN_KEY!r} (what save() returns)",
                checkpoint,
            )
    return checkpoint[STATE_KEY], resume(checkpoint[PLAN_KEY], schedules, prefer=prefer, **binding)


def plan(schedules: Any, *, total_steps: int | None = None, steps_per_epoch: int | None = None) -> str:
    """The plan as a checkpoint stores it: the JSON text of :func:`lrcore.checkpoint.record`
    of each schedule (bound by ``total_steps`` / ``steps_per_epoch`` where it has durations)."""
    bound = _ready(schedules, total_steps, steps_per_epoch)
    if isinstance(bound, lrcore.Schedule):
        return json.dumps(core.record(bound))
    return json.dumps({"schedules": {name: core.record(s) for name, s in bound.items()}})


def resume(
    saved: str,
    schedules: Any,
    *,
    prefer: str | None = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> Any:
    """The schedule(s) to resume with, given a saved :func:`plan` and those the run was rebuilt
    with (same shape: one schedule, or a mapping of names). Each is
    :func:`lrcore.checkpoint.reconcile`\\ d: equal ones resume silently, a changed one warns,
    naming the changed fields, and the checkpoint's is kept unless ``prefer="current"``
    (``prefer="checkpoint"`` keeps it silently). A name only in the checkpoint or only now is
    a change as well: kept from where ``prefer`` says (by default, the current set of names)."""
    core.check_prefer(prefer)
    current = _ready(schedules, total_steps, steps_per_epoch)
    try:
        record = json.loads(saved) if isinstance(saved, (str, bytes)) else saved
    except json.JSONDecodeError:
        raise lrcore.ConfigError("checkpoint", "the JSON text plan() wrote", saved) from None
    if isinstance(current, lrcore.Schedule):
        return core.reconcile(record, current, prefer=prefer)
    if not isinstance(record, Mapping) or not isinstance(record.get("schedules"), Mapping):
        raise lrcore.ConfigError("checkpoint", "the plan of a mapping of schedules (plan() of a dict)", saved)
    stored: Mapping[str, Any] = record["schedules"]
    out: dict[str, lrcore.Schedule] = {}
    for name in [*current, *(n for n in stored if n not in current)]:
        if name in current and name in stored:
            resumed = core.reconcile(stored[name], current[name], prefer=prefer, where=name)
            assert isinstance(resumed, lrcore.Schedule)
            out[name] = resumed
        elif name in current:  # new now: nothing in the checkpoint to resume
            if prefer != "checkpoint":
                out[name] = current[name]
            _changed(prefer, f"{name}: not in the checkpoint, given now")
        else:
            if prefer == "checkpoint":
                out[name] = _from_record(stored[name], name)
            _changed(prefer, f"{name}: in the checkpoint, not given now")
    return out


def _from_record(saved: Any, name: str) -> lrcore.Schedule:
    """The schedule a record holds (checked as :func:`lrcore.checkpoint.reconcile` does)."""
    config = saved.get("config") if isinstance(saved, Mapping) else None
    if not isinstance(config, Mapping):
        raise lrcore.ConfigError(name, "a checkpoint record with 'lrcore_format' and 'config'", saved)
    try:
        restored = lrcore.from_config(config)
    except lrcore.ConfigError as error:
        raise error.prefixed(f"{name}.config") from None
    if not isinstance(restored, lrcore.Schedule):
        raise lrcore.ConfigError(f"{name}.config", "a schedule config", config)
    return restored


def _changed(prefer: str | None, change: str) -> None:
    if prefer is None:
        warnings.warn(
            core.PlanChangedWarning(
                f"{change}: resuming with the schedules given now. Choose explicitly with "
                "prefer='checkpoint' or prefer='current'."
            ),
            stacklevel=4,
        )


def _ready(schedules: Any, total_steps: int | None, steps_per_epoch: int | None) -> Any:
    bind = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
    if isinstance(schedules, lrcore.Schedule) or (isinstance(schedules, Mapping) and "type" in schedules):
        return ready(schedules, "schedule", **bind)
    if isinstance(schedules, Mapping):
        return {str(name): ready(s, str(name), **bind) for name, s in schedules.items()}
    raise lrcore.ConfigError(
        "schedules", "a schedule, its config, or a mapping of names to schedules", schedules
    )
