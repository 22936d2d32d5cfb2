"""lrcore schedules as optax schedules: the core's formula, traced with ``jax.numpy``.

:func:`schedule` turns an lrcore schedule into an ``optax.Schedule``, a function of the
update count that runs under ``jax.jit`` and ``jax.vmap`` with a traced count, compiles
once, and plugs in wherever optax takes a learning rate::

    import lrcore, optax
    from lrcore.adapters.optax import schedule

    lr = schedule(lrcore.warmup(lrcore.cosine(start=1e-3, end=1e-5, steps=9000), steps=1000))
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr)  # logs the applied lr

The adapter holds no formula: :class:`JaxNamespace` binds the core's array namespace
(``lrcore._namespace.Namespace``) to ``jax.numpy`` and the schedule evaluates itself over it.

Precision (SPEC section 7). By default JAX computes in float32 with int32 steps: the core
then evaluates in double-float pairs (host-computed float64 tables looked up inside the
trace, no float32 ``sin``/``exp``, every product and sum error-free), and the schedule
returns float32(reference) at every step, equal to ``schedule.values(ts, bits=32)``. The
arithmetic is written so that XLA's rewrites (fused multiply-adds, ``x / c`` as
``x * (1 / c)``, constant folding) cannot change it. With
``jax.config.update("jax_enable_x64", True)`` it evaluates in float64 with int64 steps, and
float32(applied) equals float32(reference) at every step too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import lrcore
from lrcore._namespace import Array
from lrcore._schedule import ready

from .. import _jax_pairs as pairs
from .array_namespace import JaxNamespace, namespace

__all__ = ["OptaxSchedule", "schedule"]


@dataclasses.dataclass(frozen=True)
class OptaxSchedule:
    """An ``optax.Schedule``: ``lr = fn(count)`` with ``count`` the number of updates
    already applied (optax's ``count``; the first update uses ``lrcore_schedule(0)``).

    ``count`` may be a Python int, a NumPy integer or a JAX integer array of any dtype
    and shape (traced under ``jit``/``vmap`` or not); the result has the count's shape in
    the namespace's float type (float32, or float64 under x64). A concrete negative
    step, or one the namespace's integer type cannot hold, raises ``ConfigError``;
    traced negative counts read as 0 and wider ones saturate at ``int_max``.

    Under x64 the float64 result is a strongly typed array, which
    ``optax.inject_hyperparams`` keeps as it is, whatever its ``hyperparam_dtype`` (float32
    parameters then get a float64 learning rate in ``opt_state.hyperparams``, and a float64
    momentum turns their momentum buffers float64). :func:`lrcore.adapters.optax.optimizer`
    casts each value to the parameters' dtype; ``bits=32`` here evaluates in float32.
    """

    schedule: lrcore.Schedule
    bits: int | None = None

    def __call__(self, count: Any) -> Array:
        xp = namespace(self.bits)
        if not isinstance(count, jax.Array):
            count = _host_count(count, xp)
        t = xp.as_int(count)
        if xp.extended:
            return pairs.compiled_once(
                self._evaluate, t, lambda: jnp.asarray(self.schedule.values([0])[0], xp.float)
            )
        return self._evaluate(t)

    def _evaluate(self, t: Array) -> Array:
        xp = namespace(self.bits)
        return self.schedule.evaluate(t, xp).astype(xp.float)

    def __repr__(self) -> str:
        return f"lrcore.adapters.optax.schedule({self.schedule!r})"


def schedule(
    schedule: lrcore.Schedule | Any,
    *,
    bits: int | None = None,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
) -> OptaxSchedule:
    """The optax schedule of an lrcore schedule (or of its config mapping). A schedule with
    durations (``"5%"``, ``"10ep"``) is bound here by ``total_steps`` / ``steps_per_epoch``.

    ``bits`` picks the evaluation width: 32 (int32 steps, float32) or 64 (int64 steps,
    float64, needs ``jax_enable_x64``); by default 64 exactly when x64 is on. The
    formula is traced once here, so a parameter that the step type cannot represent
    (``steps=3_000_000_000`` with int32 steps) raises ``lrcore.ConfigError`` now rather
    than inside a training step.

    >>> import optax
    >>> lr = schedule(lrcore.step(start=0.1, gamma=0.5, step_size=10))
    >>> round(float(lr(25)), 9)  # float32: 0.025 to 7 digits
    0.025
    >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    """
    bound = ready(schedule, "schedule", total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    fn = OptaxSchedule(bound, bits)
    _check_representable(fn, namespace(bits))
    return fn


def _check_representable(fn: OptaxSchedule, xp: JaxNamespace) -> None:
    """Raise ``ConfigError`` unless every integer parameter fits ``xp``'s step type.

    A step count beyond ``int_max`` cannot be a traced integer: the core skips some such
    parameters (a boundary no step reaches), but clamping others would change the curve
    (a segment length, a cycle length), so any such parameter is refused. Tracing once
    also catches derived values that overflow (``up + down`` of ``cyclic``).
    """
    path, value = _widest_int(fn.schedule.to_config())
    expected = (
        f"integer parameters that fit the {jnp.dtype(xp.int).name} steps of JAX "
        f"(at most {xp.int_max}; turn on jax_enable_x64 for int64 steps)"
    )
    if value is not None and abs(value) > xp.int_max:
        raise lrcore.ConfigError(path, expected, value)
    try:
        jax.eval_shape(fn, jax.ShapeDtypeStruct((), xp.int))
    except OverflowError as error:
        # JAX refuses a Python int wider than the traced step type.
        raise lrcore.ConfigError(path, expected + " (a step computed from it overflows)", value) from error


def _host_count(count: Any, xp: JaxNamespace) -> Any:
    """Check a concrete count on the host: integers in ``[0, int_max]`` (SPEC 3)."""
    steps = np.asarray(count)
    if steps.dtype.kind not in "iu":
        raise lrcore.ConfigError("t", "integer steps", count)
    if steps.size and int(steps.min()) < 0:
        raise lrcore.ConfigError("t", "steps >= 0", int(steps.min()))
    if steps.size and int(steps.max()) > xp.int_max:
        raise lrcore.ConfigError(
            "t", f"steps <= {xp.int_max} (the {jnp.dtype(xp.int).name} steps of JAX)", int(steps.max())
        )
    return steps.astype(np.dtype(xp.int))


def _widest_int(config: Any, path: str = "") -> tuple[str, Any]:
    """The path and value of the largest integer in a config (the culprit of an overflow)."""
    best: tuple[str, Any] = (path, None)
    if isinstance(config, dict):
        items: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in config.items())
    elif isinstance(config, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(config))
    else:
        is_int = isinstance(config, int) and not isinstance(config, bool)
        return (path, config) if is_int else best
    for sub_path, value in items:
        found = _widest_int(value, sub_path)
        if found[1] is not None and (best[1] is None or abs(found[1]) > abs(best[1])):
            best = found
    return best
