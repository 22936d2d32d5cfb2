"""Temporary re-exports while the tree moves to ``_schedule`` and ``_params``."""

from ._params import MAX_FLOAT, MAX_STEPS, Param, param
from ._schedule import REGISTRY, TYPES, Declared, Schedule, as_schedule, from_mapping

__all__ = [
    "MAX_FLOAT",
    "MAX_STEPS",
    "REGISTRY",
    "TYPES",
    "Declared",
    "Param",
    "Schedule",
    "as_schedule",
    "from_mapping",
    "param",
]
