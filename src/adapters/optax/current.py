"""The current rate of an optax optimizer, read from its state: no ``inject_hyperparams`` needed.

:func:`update_count` finds the number of applied updates in any optax state tree (``adamw``,
``chain(clip, adamw)``, ``MultiSteps``, ``inject_hyperparams``, ``apply_if_finite``, Flax
NNX's ``Optimizer.opt_state``); :func:`current_rate` evaluates a schedule there. Both work
on concrete states and inside ``jax.jit``::

    import lrcore, optax
    from lrcore.adapters.optax import current_rate, schedule

    plan = lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9_000), steps=1_000)
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule(plan)))
    ...
    print(current_rate(opt_state, plan))  # the rate the next update applies

"Current" follows torch's ``get_last_lr()`` and Keras' ``optimizer.learning_rate``: after
``t`` updates it is ``schedule(t)``, the rate of the next update. (``inject_hyperparams``
keeps the rate of the previous update in ``hyperparams``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jax
import jax.numpy as jnp

import lrcore

from .schedules import schedule as optax_schedule

__all__ = ["current_rate", "update_count"]

# Which counter wins when a state holds several (they agree for optax's own optimizers).
# A schedule's own counter comes first: it is what the schedule is evaluated at.
_SCHEDULE, _INJECTED, _ACCUMULATED, _OTHER = range(4)
_COUNTERS = {
    ("ScaleByScheduleState", "count"): _SCHEDULE,
    ("InjectHyperparamsState", "count"): _INJECTED,
    ("InjectStatefulHyperparamsState", "count"): _INJECTED,
    # MultiSteps: applied updates, not micro-batches (``mini_step``); SPEC section 3.
    ("MultiStepsState", "gradient_step"): _ACCUMULATED,
}


def update_count(state: Any) -> jax.Array:
    """The number of updates applied so far, found in the optax state ``state``.

    Searches the whole tree (namedtuples, tuples, lists, mappings, Flax NNX variables) and
    takes, in this order, the count of a ``scale_by_schedule`` (the count a schedule sees),
    of ``inject_hyperparams``, ``MultiSteps``' ``gradient_step`` (applied updates, not
    micro-batches), or any other ``count`` field (``scale_by_adam``'s, ...); the outermost
    one of that kind. Raises ``ValueError`` when the state has none (``optax.sgd`` with a
    constant rate keeps no state).

    >>> import optax
    >>> opt = optax.MultiSteps(optax.adamw(1e-3), every_k_schedule=2)
    >>> int(update_count(opt.init({"w": jnp.zeros(3)})))
    0
    """
    best: tuple[int, int, Any] | None = None
    for rank, depth, value in _counters(state, 0):
        if best is None or (rank, depth) < best[:2]:
            best = (rank, depth, value)
    if best is None:
        raise ValueError(
            f"no update count in this optax state (a {type(state).__name__}): its transformations keep "
            "none (optax.sgd with a constant rate, for one); wrap the optimizer in "
            "optax.inject_hyperparams, or give it an lrcore schedule as learning rate"
        )
    return jnp.asarray(best[2])


def current_rate(state: Any, schedule: lrcore.Schedule | Callable[[Any], Any]) -> jax.Array:
    """``schedule(update_count(state))``: the rate the next update applies.

    ``schedule`` is an lrcore schedule (evaluated through :func:`lrcore.adapters.optax.schedule`,
    in float32 or, under x64, float64) or any optax schedule.

    >>> import optax
    >>> plan = lrcore.step(start=0.1, gamma=0.5, step_size=10)
    >>> opt = optax.adamw(schedule(plan))
    >>> float(current_rate(opt.init({"w": jnp.zeros(3)}), plan))  # doctest: +ELLIPSIS
    0.10000000149...
    """
    fn = optax_schedule(schedule) if isinstance(schedule, lrcore.Schedule) else schedule
    return jnp.asarray(fn(update_count(state)))


def _counters(node: Any, depth: int) -> Iterator[tuple[int, int, Any]]:
    """Every (rank, depth, counter) in the tree under ``node``."""
    fields = getattr(node, "_fields", None)
    if isinstance(node, tuple) and fields is not None:  # optax's states are namedtuples
        kind = type(node).__name__
        for field in fields:
            child = getattr(node, field)
            rank = _COUNTERS.get((kind, field), _OTHER if field == "count" else None)
            if rank is not None and _is_scalar_int(_unwrap(child)):
                yield rank, depth, _unwrap(child)
            else:
                yield from _counters(child, depth + 1)
    elif isinstance(node, (tuple, list)):
        for child in node:
            yield from _counters(child, depth + 1)
    elif isinstance(node, Mapping):
        for child in node.values():
            yield from _counters(child, depth + 1)


def _unwrap(leaf: Any) -> Any:
    # Flax NNX wraps every array of an optimizer state in a Variable (OptArray).
    get_value = getattr(leaf, "get_value", None)
    return get_value() if callable(get_value) else leaf


def _is_scalar_int(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(value, "shape", None) == () and jnp.issubdtype(dtype, jnp.integer)
