"""optax adapter for ``lrcore.plateau``: a gradient transformation fed the metric.

:func:`plateau_transform` is the learning-rate step of an optax chain, like
``optax.scale_by_learning_rate``, whose learning rate is ``plateau.lr(count, state)``::

    opt = optax.chain(optax.scale_by_adam(), plateau_transform(plateau))
    updates, opt_state = opt.update(grads, opt_state, params, value=val_loss, report=is_validation)

- ``value`` (keyword, like ``optax.contrib.reduce_on_plateau``): the metric. When
  given, it is reported to the plateau *before* this update's learning rate is taken,
  so a validation loss passed with the first update of the next epoch steers that
  update. ``report`` (a bool, traced or not; default True) says whether ``value``
  counts: one compiled step can then serve every update, reporting only at the end of
  an epoch. Leave ``value`` out (``None``) to only step.
- The state (:class:`PlateauTransformState`) carries the update ``count``, the plateau
  state (one array per field of ``lrcore.PlateauState``) and the learning rate
  of the last update (``learning_rate``, for logging). It is a plain pytree: it
  checkpoints with the rest of the optimizer state, and :func:`core_state` /
  :func:`with_core_state` convert it to and from the core's host state (JSON via
  ``plateau.state_to_dict``).

The state machine is the core's own (``Plateau.transition``) traced over
``jax.numpy`` with ``where``: no host callback, one compilation. With
``jax_enable_x64`` it runs in float64, exactly the host reference (torch's arithmetic).
In JAX's default float32 the metric and ``best`` are float32, so a metric within float32
rounding of the improvement bound (``best * (1 - threshold)``) may be judged differently
from float64; the learning-rate levels are looked up from the float64 chain (as float pairs), so the learning rate stays
``float32(reference)`` exactly. ``nonfinite="raise"`` raises for a concrete metric; a
traced one cannot raise inside ``jit`` and counts as a bad epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lrcore._namespace import narrow
from lrcore._plateau import Plateau, PlateauState, as_plateau, ready_plateau

from .array_namespace import namespace

__all__ = ["PlateauTransformState", "core_state", "plateau_transform", "with_core_state"]


class PlateauTransformState(NamedTuple):
    """``count``: updates applied; ``best`` ... ``reports``: the plateau state (see
    ``lrcore.PlateauState``); ``learning_rate``: the last update's rate."""

    count: Any
    best: Any
    num_bad_epochs: Any
    cooldown_counter: Any
    level: Any
    reductions: Any
    reports: Any
    learning_rate: Any


def _plateau_part(state: PlateauTransformState) -> PlateauState:
    return PlateauState(*state[1:7])


def _arrays(plateau: Plateau, s: PlateauState, xp: Any) -> PlateauState:
    f, i = xp.float, xp.int
    return PlateauState(
        jnp.asarray(s.best, f),
        jnp.asarray(s.num_bad_epochs, i),
        jnp.asarray(s.cooldown_counter, i),
        jnp.asarray(s.level, f),
        jnp.asarray(s.reductions, i),
        jnp.asarray(s.reports, i),
    )


def plateau_transform(
    plateau: Plateau | Mapping[str, Any],
    *,
    flip_sign: bool = True,
    bits: int | None = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Scale updates by ``-plateau.lr(count, state)`` (``flip_sign=False``: ``+lr``),
    reporting the ``value`` keyword to the plateau first (see the module docstring).

    ``bits``: 32 or 64 (default: 64 exactly when ``jax_enable_x64`` is on). A schedule
    with durations (``"5%"``, ``"10ep"``) inside the plateau is bound by ``total_steps`` /
    ``steps_per_epoch`` (as ``lrcore.adapters.optax.schedule`` binds a schedule); one left
    unbound is a ``ConfigError`` naming it.

    >>> p = lrcore.plateau(0.1, patience=0)
    >>> tx = plateau_transform(p)
    >>> params = {"w": jnp.ones(2)}
    >>> state = tx.init(params)
    >>> _, state = tx.update(params, state, value=1.0)
    >>> updates, state = tx.update(params, state, value=2.0)   # no improvement: reduce
    >>> float(state.learning_rate)
    0.009999999776482582
    """
    plateau = ready_plateau(plateau, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    sign = -1.0 if flip_sign else 1.0

    def init_fn(params: Any) -> PlateauTransformState:
        del params
        xp = namespace(bits)
        core = _arrays(plateau, plateau.initial_state(), xp)
        level = plateau.level_pair(xp, core.level, core.reductions)
        lr = narrow(plateau.evaluate(jnp.zeros((), xp.int), xp, level))
        return PlateauTransformState(jnp.zeros((), xp.int), *core, lr)

    def update_fn(
        updates: Any,
        state: PlateauTransformState,
        params: Any = None,
        *,
        value: Any = None,
        report: Any = True,
        **extra_args: Any,
    ) -> tuple[Any, PlateauTransformState]:
        del params, extra_args
        xp = namespace(bits)
        core = _plateau_part(state)
        if value is not None:
            if plateau.nonfinite == "raise" and not isinstance(value, jax.core.Tracer):
                if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
                    raise ValueError(f"value: expected a finite metric (nonfinite='raise'), got {value!r}")
            metric = jnp.asarray(value).astype(xp.float).reshape(())
            reported = plateau.transition(xp, core, metric)
            core = PlateauState(
                *(jnp.where(report, new, old) for new, old in zip(reported, core, strict=True))
            )
        lr = narrow(plateau.evaluate(state.count, xp, plateau.level_pair(xp, core.level, core.reductions)))
        step = (sign * lr).astype(xp.float)
        updates = jax.tree.map(lambda g: (step * g.astype(step.dtype)).astype(g.dtype), updates)
        count = optax.safe_increment(state.count)
        return updates, PlateauTransformState(count, *core, lr)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def core_state(plateau: Plateau | Mapping[str, Any], state: Any) -> PlateauState:
    """The core's host state (Python numbers) held in a transformation state (or in the
    state of a chain that contains one, e.g. ``optax.chain``'s tuple). The level
    is the exact float64 one (``plateau.level_after(reductions)``), also from float32."""
    plateau = as_plateau(plateau)
    s = jax.device_get(_plateau_part(_find(state)))
    reductions = int(s.reductions)
    return PlateauState(
        float(s.best),
        int(s.num_bad_epochs),
        int(s.cooldown_counter),
        plateau.level_after(reductions),
        reductions,
        int(s.reports),
    )


def with_core_state(
    plateau: Plateau | Mapping[str, Any],
    state: PlateauTransformState,
    core: PlateauState,
    *,
    count: int | None = None,
    bits: int | None = None,
) -> PlateauTransformState:
    """``state`` with its plateau part replaced by the host state ``core`` (and its
    update count by ``count``): resume from ``plateau.state_from_dict(...)``."""
    plateau = as_plateau(plateau)
    xp = namespace(bits)
    arrays = _arrays(plateau, core, xp)
    t = state.count if count is None else jnp.asarray(count, xp.int)
    return PlateauTransformState(t, *arrays, state.learning_rate)


def _find(state: Any) -> PlateauTransformState:
    """The (first) plateau transformation state inside a chain's state."""
    if isinstance(state, PlateauTransformState):
        return state
    if isinstance(state, (tuple, list)):
        for item in state:
            try:
                return _find(item)
            except ValueError:
                continue
    raise ValueError("state: no PlateauTransformState found (pass the plateau_transform state)")
