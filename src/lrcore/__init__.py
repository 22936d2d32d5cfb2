"""lrcore: one learning-rate schedule, the same numbers in PyTorch, JAX/optax and Keras.

A schedule is an immutable value: ``schedule(t)`` is the learning rate of update ``t``
(counting from 0) as a float64 reference, ``schedule.values(steps)`` evaluates many
steps at once, and ``schedule.to_config()`` / :func:`from_config` round-trip it through
plain JSON types. The adapters in ``lrcore.adapters.torch``, ``lrcore.adapters.optax``
and ``lrcore.adapters.keras`` run the same formula inside each framework.

>>> import lrcore
>>> s = lrcore.warmup(lrcore.cosine(start=1e-3, end=1e-5, steps=9000), steps=1000)
>>> s(0), s(1000), s(10000)
(0.0, 0.001, 1e-05)

Every config ``type`` is also a constructor here (``lrcore.cosine``, ``lrcore.warmup``,
``lrcore.plateau``, ...): the names come from the registry, so a new catalog class is
exported by being defined. Importing lrcore imports no framework and not even NumPy
(that comes with the first evaluation).
"""

from __future__ import annotations

from typing import Any

from . import catalog, combinators  # noqa: F401  (defining the classes registers them)
from ._errors import ConfigError
from ._plateau import Plateau, PlateauState
from ._schedule import REGISTRY, TYPES, Schedule
from .config import dump, from_config, load, loads

__version__ = "0.1.0"

# Constructors read like configs, lrcore.cosine(start=..., end=..., steps=...); the classes
# keep their own names too (lrcore.Cosine).
globals().update(TYPES)
globals().update({cls.__name__: cls for cls in TYPES.values()})

# The schedule types, catalog then combinators (the plateau is no schedule).
CATALOG = tuple(REGISTRY)

_LAZY = {"from_torch": "porting", "from_keras": "porting", "from_function": "porting", "from_timm": "porting"}


def __getattr__(name: str) -> Any:
    # The porting layer knows every native scheduler: load it on first use, keeping
    # `import lrcore` fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'lrcore' has no attribute {name!r}")


__all__ = [
    "CATALOG",
    "ConfigError",
    "Plateau",
    "PlateauState",
    "Schedule",
    "dump",
    "from_config",
    "from_function",
    "from_keras",
    "from_torch",
    "load",
    "loads",
]
__all__ += sorted(TYPES)
