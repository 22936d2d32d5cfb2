"""optax adapter: lrcore schedules as ``optax.Schedule`` functions, traced with ``jax.numpy``.

- :func:`schedule` (module ``schedules``): an ``optax.Schedule`` of the update count that
  runs under ``jax.jit`` and ``jax.vmap``, compiles once, and plugs in wherever optax
  takes a learning rate (``optax.inject_hyperparams`` included).
- :func:`optimizer` (module ``optimizers``): ``optax.inject_hyperparams`` over an optimizer
  factory, with lrcore schedules for any of its hyperparameters (``learning_rate``, ``b1``,
  ``momentum``, ``weight_decay``) and the learning rate's paired momentum applied beside it.
- module ``checkpoint``: :func:`checkpoint.save` / :func:`checkpoint.restore` store the
  schedule's plan beside the optimizer state and, on resume, warn about a changed plan and
  choose the schedule to resume with (SPEC section 8).
- :func:`plateau_transform` (module ``plateau``): ``lrcore.plateau`` as a gradient
  transformation fed the metric, with :func:`core_state` / :func:`with_core_state` to
  checkpoint its state.
- :func:`namespace` (module ``array_namespace``): the core's array namespace over
  ``jax.numpy``.

Importing this package imports jax and optax; ``import lrcore`` does not.
"""

from . import checkpoint
from .array_namespace import JaxNamespace, namespace
from .current import current_rate, update_count
from .optimizers import optimizer
from .plateau import PlateauTransformState, core_state, plateau_transform, with_core_state
from .schedules import OptaxSchedule, schedule

__all__ = [
    "JaxNamespace",
    "OptaxSchedule",
    "PlateauTransformState",
    "checkpoint",
    "core_state",
    "current_rate",
    "namespace",
    "optimizer",
    "plateau_transform",
    "schedule",
    "update_count",
    "with_core_state",
]
