"""Parameter declarations: what values a parameter of a schedule (or of a native scheduler
being ported) accepts.

A *kind* is a small object with one job: :meth:`Kind.coerce` turns a given value into the
stored one or raises :class:`ConfigError` naming the field, what was expected and what was
given. The same kinds validate catalog parameters, combinators, the plateau, the porting
layer (``lrcore.compat``, ``from_torch``) and the adapters, so every bad value reads the
same way wherever it comes from.

>>> Steps().coerce(1000.0, "steps")
1000
>>> Rate().coerce(-1, "start")
Traceback (most recent call last):
...
lrcore._errors.ConfigError: start: expected a finite number >= 0.0, got -1 (int)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from ._errors import ConfigError

# Step counts stay exact in float64 (formulas divide by them), and sums of a few of them
# (up + down, warmup + decay) still fit the int64 steps of the host namespace.
MAX_STEPS = 1 << 53
# Float parameters must be representable by the float32 adapters.
MAX_FLOAT = 3.4028234663852886e38
INT64_MAX = (1 << 63) - 1

MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<required>"})()


class Kind:
    """What a parameter accepts. Subclasses set ``expected`` (for messages) and
    implement :meth:`coerce`."""

    expected = "a value"

    def coerce(self, value: Any, path: str) -> Any:
        """The stored form of ``value``, or a :class:`ConfigError` at ``path``."""
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        """The plain-JSON form of a stored value (for ``to_config``)."""
        return value

    def bind(self, value: Any, context: Binding, path: str) -> Any:
        """The stored value with every duration in it resolved (see :class:`Binding`)."""
        return value

    def unbound(self, value: Any, path: str) -> list[tuple[str, str]]:
        """The durations still unresolved in ``value``: ``(path, text)`` pairs."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.expected}>"


class Real(Kind):
    """A finite number within optional bounds (``min_open``/``max_open`` exclude them)."""

    noun = "a finite number"

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        *,
        min_open: bool = False,
        max_open: bool = False,
    ) -> None:
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open
        parts = []
        if min is not None:
            parts.append(f"{'>' if min_open else '>='} {min}")
        if max is not None:
            parts.append(f"{'<' if max_open else '<='} {max}")
        self.expected = self.noun + (" " + " and ".join(parts) if parts else "")

    def convert(self, value: Any, path: str) -> Any:
        return number(value, path, self.expected)

    def coerce(self, value: Any, path: str) -> Any:
        x = self.convert(value, path)
        lo, hi = self.min, self.max
        if lo is not None and (x < lo or (self.min_open and x == lo)):
            raise ConfigError(path, self.expected, value)
        if hi is not None and (x > hi or (self.max_open and x == hi)):
            raise ConfigError(path, self.expected, value)
        return x


class Rate(Real):
    """A learning rate: a finite number >= 0 (or a tighter range)."""

    def __init__(self, min: float = 0.0, max: float | None = None, **bounds: bool) -> None:
        super().__init__(min, max, **bounds)


class Integer(Real):
    """An integer (an integer-valued float such as ``1000.0`` is that integer)."""

    noun = "an integer"

    def convert(self, value: Any, path: str) -> Any:
        return integer(value, path, self.expected)


class Steps(Integer):
    """A positive number of applied updates (at most 2**53, so it stays exact in float64),
    or a duration: ``"10ep"`` (epochs) or ``"5%"`` / ``"0.05dur"`` (a fraction of the run),
    resolved to integer steps by :meth:`Schedule.bind` (see :func:`resolve_duration`)."""

    def __init__(self, min: int = 1, max: int = MAX_STEPS, *, duration: bool = True) -> None:
        super().__init__(min, max)
        self.duration = duration
        if duration:
            self.expected += " or a duration ('10ep', '5%', '0.05dur')"

    def coerce(self, value: Any, path: str) -> Any:
        if self.duration and isinstance(value, str):
            parse_duration(value, path, self.expected)
            return value.strip()
        return super().coerce(value, path)

    def bind(self, value: Any, context: Binding, path: str) -> Any:
        if isinstance(value, str):
            return resolve_duration(value, path, context)
        return value

    def unbound(self, value: Any, path: str) -> list[tuple[str, str]]:
        return [(path, value)] if isinstance(value, str) else []


class Count(Steps):
    """A number of steps that may be 0 (or a duration)."""

    def __init__(self, min: int = 0, max: int = MAX_STEPS, *, duration: bool = True) -> None:
        super().__init__(min, max, duration=duration)


class Flag(Kind):
    expected = "true or false"

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise ConfigError(path, self.expected, value)
        return value


class Choice(Kind):
    """One of a few strings."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices
        self.expected = "one of " + ", ".join(map(repr, choices))

    def coerce(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
            raise ConfigError(path, self.expected, value, hint=hint)
        return value


class Nested(Kind):
    """A schedule: a schedule object or its config mapping."""

    expected = "a schedule or a config mapping with a 'type'"

    def coerce(self, value: Any, path: str) -> Any:
        from ._schedule import as_schedule

        return as_schedule(value, path)

    def encode(self, value: Any) -> Any:
        return value.to_config()

    def bind(self, value: Any, context: Binding, path: str) -> Any:
        try:
            return value._bind(context)
        except ConfigError as error:
            raise error.prefixed(path) from None

    def unbound(self, value: Any, path: str) -> list[tuple[str, str]]:
        return [(_join(path, inner), text) for inner, text in value.unbound_durations()]


class NestedOrRate(Kind):
    """A schedule, or a learning rate standing for a constant one."""

    expected = "a schedule, a config mapping or a learning rate >= 0"

    def coerce(self, value: Any, path: str) -> Any:
        from ._schedule import Schedule

        if (isinstance(value, (int, float)) and not isinstance(value, bool)) or is_numpy_scalar(value):
            return Rate().coerce(value, path)
        if isinstance(value, Schedule) or isinstance(value, Mapping) or hasattr(value, "initial_state"):
            return Nested().coerce(value, path)
        raise ConfigError(path, self.expected, value)

    def encode(self, value: Any) -> Any:
        return value if isinstance(value, float) else value.to_config()

    def bind(self, value: Any, context: Binding, path: str) -> Any:
        return value if isinstance(value, float) else Nested().bind(value, context, path)

    def unbound(self, value: Any, path: str) -> list[tuple[str, str]]:
        return [] if isinstance(value, float) else Nested().unbound(value, path)


class ListOf(Kind):
    """A list of ``item`` values (stored as a tuple): optionally non-empty, optionally
    strictly increasing (step boundaries)."""

    def __init__(
        self, item: Kind, *, nonempty: bool = False, increasing: bool = False, expected: str = ""
    ) -> None:
        self.item, self.nonempty, self.increasing = item, nonempty, increasing
        self.expected = expected or (
            ("a non-empty list" if nonempty else "a list") + f" of values, each {item.expected}"
        )

    def coerce(self, value: Any, path: str) -> Any:
        # Sets have no order (YAML's !!set builds one), so they are no list of values.
        if isinstance(value, (str, bytes, Mapping, set, frozenset)) or not hasattr(value, "__iter__"):
            raise ConfigError(path, self.expected, value)
        try:
            items = list(value)
        except TypeError:
            raise ConfigError(path, self.expected, value) from None
        if self.nonempty and not items:
            raise ConfigError(path, self.expected, value)
        out = tuple(self.item.coerce(v, f"{path}[{i}]") for i, v in enumerate(items))
        # Durations are ordered once bound (the bound schedule checks again).
        if self.increasing and not any(isinstance(v, str) for v in out):
            for i in range(1, len(out)):
                if out[i] <= out[i - 1]:
                    raise ConfigError(
                        f"{path}[{i}]", f"a step > {out[i - 1]} (steps must be strictly increasing)", out[i]
                    )
        return out

    def encode(self, value: Any) -> Any:
        return [self.item.encode(v) for v in value]

    def bind(self, value: Any, context: Binding, path: str) -> Any:
        return tuple(self.item.bind(v, context, f"{path}[{i}]") for i, v in enumerate(value))

    def unbound(self, value: Any, path: str) -> list[tuple[str, str]]:
        return [u for i, v in enumerate(value) for u in self.item.unbound(v, f"{path}[{i}]")]


def Boundaries(min: int = 0, *, nonempty: bool = False) -> ListOf:
    """Strictly increasing step numbers, each >= ``min``."""
    noun = "a non-empty list" if nonempty else "a list"
    return ListOf(Count(min=min), nonempty=nonempty, increasing=True, expected=f"{noun} of integer steps")


def Rates() -> ListOf:
    """A non-empty list of learning rates."""
    return ListOf(Rate(), nonempty=True, expected="a non-empty list of learning rates")


def Schedules() -> ListOf:
    """A non-empty list of schedules."""
    return ListOf(Nested(), nonempty=True, expected="a non-empty list of schedules")


class Param:
    """A declared parameter of a schedule class: its kind, its default, and its name in
    configs (``name``, when the attribute must differ, as ``values_`` does from the
    ``values()`` method)."""

    def __init__(self, kind: Kind, default: Any = MISSING, name: str = "") -> None:
        if not isinstance(kind, Kind):
            raise TypeError(f"a parameter kind must be an lrcore._params.Kind, got {kind!r}")
        self.kind = kind
        self.default = default
        self.key = name
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name
        self.key = self.key or name

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def coerce(self, value: Any, path: str) -> Any:
        if value is None and self.default is None:
            return None
        return self.kind.coerce(value, path)

    def encode(self, value: Any) -> Any:
        return None if value is None else self.kind.encode(value)


def param(kind: Kind, default: Any = MISSING, *, name: str = "") -> Any:
    """Declare a parameter of a schedule class: ``steps: int = param(Steps())``."""
    return Param(kind, default, name)


# -- the conversions every kind shares ------------------------------------------------


def is_numpy_scalar(value: Any) -> bool:
    return type(value).__module__ == "numpy" and getattr(value, "shape", None) == ()


def number(value: Any, path: str, expected: str = "a finite number") -> float:
    """A finite float within float32's range (NumPy scalars accepted, -0.0 made 0.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if is_numpy_scalar(value):
            return number(value.item(), path, expected)  # type: ignore[union-attr]
        raise ConfigError(path, expected, value)
    try:
        x = float(value)
    except OverflowError:  # an int beyond float64
        raise ConfigError(path, expected, value) from None
    if not math.isfinite(x):
        raise ConfigError(path, expected, value)
    if abs(x) > MAX_FLOAT:
        raise ConfigError(path, expected, value, hint=f"beyond float32's range ({MAX_FLOAT:.4g})")
    return x + 0.0  # a learning rate never carries a sign bit


def integer(value: Any, path: str, expected: str = "an integer") -> int:
    """An int (integer-valued floats and NumPy integers accepted, booleans refused)."""
    if isinstance(value, bool):
        raise ConfigError(path, expected, value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if is_numpy_scalar(value):
        return integer(value.item(), path, expected)
    raise ConfigError(path, expected, value)


def host_step(t: Any, path: str = "t") -> int:
    """A step on the host: an integer in [0, 2**63 - 1] (the one step check)."""
    if isinstance(t, bool):  # True is an int to Python, never a step
        raise ConfigError(path, "an integer step", t)
    if not isinstance(t, int):
        if isinstance(t, float) and t.is_integer():
            t = int(t)
        else:
            try:
                t = operator.index(t)  # NumPy and other integer scalars, 0-d tensors
            except TypeError:
                raise ConfigError(path, "an integer step", t) from None
    if t < 0:
        raise ConfigError(path, "a step >= 0", t)
    if t > INT64_MAX:
        raise ConfigError(path, f"a step <= {INT64_MAX}", t)
    return int(t)


# -- durations ------------------------------------------------------------------------

_UNITS = {"ep": "epochs", "%": "percent of the run", "dur": "a fraction of the run"}


class Binding:
    """What resolves durations: the run's length in updates and the updates per epoch."""

    def __init__(self, total_steps: int | None = None, steps_per_epoch: int | None = None) -> None:
        positive = Steps(duration=False)
        self.total_steps = None if total_steps is None else positive.coerce(total_steps, "total_steps")
        self.steps_per_epoch = (
            None if steps_per_epoch is None else positive.coerce(steps_per_epoch, "steps_per_epoch")
        )

    def __repr__(self) -> str:
        return f"Binding(total_steps={self.total_steps}, steps_per_epoch={self.steps_per_epoch})"


def parse_duration(text: str, path: str, expected: str = "a duration") -> tuple[Fraction, str]:
    """``"10ep"`` -> (10, "ep"); ``"5%"`` -> (1/20, "dur"); ``"0.05dur"`` -> (1/20, "dur").
    The amount is exact (a decimal read as a fraction) and >= 0."""
    import re

    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ep|%|dur)\s*", text)
    if match is None:
        raise ConfigError(path, expected, text, hint="a duration is a number followed by 'ep', '%' or 'dur'")
    amount = Fraction(match.group(1))
    unit = match.group(2)
    if unit == "%":
        return amount / 100, "dur"
    return amount, unit


def resolve_duration(text: str, path: str, context: Binding) -> int:
    """The integer steps of a duration: ``amount * steps_per_epoch`` for epochs,
    ``fraction * total_steps`` for a fraction of the run, rounded to the nearest integer with
    halves rounded up (computed exactly, so every backend binds to the same steps).

    >>> resolve_duration("5%", "warmup", Binding(total_steps=1010))
    51
    """
    amount, unit = parse_duration(text, path)
    if unit == "ep":
        if context.steps_per_epoch is None:
            raise ConfigError(
                path,
                "a bound duration",
                text,
                hint="an epoch count needs steps_per_epoch: schedule.bind(steps_per_epoch=...)",
            )
        base = context.steps_per_epoch
    else:
        if context.total_steps is None:
            raise ConfigError(
                path,
                "a bound duration",
                text,
                hint="a fraction of the run needs total_steps: schedule.bind(total_steps=...)",
            )
        base = context.total_steps
    return math.floor(amount * int(base) + Fraction(1, 2))


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def did_you_mean(word: str, options: Sequence[str] | Mapping[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
