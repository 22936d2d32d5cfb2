"""Several lrcore schedules driving one optax optimizer through ``optax.inject_hyperparams``.

:func:`optimizer` takes an optax optimizer factory and its own arguments; each argument
given as an lrcore schedule (or a config mapping) becomes an optax schedule of the update
count, numbers and other values pass through::

    import lrcore, optax
    from lrcore.adapters.optax import optimizer

    opt = optimizer(
        optax.adamw,
        learning_rate=lrcore.warmup(lrcore.cosine(start=1e-3, end=0.0, steps=9_000), steps=1_000),
        weight_decay=lrcore.linear(start=0.0, end=0.05, steps=10_000),
        b2=0.999,
    )
    state = opt.init(params)  # state.hyperparams holds the values the last update applied

The learning rate's paired schedules (SPEC section 9, :meth:`lrcore.Schedule.hyperparameters`:
``one_cycle`` and ``cyclic`` with ``cycle_momentum``) are applied beside it, as torch's
``OneCycleLR`` and ``CyclicLR`` do: ``"momentum"`` to the factory's ``momentum`` argument
(``optax.sgd``) or, where it has none, to ``b1`` (the Adam family); ``"beta1"`` to ``b1``;
``"weight_decay"`` to ``weight_decay``. A paired schedule that the factory cannot take, or
one that is also given explicitly, is a ``ConfigError``: neither is dropped silently.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax

import lrcore
from lrcore._params import did_you_mean
from lrcore._schedule import ready

from .schedules import OptaxSchedule
from .schedules import schedule as optax_schedule

__all__ = ["optimizer", "paired_arguments"]


def optimizer(
    transform: Callable[..., Any],
    /,
    *,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
    hyperparam_dtype: Any = None,
    **arguments: Any,
) -> Any:
    """``optax.inject_hyperparams(transform)(**arguments)`` with every lrcore schedule among
    ``arguments`` (a :class:`lrcore.Schedule` or a config mapping with a ``"type"``) turned into
    an optax schedule, and the learning rate's paired schedules added (see the module).

    ``arguments`` are ``transform``'s own keyword arguments (``learning_rate``, ``b1``,
    ``momentum``, ``weight_decay``, ...); a name it does not take is a ``ConfigError`` that
    lists the ones it does. ``total_steps`` / ``steps_per_epoch`` bind the durations of every
    schedule (``"5%"``, ``"10ep"``).

    Every schedule sees inject_hyperparams' ``count``: the number of updates applied (inside
    ``optax.MultiSteps``, real updates, not micro-batches; inside ``optax.apply_if_finite``,
    updates not rejected). The values each update applied are in ``state.hyperparams``, in
    ``hyperparam_dtype``, by default the widest float dtype of the parameters (of the updates
    when ``params`` is not given), as ``inject_hyperparams`` does for numbers: with x64 on and
    float32 parameters a schedule is evaluated in float64 and applied as float32(reference).
    (``inject_hyperparams`` alone keeps a float64 schedule value float64 whatever its
    ``hyperparam_dtype``, which turns float32 momentum buffers into float64 ones.)

    >>> import jax.numpy as jnp
    >>> opt = optimizer(optax.sgd, learning_rate=lrcore.step(start=0.1, gamma=0.5, step_size=10), momentum=0.9)
    >>> sorted(opt.init({"w": jnp.zeros(2)}).hyperparams)
    ['learning_rate', 'momentum']
    """
    kwargs = paired_arguments(transform, arguments, total_steps=total_steps, steps_per_epoch=steps_per_epoch)

    def build(tree: Any) -> Any:
        dtype = hyperparam_dtype if hyperparam_dtype is not None else _widest_float(tree)
        cast = {k: _Cast(v, dtype) if isinstance(v, OptaxSchedule) else v for k, v in kwargs.items()}
        return optax.inject_hyperparams(transform, hyperparam_dtype=dtype)(**cast)

    def init(params: Any) -> Any:
        return build(params).init(params)

    def update(updates: Any, state: Any, params: Any = None, **extra_args: Any) -> Any:
        return build(updates if params is None else params).update(updates, state, params, **extra_args)

    return optax.GradientTransformationExtraArgs(init, update)


def _widest_float(tree: Any) -> Any:
    """The widest floating dtype among the leaves of ``tree`` (None when it has none), as
    ``optax.tree.dtype(tree, "highest")`` gives from optax 0.2.5 on (the lowest optax
    declared, 0.2.4, has no ``optax.tree``)."""
    floats = [
        jnp.result_type(leaf)
        for leaf in jax.tree_util.tree_leaves(tree)
        if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)
    ]
    if not floats:
        return None
    widest = floats[0]
    for dtype in floats[1:]:
        widest = jnp.promote_types(widest, dtype)
    return widest


@dataclasses.dataclass(frozen=True)
class _Cast:
    """An optax schedule whose value is cast to the hyperparameters' dtype."""

    fn: OptaxSchedule
    dtype: Any

    def __call__(self, count: Any) -> Any:
        return self.fn(count).astype(self.dtype)


# torch's and lrcore's names for what optax names otherwise (for the error's hint).
_OPTAX_NAMES = {"lr": "learning_rate", "beta1": "b1", "beta2": "b2", "betas": "b1"}

# Where a paired schedule goes: candidate argument names, first one the factory takes wins.
_TARGETS = {"momentum": ("momentum", "b1"), "beta1": ("b1",), "weight_decay": ("weight_decay",)}


def paired_arguments(
    transform: Callable[..., Any],
    arguments: Mapping[str, Any],
    *,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> dict[str, Any]:
    """The keyword arguments :func:`optimizer` passes to ``inject_hyperparams(transform)``:
    lrcore schedules as optax schedules, the learning rate's paired schedules added, names
    checked against ``transform``'s signature."""
    names = _argument_names(transform)
    label = _label(transform)
    for name in arguments:
        if name not in names:
            alias = _OPTAX_NAMES.get(name)
            hint = f"optax calls it {alias!r}" if alias in names else did_you_mean(name, names)
            raise lrcore.ConfigError(
                name, f"an argument of {label} (one of: {', '.join(names)})", name, hint=hint
            )
    bind = {"total_steps": total_steps, "steps_per_epoch": steps_per_epoch}
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        out[name] = optax_schedule(ready(value, name, **bind)) if _is_schedule(value) else value
    lr = arguments.get("learning_rate")
    if not _is_schedule(lr):
        return out
    for kind, paired in ready(lr, "learning_rate", **bind).hyperparameters().items():
        target = next((n for n in _TARGETS.get(kind, ()) if n in names), None)
        if target is None:
            raise lrcore.ConfigError(
                "learning_rate",
                f"a schedule whose paired {kind!r} schedule {label} can take (through "
                f"{' or '.join(_TARGETS.get(kind, (kind,)))}; it takes: {', '.join(names)})",
                lr,
                hint=f"turn the {kind} cycle off (cycle_momentum=False) or use an optimizer that has it",
            )
        if target in arguments:
            raise lrcore.ConfigError(
                target,
                f"no {target} beside a learning rate that drives it (its paired {kind!r} schedule "
                f"goes to {target}); drop {target}=, or turn the learning rate's cycle off "
                "(cycle_momentum=False)",
                arguments[target],
            )
        out[target] = optax_schedule(paired)
    return out


def _is_schedule(value: Any) -> bool:
    return isinstance(value, lrcore.Schedule) or (isinstance(value, Mapping) and "type" in value)


def _argument_names(transform: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(transform).parameters.values()
    except (TypeError, ValueError):
        raise lrcore.ConfigError(
            "transform",
            "an optax optimizer factory with a signature (optax.adamw, optax.sgd, ...)",
            transform,
        ) from None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in kinds]


def _label(transform: Callable[..., Any]) -> str:
    module = getattr(transform, "__module__", "") or ""
    name = getattr(transform, "__qualname__", None) or repr(transform)
    return f"optax.{name}" if module.startswith("optax") else name
