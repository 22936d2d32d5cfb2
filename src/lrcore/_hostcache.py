"""The host-value cache the adapters share: a schedule's values at upcoming steps,
computed a chunk at a time by one vectorised call.

Training asks for one step after another. Evaluating ``schedule(t)`` per step would cost
a Python walk through the formula each time; one ``schedule.values(steps)`` call over the
next :data:`CHUNK` steps costs about as much as a few single evaluations, and every hit
afterwards is a plain ``dict`` lookup (no Python frame: a hit never leaves C). A step
outside the chunk refills it from that step on, so a resume or a jump back costs one
refill, never a wrong value.

The cache is a memo, not state: dropping it (``clear()``) changes no value, and the
adapters never save it.

>>> cache = HostCache(lambda steps: (0.5 * steps).tolist(), size=4)
>>> cache[2], cache[5], len(cache)
(1.0, 2.5, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._errors import ConfigError

__all__ = ["CHUNK", "HostCache"]

CHUNK = 1024  # steps per refill: small enough to refill in tens of microseconds
_INT64_MAX = (1 << 63) - 1

T = TypeVar("T")


class HostCache(dict[int, T]):
    """``cache[t]``: ``fill(steps)[t - steps[0]]`` for a step ``t >= 0``.

    ``fill`` receives a NumPy int64 array of consecutive steps starting at ``t`` and
    returns one value per step (a list from ``.tolist()`` gives Python floats, which
    are the cheapest to hand out). ``name`` is the field a bad step is reported under.
    Subclassing ``dict`` keeps a hit at the speed of a dict subscript: only a miss runs
    Python code (``__missing__``).
    """

    __slots__ = ("fill", "name", "size")

    def __init__(self, fill: Callable[[Any], Iterable[T]], *, size: int = CHUNK, name: str = "t") -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError("size", "an integer >= 1", size)
        self.fill = fill
        self.size = size
        self.name = name

    def __missing__(self, t: int) -> T:
        import numpy as np  # the core's own dependency; imported here to keep the module light

        if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
            raise ConfigError(self.name, "an integer step", t)
        t = int(t)
        if not 0 <= t <= _INT64_MAX:
            raise ConfigError(self.name, f"a step in [0, {_INT64_MAX}]", t)
        # Offsets from t, so that the last chunk stops at int64's end instead of overflowing.
        steps = np.int64(t) + np.arange(min(self.size, _INT64_MAX - t + 1), dtype=np.int64)
        try:
            values = list(self.fill(steps))
        except ConfigError:
            # A step ahead of t may be refused (after_horizon(policy="raise") past its horizon)
            # while t itself is fine: the look-ahead must not raise early. t alone decides.
            steps = steps[:1]
            values = list(self.fill(steps))
        if len(values) != len(steps):
            raise ValueError(f"HostCache fill returned {len(values)} values for {len(steps)} steps")
        self.clear()
        self.update(zip(range(t, t + len(values)), values, strict=True))
        return values[0]

    def __reduce__(self) -> tuple[Any, ...]:
        # A memo, not state: a pickled or copied cache starts empty (and pickles without
        # its values, which may be large).
        return (_empty, (self.fill, self.size, self.name))

    def __repr__(self) -> str:
        first = min(self) if self else None
        return f"HostCache(size={self.size}, first={first}, held={len(self)})"


def _empty(fill: Callable[[Any], Iterable[T]], size: int, name: str) -> HostCache[T]:
    return HostCache(fill, size=size, name=name)
