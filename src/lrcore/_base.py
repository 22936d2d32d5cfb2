"""The schedule model: immutable values with one formula, validated parameters and a
config form.

A schedule class declares its fields with :func:`param` (a tiny stand-in for a frozen
dataclass: ``dataclasses`` costs more import time than all of lrcore).
The field's *kind* says what values it accepts; validation, config parsing,
``to_config`` and ``repr`` are all driven by those declarations, so a class holds
little more than its formula (:meth:`Schedule.formula`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from ._errors import ConfigError
from ._namespace import Array, Namespace, numpy_namespace

REGISTRY: dict[str, type[Schedule]] = {}

_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<required>"})()
# values() works in chunks of 8,192 steps: each temporary (64 KiB) stays in the CPU cache
# and below malloc's mmap threshold, so no chunk pays page faults for fresh memory
# (65,536-step chunks ran 3-4x slower).
_CHUNK = 1 << 13
_INT64_MAX = (1 << 63) - 1
# Step counts stay exact in float64 (formulas divide by them), and sums of a few of them
# (up + down, warmup + decay) still fit the int64 steps of the host namespace.
MAX_STEPS = 1 << 53
# Float parameters must be representable by the float32 adapters.
MAX_FLOAT = 3.4028234663852886e38


class Param:
    """A declared schedule parameter: its kind (what values it accepts, see
    ``coerce_kind``), its default, and its name in configs (``name``, when the
    attribute must differ, as ``values_`` does from the ``values()`` method)."""

    def __init__(self, kind: str, default: Any, options: dict[str, Any]) -> None:
        self.kind = kind
        self.default = default
        self.key: str = options.pop("name", "")
        self.options = options
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name
        self.key = self.key or name

    @property
    def required(self) -> bool:
        return self.default is _MISSING


def param(kind: str, default: Any = _MISSING, **options: Any) -> Any:
    """Declare a schedule parameter of a given kind (see ``coerce_kind``)."""
    return Param(kind, default, options)


def fields(schedule: Schedule | type[Schedule]) -> tuple[Param, ...]:
    """The declared parameters of a schedule (class), in declaration order."""
    cls = schedule if isinstance(schedule, type) else type(schedule)
    return cls._fields


class Schedule:
    """Base class of every schedule: ``lr = schedule(t)`` for the step ``t``.

    ``t`` counts optimizer updates already applied, so the first update uses
    ``schedule(0)``. Past its horizon a schedule holds its final value. Schedules are
    immutable, hashable values: equal parameters make equal schedules.
    """

    type: ClassVar[str] = ""
    _fields: ClassVar[tuple[Param, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(v for v in cls.__dict__.values() if isinstance(v, Param))
        if cls.__dict__.get("type"):
            REGISTRY[cls.type] = cls

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        params = self._fields
        if len(args) > len(params):
            raise TypeError(f"lrcore.{self.type}() takes at most {len(params)} positional arguments")
        given = dict(zip((p.key for p in params), args, strict=False))
        for name, value in kwargs.items():
            if name in given:
                raise TypeError(f"lrcore.{self.type}() got multiple values for {name!r}")
            given[name] = value
        keys = {p.key for p in params}
        for name in given:
            if name not in keys:
                hint = _did_you_mean(name, keys)
                raise TypeError(
                    f"lrcore.{self.type}() got an unexpected parameter {name!r}"
                    + (f"; {hint}" if hint else "")
                )
        for p in params:
            if p.key in given:
                value = given[p.key]
            elif p.required:
                raise ConfigError(p.key, f"a value (required by {self.type!r})", None, hint="missing")
            else:
                value = p.default
            if not (value is None and p.default is None):
                value = coerce_kind(p.kind, value, p.key, dict(p.options))
            object.__setattr__(self, p.attr, value)
        self.check()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"lrcore schedules are immutable; build a new lrcore.{self.type}(...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("lrcore schedules are immutable")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, p.attr) for p in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Schedule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_config_dict, (self.to_config(),))

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

        try:
            steps = np.asarray(ts)
        except (ValueError, TypeError, OverflowError):  # ragged nesting, odd objects
            raise ConfigError("t", "integer steps", ts) from None
        if steps.dtype.kind not in "iu":
            if steps.size == 0:
                steps = steps.astype(np.int64)
            elif (
                steps.dtype.kind == "f"
                and np.all(np.isfinite(steps))
                and np.all(steps == np.floor(steps))
                and np.all(np.abs(steps) < 2.0**63)
            ):
                steps = steps.astype(np.int64)
            else:
                raise ConfigError("t", "integer steps", ts)
        if steps.size and int(steps.min()) < 0:
            raise ConfigError("t", "steps >= 0", int(steps.min()))
        if steps.size and int(steps.max()) > _INT64_MAX:  # uint64 beyond int64
            raise ConfigError("t", f"steps <= {_INT64_MAX}", int(steps.max()))
        xp = numpy_namespace(bits)
        _warm_allocator(np)
        flat = steps.reshape(-1).astype(np.int64, copy=False)
        out = np.empty(flat.shape, dtype=xp.float)
        for start in range(0, flat.size, _CHUNK):
            part = flat[start : start + _CHUNK]
            # steps were checked >= 0 above: the formula needs no clamp at 0
            out[start : start + _CHUNK] = self.formula(part, xp)
        return out.reshape(steps.shape)

    # -- configs and display ----------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        """Plain JSON types: ``lrcore.from_config(s.to_config()) == s``."""
        config: dict[str, Any] = {"type": self.type}
        for p in self._fields:
            value = getattr(self, p.attr)
            if not p.required and _same(value, p.default):
                continue
            config[p.key] = _encode(value)
        return config

    def __repr__(self) -> str:
        parts = []
        for p in self._fields:
            value = getattr(self, p.attr)
            if not p.required and _same(value, p.default):
                continue
            shown = list(value) if isinstance(value, tuple) else value
            parts.append(f"{p.key}={shown!r}")
        return f"lrcore.{self.type}({', '.join(parts)})"

    def __iter__(self) -> Iterator[Schedule]:
        """Nested schedules (for combinators); leaves have none."""
        for p in self._fields:
            value = getattr(self, p.attr)
            if isinstance(value, Schedule):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Schedule))


_ALLOCATOR_WARM = False


def _warm_allocator(np: Any) -> None:
    """Free one 4 MiB block once per process. glibc then raises its trim threshold (its
    documented dynamic mmap threshold), so the chunk temporaries of ``values()`` reuse
    heap memory instead of faulting fresh pages in every chunk; depending on the heap's
    history that made ``values()`` up to 5x slower. Elsewhere it is a harmless no-op."""
    global _ALLOCATOR_WARM
    if not _ALLOCATOR_WARM:
        block = np.empty(1 << 19)
        del block
        _ALLOCATOR_WARM = True


def _from_config_dict(config: dict[str, Any]) -> Schedule:
    return from_mapping(config)


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, float) and isinstance(b, (int, float)) and a == b
    )


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _host_step(t: Any) -> int:
    if isinstance(t, bool):  # True is an int to Python, never a step
        raise ConfigError("t", "an integer step", t)
    if not isinstance(t, int):
        if isinstance(t, float) and t.is_integer():
            t = int(t)
        else:
            try:
                t = operator.index(t)  # NumPy and other integer scalars
            except TypeError:
                raise ConfigError("t", "an integer step", t) from None
    if t < 0:
        raise ConfigError("t", "a step >= 0", t)
    if t > _INT64_MAX:
        raise ConfigError("t", f"a step <= {_INT64_MAX}", t)
    return int(t)


# -- parameter kinds --------------------------------------------------------------------


def _is_numpy_scalar(value: Any) -> bool:
    return type(value).__module__ == "numpy" and getattr(value, "shape", None) == ()


def _number(value: Any, path: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if _is_numpy_scalar(value):
            return _number(value.item(), path, expected)  # type: ignore[union-attr]
        raise ConfigError(path, expected, value)
    try:
        x = float(value)
    except OverflowError:  # an int beyond float64
        raise ConfigError(path, expected, value) from None
    if not math.isfinite(x):
        raise ConfigError(path, expected, value)
    if abs(x) > MAX_FLOAT:
        raise ConfigError(path, expected, value, hint=f"beyond float32's range ({MAX_FLOAT:.4g})")
    return x + 0.0  # -0.0 becomes 0.0: a learning rate never carries a sign bit


def _integer(value: Any, path: str, expected: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(path, expected, value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if _is_numpy_scalar(value):
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


def coerce_kind(kind: str, value: Any, path: str, options: dict[str, Any]) -> Any:
    if kind == "rate":  # a learning rate: finite and >= 0
        return _float_check(value, path, {"min": 0.0, **options})
    if kind == "float":
        return _float_check(value, path, options)
    if kind == "steps":  # a positive step count
        return _int_check(value, path, {"min": 1, "max": MAX_STEPS, **options})
    if kind == "count":  # a non-negative step count
        return _int_check(value, path, {"min": 0, "max": MAX_STEPS, **options})
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
        bounds = {"min": first, "max": MAX_STEPS}
        out = tuple(_int_check(v, f"{path}[{i}]", bounds) for i, v in enumerate(items))
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
    # Sets have no order (YAML's !!set builds one), so they are no list of steps or values.
    if isinstance(value, (str, bytes, Mapping, set, frozenset)) or not hasattr(value, "__iter__"):
        raise ConfigError(path, expected, value)
    try:
        return list(value)
    except TypeError:
        raise ConfigError(path, expected, value) from None


def _did_you_mean(word: str, options: Any) -> str:
    import difflib

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
        raise ConfigError(
            type_path,
            "a schedule type (one of: " + ", ".join(sorted(REGISTRY)) + ")",
            None,
            hint="the 'type' key is missing",
        )
    name = config["type"]
    if not isinstance(name, str) or name not in REGISTRY:
        hint = _did_you_mean(name, REGISTRY) if isinstance(name, str) else ""
        raise ConfigError(
            type_path, "a schedule type (one of: " + ", ".join(sorted(REGISTRY)) + ")", name, hint=hint
        )
    cls = REGISTRY[name]
    params = {p.key: p for p in cls._fields}
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        if key == "type":
            continue
        if not isinstance(key, str) or key not in params:
            hint = _did_you_mean(key, params) if isinstance(key, str) else ""
            key_path = f"{path}.{key}" if path else str(key)
            raise ConfigError(
                key_path,
                f"a parameter of {name!r} (one of: {', '.join(params)})",
                key,
                hint=hint or "unknown key",
            )
        kwargs[key] = value
    for field_name, p in params.items():
        if field_name not in kwargs and p.required:
            key_path = f"{path}.{field_name}" if path else field_name
            raise ConfigError(key_path, f"a value (required by {name!r})", None, hint="missing key")
    try:
        return cls(**kwargs)
    except ConfigError as error:
        raise error.prefixed(path) from None
