"""The schedule model: immutable values with declared parameters, one formula, and a config form.

A class declares its parameters with :func:`lrcore._params.param` and a *kind*
(``steps: int = param(Steps())``; a tiny stand-in for a frozen dataclass, which costs
more import time than all of lrcore). Construction, validation, equality, hashing,
``repr``, ``to_config`` and the config registry are all driven by those declarations,
so a schedule class holds little more than its formula (:meth:`Schedule.formula`).

Setting ``type = "name"`` on a class registers it: configs with that ``type`` build it,
and ``lrcore.name`` is its constructor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing_extensions import Self

from ._errors import ConfigError
from ._namespace import Array, Namespace, narrow, numpy_namespace
from ._params import INT64_MAX, Binding, Param, did_you_mean, host_step, parse_duration

# Every config type: the schedules, and the plateau (a config value, not a schedule).
TYPES: dict[str, type[Declared]] = {}
# The schedules alone (the catalog and the combinators), in definition order.
REGISTRY: dict[str, type[Schedule]] = {}

# values() works in chunks of 8,192 steps: each temporary (64 KiB) stays in the CPU cache
# and below malloc's mmap threshold, so no chunk pays page faults for fresh memory
# (65,536-step chunks ran 3-4x slower).
_CHUNK = 1 << 13


class Declared:
    """An immutable value described by declared parameters (see the module docstring)."""

    type: ClassVar[str] = ""
    _fields: ClassVar[tuple[Param, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(v for v in cls.__dict__.values() if isinstance(v, Param))
        if cls.__dict__.get("type"):
            TYPES[cls.type] = cls

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
                hint = did_you_mean(name, sorted(keys))
                raise TypeError(
                    f"lrcore.{self.type}() got an unexpected parameter {name!r}"
                    + (f"; {hint}" if hint else "")
                )
        for p in params:
            if p.key in given:
                value = p.coerce(given[p.key], p.key)
            elif p.required:
                raise ConfigError(p.key, f"a value (required by {self.type!r})", None, hint="missing")
            else:
                value = p.default
            object.__setattr__(self, p.attr, value)
        unbound = tuple(u for p in params for u in p.kind.unbound(getattr(self, p.attr), p.key))
        object.__setattr__(self, "_unbound", unbound)
        if not unbound:  # cross-field checks compare integers: they run once bound
            self.check()

    # -- durations --------------------------------------------------------------------

    def unbound_durations(self) -> tuple[tuple[str, str], ...]:
        """The durations not yet resolved to steps, as ``(parameter path, text)`` pairs."""
        result: tuple[tuple[str, str], ...] = self.__dict__["_unbound"]
        return result

    def bind(self, total_steps: int | None = None, steps_per_epoch: int | None = None) -> Self:
        """This value with every duration (``"10ep"``, ``"5%"``, ``"0.05dur"``) resolved to
        integer steps: ``amount * steps_per_epoch`` or ``fraction * total_steps``, rounded to
        the nearest integer, halves up. A duration that needs an argument not given raises a
        :class:`ConfigError` naming the parameter and the argument.

        >>> s = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps="95%"), steps="5%")
        >>> s.bind(total_steps=1000)
        lrcore.warmup(schedule=lrcore.cosine(start=1.0, end=0.0, steps=950), steps=50)
        """
        return self._bind(Binding(total_steps, steps_per_epoch))

    def _bind(self, context: Binding) -> Self:
        # (not `bound`: a schedule may have a parameter of that name, as exponential does)
        if not self.unbound_durations():
            return self
        kwargs = {}
        for p in self._fields:
            kwargs[p.key] = p.kind.bind(getattr(self, p.attr), context, p.key)
        try:
            return type(self)(**kwargs)
        except ConfigError as error:
            given = dict(self.unbound_durations())
            if error.path in given:
                hint = f"{given[error.path]!r} bound with {context}"
                raise ConfigError(error.path, error.expected, error.got, hint=hint) from None
            raise

    def _require_bound(self) -> None:
        unbound = self.unbound_durations()
        if unbound:
            path, text = unbound[0]
            _, unit = parse_duration(text, path)
            needs = "steps_per_epoch" if unit == "ep" else "total_steps"
            raise ConfigError(
                path,
                "a bound duration",
                text,
                hint=f"call schedule.bind({needs}=...) before evaluating, or give the adapter {needs}",
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"lrcore values are immutable; build a new lrcore.{self.type}(...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("lrcore values are immutable")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, p.attr) for p in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not isinstance(other, Declared):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (from_mapping, (self.to_config(),))

    def check(self) -> None:
        """Cross-field validation; raise :class:`ConfigError` naming the field."""

    def to_config(self) -> dict[str, Any]:
        """Plain JSON types: ``lrcore.from_config(s.to_config()) == s``."""
        config: dict[str, Any] = {"type": self.type}
        for p in self._fields:
            value = getattr(self, p.attr)
            if not p.required and _same(value, p.default):
                continue
            config[p.key] = p.encode(value)
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


# The optimizer hyperparameters a schedule can drive beside the learning rate (SPEC section 9).
# "momentum" is SGD's momentum, or beta1 where the optimizer has betas and no momentum (torch's
# OneCycleLR/CyclicLR rule); "beta1" is the Adam family's first beta; "weight_decay" as named.
HYPERPARAMETERS = ("momentum", "beta1", "weight_decay")


class Schedule(Declared):
    """Base class of every schedule: ``lr = schedule(t)`` for the step ``t``.

    ``t`` counts optimizer updates already applied, so the first update uses
    ``schedule(0)``. Past its horizon a schedule holds its final value. Schedules are
    immutable, hashable values: equal parameters make equal schedules.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("type"):
            REGISTRY[cls.type] = cls

    # -- what subclasses provide ------------------------------------------------------

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

    # A formula that keeps going past the horizon as a periodic curve (cosine) defines
    # ``periodic(t, xp)``; lrcore.after_horizon(s, "continue") uses it.
    periodic: Any = None

    def hyperparameters(self) -> dict[str, Schedule]:
        """Schedules for other optimizer hyperparameters that travel with this one (SPEC
        section 9), keyed by a name in :data:`HYPERPARAMETERS`: ``one_cycle`` and ``cyclic``
        with ``cycle_momentum`` give ``{"momentum": ...}``. Empty by default. The adapters
        apply each beside the learning rate."""
        return {}

    def float32_ulps(self) -> int:
        """This node's float32 ulp bound (SPEC section 7); :func:`lrcore.precision.float32_bound`
        takes the largest over a schedule's tree. Override where a formula needs more."""
        from .precision import FLOAT32_ULPS

        return FLOAT32_ULPS

    # -- evaluation -------------------------------------------------------------------

    def evaluate(self, t: Array, xp: Namespace) -> Array:
        """The one entry point the adapters call: the formula at the integer step array
        ``t`` of namespace ``xp`` (negative steps read as 0), in ``xp``'s float type."""
        self._require_bound()
        return self.formula(xp.maximum(t, 0), xp)

    def __call__(self, t: int) -> float:
        """The float64 reference value at step ``t``."""
        self._require_bound()
        step = host_step(t)
        xp = numpy_namespace(64)
        return float(self.evaluate(xp.as_int([step]), xp)[0])

    def values(self, ts: Any, *, bits: int = 64, extended: bool | None = None) -> Any:
        """The reference values at many steps, as a NumPy array (float64 by default).

        ``bits=32`` evaluates the float32 arithmetic the traced float32 adapters use (JAX
        without x64, Keras on JAX): double-float over float32 pairs, whose float32 result is
        float32(reference) (SPEC section 7); ``extended=False`` takes the plain float32 path
        instead (within :func:`lrcore.precision.float32_bound` ulps, fewer operations)."""
        import numpy as np

        self._require_bound()
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
        if steps.size and int(steps.max()) > INT64_MAX:  # uint64 beyond int64
            raise ConfigError("t", f"steps <= {INT64_MAX}", int(steps.max()))
        if extended and bits != 32:
            raise ConfigError("extended", "false unless bits is 32 (float64 needs no pairs)", extended)
        xp = numpy_namespace(bits, bits == 32 if extended is None else extended)
        _warm_allocator(np)
        flat = steps.reshape(-1).astype(np.int64, copy=False)
        out = np.empty(flat.shape, dtype=xp.float)
        for start in range(0, flat.size, _CHUNK):
            part = flat[start : start + _CHUNK]
            # steps were checked >= 0 above: the formula needs no clamp at 0
            out[start : start + _CHUNK] = narrow(self.formula(part, xp))
        return out.reshape(steps.shape)

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


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, float) and isinstance(b, (int, float)) and a == b
    )


def as_schedule(value: Any, path: str = "") -> Schedule:
    """A schedule from a schedule or a config mapping; anything else (a plateau
    included) is a :class:`ConfigError` that says what to use."""
    if isinstance(value, Schedule):
        return value
    built = from_mapping(value, path) if isinstance(value, Mapping) else value
    if isinstance(built, Schedule):
        return built
    if isinstance(built, Declared) and built.type == "plateau":
        raise ConfigError(
            path or "schedule",
            "a schedule (a plateau is metric-driven, not a schedule: nest the schedule inside the "
            "plateau, lrcore.plateau(schedule, ...), and run it with a plateau adapter: "
            "lrcore.adapters.torch.plateau_scheduler, lrcore.adapters.optax.plateau_transform or "
            "lrcore.adapters.keras.plateau_callback)",
            built,
        )
    raise ConfigError(path, "a schedule or a config mapping with a 'type'", value)


def ready(
    value: Any, path: str = "schedule", *, total_steps: int | None = None, steps_per_epoch: int | None = None
) -> Schedule:
    """What a schedule adapter runs: a schedule (or its config) with every duration bound,
    by ``total_steps`` / ``steps_per_epoch`` when given. A plateau, or a duration left
    unbound, is a :class:`ConfigError` that says what to do."""
    schedule = as_schedule(value, path)
    try:
        if total_steps is not None or steps_per_epoch is not None:
            schedule = schedule.bind(total_steps=total_steps, steps_per_epoch=steps_per_epoch)
        schedule._require_bound()
    except ConfigError as error:
        raise error.prefixed(path) from None
    return schedule


def from_mapping(config: Mapping[str, Any], path: str = "") -> Declared:
    """The value a config mapping describes (a schedule, or a plateau)."""
    if not isinstance(config, Mapping):
        raise ConfigError(path, "a mapping with a 'type'", config)
    type_path = f"{path}.type" if path else "type"
    names = ", ".join(sorted(TYPES))
    if "type" not in config:
        raise ConfigError(
            type_path, f"a schedule type (one of: {names})", None, hint="the 'type' key is missing"
        )
    name = config["type"]
    if not isinstance(name, str) or name not in TYPES:
        hint = did_you_mean(name, sorted(TYPES)) if isinstance(name, str) else ""
        raise ConfigError(type_path, f"a schedule type (one of: {names})", name, hint=hint)
    cls = TYPES[name]
    params = {p.key: p for p in cls._fields}
    kwargs: dict[str, Any] = {}
    for key, value in config.items():
        if key == "type":
            continue
        if not isinstance(key, str) or key not in params:
            hint = did_you_mean(key, list(params)) if isinstance(key, str) else ""
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
