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

Importing lrcore imports no framework and not even NumPy (that comes with the first
evaluation).
"""

from __future__ import annotations

from typing import Any

from ._base import REGISTRY, Schedule
from ._errors import ConfigError
from ._plateau import Plateau, PlateauState
from .catalog import (
    Constant,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    InverseSqrt,
    InverseTime,
    Linear,
    Multistep,
    OneCycle,
    PiecewiseConstant,
    PiecewiseLinear,
    Polynomial,
    Step,
    Table,
    Tanh,
    WarmupStableDecay,
)
from .combinators import Clip, Join, PerEpoch, Scale, Warmup
from .config import dump, from_config, load, loads

__version__ = "0.1.0"

# Constructors read like configs: lrcore.cosine(start=..., end=..., steps=...).
constant = Constant
linear = Linear
polynomial = Polynomial
cosine = Cosine
exponential = Exponential
step = Step
multistep = Multistep
piecewise_constant = PiecewiseConstant
piecewise_linear = PiecewiseLinear
inverse_time = InverseTime
inverse_sqrt = InverseSqrt
cosine_restarts = CosineRestarts
cyclic = Cyclic
one_cycle = OneCycle
warmup_stable_decay = WarmupStableDecay
tanh = Tanh
table = Table
warmup = Warmup
join = Join
scale = Scale
clip = Clip
per_epoch = PerEpoch
plateau = Plateau

CATALOG = tuple(name for name in REGISTRY)

_LAZY = {"from_torch": "porting", "from_keras": "porting", "from_function": "porting"}


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
    "clip",
    "constant",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "dump",
    "exponential",
    "from_config",
    "from_function",
    "from_keras",
    "from_torch",
    "inverse_sqrt",
    "inverse_time",
    "join",
    "linear",
    "load",
    "loads",
    "multistep",
    "one_cycle",
    "per_epoch",
    "piecewise_constant",
    "piecewise_linear",
    "plateau",
    "polynomial",
    "scale",
    "step",
    "table",
    "tanh",
    "warmup",
    "warmup_stable_decay",
]
