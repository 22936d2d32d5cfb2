"""The schedule model: immutable values with one formula, validated parameters and a
config form.

A schedule class is a frozen dataclass whose fields are declared with :func:`param`.
The field's *kind* says what values it accepts; validation, config parsing,
``to_config`` and ``repr`` are all driven by those declarations, so a class holds
little more than its formula (:meth:`Schedule.formula`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import operator
from typing import Any, Callable, ClassVar, Iterator, Mapping

from ._errors import ConfigError
from ._xp import Array, Namespace, numpy_namespace

REGISTRY: dict[str, type[Schedule]] = {}

_MISSING: Any = dataclasses.MISSING
_CHUNK = 1 << 16  # values() works in cache-sized chunks


def param(kind: str, default: Any = _MISSING, **options: Any) -> Any:
    """Declare a schedule parameter of a given kind (see ``_coerce``)."""
    return dataclasses.field(default=default, metadata={"kind": kind, **options})


@dataclasses.dataclass(frozen=True, repr=False)
class Schedule:
    """Base class of every schedule: ``lr = schedule(t)`` for the step ``t``.

    ``t`` counts optimizer updates already applied, so the first update uses
    ``schedule(0)``. Past its horizon a schedule holds its final value.
    """

    type: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("type"):
            REGISTRY[cls.type] = cls

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None and field.default is None:
                continue
            object.__setattr__(self, field.name, _coerce(field, value, config_key(field)))
        self.check()

    # -- what subclasses provide ------------------------------------------------------

    def check(self) -> None:
        """Cross-field validation; raise :class:`ConfigError` naming the field."""

    def formula(self, t: Array, xp: Namespace) -> Array:
        """The value at integer steps ``t >= 0``, written over the namespace ``xp``."""
        raise NotImplementedError

    @property
    def horizon(self) -> int | None:
        """The step from which the value no longer changes, or None if it never settles."""
        return None

    def breakpoints(self) -> list[int]:
        """Steps where the curve changes regime (for plots and edge tests)."""
        return []

    # -- evaluation -------------------------------------------------------------------

    def evaluate(self, t: Array, xp: Namespace) -> Array:
        """The one entry point the adapters call: the formula at the integer step array
        ``t`` of namespace ``xp`` (negative steps read as 0), in ``xp``'s float type."""
        return self.formula(xp.maximum(t, 0), xp)

    def __call__(self, t: int) -> float:
        """The float64 reference value at step ``t``."""
        step = _host_step(t)
        xp = numpy_namespace(64)
        return float(self.evaluate(xp.as_int([step]), xp)[0])

    def values(self, ts: Any, *, bits: int = 64) -> Any:
        """The reference values at many steps, as a NumPy array (float64 by default;
        ``bits=32`` evaluates the float32 arithmetic the traced adapters use)."""
        import numpy as np

        steps = np.asarray(ts)
        if steps.dtype.kind not in "iu":
            if steps.size == 0:
                steps = steps.astype(np.int64)
            elif steps.dtype.kind == "f" and np.all(np.isfinite(steps)) and np.all(steps == np.floor(steps)):
                steps = steps.astype(np.int64)
            else:
                raise ConfigError("t", "integer steps", ts)
        if steps.size and int(steps.min()) < 0:
            raise ConfigError("t", "steps >= 0", int(steps.min()))
        xp = numpy_namespace(bits)
        flat = steps.reshape(-1).astype(np.int64)
        out = np.empty(flat.shape, dtype=xp.float)
        for start in range(0, flat.size, _CHUNK):
            part = flat[start : start + _CHUNK]
            out[start : start + _CHUNK] = self.evaluate(part, xp)
        return out.reshape(steps.shape)

    # -- configs and display ----------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        """Plain JSON types: ``lrcore.from_config(s.to_config()) == s``."""
        config: dict[str, Any] = {"type": self.type}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.default is not _MISSING and _same(value, field.default):
                continue
            config[config_key(field)] = _encode(value)
        return config

    def __repr__(self) -> str:
        parts = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.default is not _MISSING and _same(value, field.default):
                continue
            shown = list(value) if isinstance(value, tuple) else value
            parts.append(f"{config_key(field)}={shown!r}")
        return f"lrcore.{self.type}({', '.join(parts)})"

    def __iter__(self) -> Iterator[Schedule]:
        """Nested schedules (for combinators); leaves have none."""
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Schedule):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Schedule))


def config_key(field: dataclasses.Field[Any]) -> str:
    """The parameter's name in configs and constructors (``values_`` is ``values``)."""
    return str(field.metadata.get("name", field.name))


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, float) and isinstance(b, (int, float)) and a == b)


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _host_step(t: Any) -> int:
    if isinstance(t, bool) or not isinstance(t, int):
        index = getattr(t, "__index__", None)
        if index is None:
            if isinstance(t, float) and t.is_integer():
                t = int(t)
            else:
                raise ConfigError("t", "an integer step", t)
        else:
            t = operator.index(t)
    if t < 0:
        raise ConfigError("t", "a step >= 0", t)
    return t


# -- parameter kinds --------------------------------------------------------------------


def _number(value: Any, path: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            return _number(value.item(), path, expected)
        raise ConfigError(path, expected, value)
    x = float(value)
    if not math.isfinite(x):
        raise ConfigError(path, expected, value)
    return x


def _integer(value: Any, path: str, expected: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(path, expected, value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return _integer(value.item(), path, expected)
    raise ConfigError(path, expected, value)


def _ranged(kind: str) -> Callable[[Any, str, dict[str, Any]], Any]:
    def check(value: Any, path: str, options: dict[str, Any]) -> Any:
        lo = options.get("min")
        lo_open = options.get("min_open", False)
        hi = options.get("max")
        hi_open = options.get("max_open", False)
        parts = []
        if lo is not None:
            parts.append(f"{'>' if lo_open else '>='} {lo}")
        if hi is not None:
            parts.append(f"{'<' if hi_open else '<='} {hi}")
        noun = "an integer" if kind == "int" else "a finite number"
        expected = noun + (" " + " and ".join(parts) if parts else "")
        x = _integer(value, path, expected) if kind == "int" else _number(value, path, expected)
        if lo is not None and (x < lo or (lo_open and x == lo)):
            raise ConfigError(path, expected, value)
        if hi is not None and (x > hi or (hi_open and x == hi)):
            raise ConfigError(path, expected, value)
        return x

    return check


_int_check = _ranged("int")
_float_check = _ranged("float")


def _coerce(field: dataclasses.Field[Any], value: Any, path: str) -> Any:
    options = dict(field.metadata)
    kind = options.pop("kind")
    options.pop("name", None)
    return coerce_kind(kind, value, path, options)


def coerce_kind(kind: str, value: Any, path: str, options: dict[str, Any]) -> Any:
    if kind == "rate":  # a learning rate: finite and >= 0
        return _float_check(value, path, {"min": 0.0, **options})
    if kind == "float":
        return _float_check(value, path, options)
    if kind == "steps":  # a positive step count
        return _int_check(value, path, {"min": 1, **options})
    if kind == "count":  # a non-negative step count
        return _int_check(value, path, {"min": 0, **options})
    if kind == "int":
        return _int_check(value, path, options)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(path, "true or false", value)
        return value
    if kind == "choice":
        choices = options["choices"]
        if not isinstance(value, str) or value not in choices:
            hint = _did_you_mean(value, choices) if isinstance(value, str) else ""
            raise ConfigError(path, "one of " + ", ".join(map(repr, choices)), value, hint=hint)
        return value
    if kind == "schedule":
        return as_schedule(value, path)
    if kind == "schedule_or_rate":
        if isinstance(value, (Schedule, Mapping)):
            return as_schedule(value, path)
        return _float_check(value, path, {"min": 0.0})
    if kind == "schedules":
        items = _sequence(value, path, "a non-empty list of schedules")
        if not items:
            raise ConfigError(path, "a non-empty list of schedules", value)
        return tuple(as_schedule(v, f"{path}[{i}]") for i, v in enumerate(items))
    if kind == "boundaries":  # strictly increasing step numbers
        first = options.get("min", 0)
        items = _sequence(value, path, "a list of integer steps")
        out = tuple(_int_check(v, f"{path}[{i}]", {"min": first}) for i, v in enumerate(items))
        for i in range(1, len(out)):
            if out[i] <= out[i - 1]:
                raise ConfigError(
                    f"{path}[{i}]", f"a step > {out[i - 1]} (steps must be strictly increasing)", out[i]
                )
        if options.get("nonempty") and not out:
            raise ConfigError(path, "a non-empty list of integer steps", value)
        return out
    if kind == "rates":
        items = _sequence(value, path, "a non-empty list of learning rates")
        if not items:
            raise ConfigError(path, "a non-empty list of learning rates", value)
        return tuple(_float_check(v, f"{path}[{i}]", {"min": 0.0}) for i, v in enumerate(items))
    raise AssertionError(f"unknown parameter kind {kind!r}")


def _sequence(value: Any, path: str, expected: str) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ConfigError(path, expected, value)
    try:
        return list(value)
    except TypeError:
        raise ConfigError(path, expected, value) from None


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def as_schedule(value: Any, path: str = "") -> Schedule:
    """A schedule from a schedule, a config mapping, or (as ``constant``) a number."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, Mapping):
        return from_mapping(value, path)
    raise ConfigError(path, "a schedule or a config mapping with a 'type'", value)


def from_mapping(config: Mapping[str, Any], path: str = "") -> Schedule:
    if not isinstance(config, Mapping):
        raise ConfigError(path, "a mapping with a 'type'", config)
    type_path = f"{path}.type" if path else "type"
    if "type" not in config:
        raise ConfigError(type_path, "a schedule type (one of: " + ", ".join(sorted(REGISTRY)) + ")", None,
                          hint="the 'type' key is missing")
    name = config["type"]
    if not isinstance(name, str) or name not in REGISTRY:
        hint = _did_you_mean(name, REGISTRY) if isinstance(name, str) else ""
        raise ConfigError(type_path, "a schedule type (one of: " + ", ".join(sorted(REGISTRY)) + ")", name,
                          hint=hint)
    cls = REGISTRY[name]
    fields = {config_key(f): f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        if key == "type":
            continue
        if not isinstance(key, str) or key not in fields:
            hint = _did_you_mean(key, fields) if isinstance(key, str) else ""
            key_path = f"{path}.{key}" if path else str(key)
            raise ConfigError(key_path, f"a parameter of {name!r} (one of: {', '.join(fields)})", key,
                              hint=hint or "unknown key")
        kwargs[key] = value
    for field_name, field in fields.items():
        if field_name not in kwargs and field.default is _MISSING:
            key_path = f"{path}.{field_name}" if path else field_name
            raise ConfigError(key_path, f"a value (required by {name!r})", None, hint="missing key")
    try:
        return cls(**kwargs)
    except ConfigError as error:
        raise error.prefixed(path) from None
