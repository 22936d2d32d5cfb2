"""Porting: the native schedules of torch, Keras, optax and transformers as lrcore schedules.

Each submodule has constructors with the native names and parameters that return the lrcore
schedule with the native's curve (``t`` = updates already applied, SPEC section 3):

>>> import lrcore.compat.torch as T
>>> T.MultiStepLR(base_lr=0.1, milestones=[30, 80], gamma=0.1)
lrcore.multistep(start=0.1, milestones=[30, 80], gamma=0.1)

None of them imports its framework: a recipe ports from torch to JAX without torch installed.
``docs/porting.md`` lists every native name, its lrcore form, and the semantic traps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from .._errors import ConfigError
from .._params import Integer, Real
from .._plateau import Plateau
from .._schedule import Schedule

F = TypeVar("F", bound="Callable[..., Any]")


def native_errors(where: str) -> Callable[[F], F]:
    """A decorator: a :class:`ConfigError` raised while building a native schedule names the
    native constructor (``CosineAnnealingLR.T_max``) instead of the lrcore field."""

    def wrap(build: F) -> F:
        def ported(*args: Any, **kwargs: Any) -> Any:
            try:
                return build(*args, **kwargs)
            except ConfigError as error:
                if error.path.startswith(where + "."):
                    raise
                raise error.prefixed(where) from None

        ported.__name__ = build.__name__
        ported.__qualname__ = build.__qualname__
        ported.__doc__ = build.__doc__
        ported.__wrapped__ = build  # type: ignore[attr-defined]
        return cast(F, ported)

    return wrap


def number(
    where: str, name: str, value: Any, *, minimum: float | None = None, open_min: bool = False
) -> float:
    """A finite real parameter of a native constructor (NumPy scalars accepted)."""
    result: float = Real(min=minimum, min_open=open_min).coerce(value, f"{where}.{name}")
    return result


def integer(where: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer parameter (an integer-valued float such as Keras' ``decay_steps=1000.0`` is
    accepted: the native computes with it as a float, which is the same number)."""
    result: int = Integer(min=minimum).coerce(value, f"{where}.{name}")
    return result


def tabulate(where: str, factor: Callable[[int], float], scale: float, steps: int) -> Schedule:
    """``table`` of ``scale * factor(t)`` for ``t < steps``: the last resort for a native curve the
    catalog cannot express (exact on the tabulated steps, then held)."""
    from ..catalog import Table

    values = []
    for t in range(steps):
        value = scale * factor(t)
        if not (math.isfinite(value) and value >= 0.0):
            raise ConfigError(f"{where}", f"a finite learning rate >= 0 at step {t}", value)
        values.append(value)
    return Table(values=values)


def drop_leading(boundaries: Sequence[int], values: Sequence[float]) -> tuple[list[int], list[float]]:
    """Piecewise-constant boundaries at or before step 0 switch immediately: drop them with the
    values they end (lrcore boundaries start at 1)."""
    b, v = list(boundaries), list(values)
    while b and b[0] <= 0:
        b.pop(0)
        v.pop(0)
    return b, v


def load_plateau() -> type[Plateau]:
    """lrcore's metric-driven ``plateau`` class."""
    return Plateau


__all__ = ["drop_leading", "integer", "load_plateau", "native_errors", "number", "tabulate"]
