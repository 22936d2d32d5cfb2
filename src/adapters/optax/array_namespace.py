"""The core's array namespace over ``jax.numpy``: what the optax adapters trace.

Every operation is a plain ``jax.numpy`` op, so a formula traces to one small XLA
computation: no Python per step, no host callback.

``JaxNamespace(32, extended=True)`` (or ``namespace(32, extended=True)``) evaluates the
core's shapes in double-float (``lrcore._namespace.Wide``): a schedule's ``evaluate`` may
then return a ``Wide`` pair, whose ``astype(jnp.float32)`` is float32(reference) at every
step for ``linear``, ``cosine`` and the ``anneal`` shapes (warmup, one_cycle, ...) but
for rare near-ties (SPEC 7). It is opt-in: a caller must narrow the result with
``.astype`` (as ``OptaxSchedule`` does) before it leaves the trace.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import lrcore
from lrcore._namespace import Array, Namespace, Wide, wide_maximum, wide_minimum, wide_where


# Public from jax 0.4.30; the lowest jax declared (0.4.27) has the same primitive privately.
def _barrier() -> Any:
    if hasattr(lax, "optimization_barrier"):
        return lax.optimization_barrier
    from jax._src.ad_checkpoint import _optimization_barrier  # pragma: no cover - jax < 0.4.30

    return _optimization_barrier  # pragma: no cover


_optimization_barrier = _barrier()

__all__ = ["JaxNamespace", "namespace"]


class JaxNamespace(Namespace):
    """``lrcore._namespace.Namespace`` over ``jax.numpy``: float32 with int32 steps
    (``bits=32``, JAX's default) or float64 with int64 steps (``bits=64``, needs
    ``jax_enable_x64``). Every operation is a plain ``jax.numpy`` op, so a formula
    traces to one small XLA computation: no Python per step, no host callback.

    >>> xp = JaxNamespace(32)
    >>> lrcore.linear(start=1.0, end=0.0, steps=4).evaluate(xp.as_int(1), xp)
    Array(0.75, dtype=float32)
    """

    def __init__(self, bits: int = 32, *, extended: bool = False) -> None:
        if bits not in (32, 64):
            raise lrcore.ConfigError("bits", "32 or 64", bits)
        if extended and bits != 32:
            raise lrcore.ConfigError("extended", "false unless bits is 32 (float64 needs no pairs)", extended)
        if bits == 64 and not jax.config.jax_enable_x64:
            raise lrcore.ConfigError(
                "bits", "32 unless jax_enable_x64 is on (JAX has no float64 without it)", bits
            )
        self.bits = bits
        self.name = f"jax-float{bits}"
        self.float = jnp.float64 if bits == 64 else jnp.float32
        self.int = jnp.int64 if bits == 64 else jnp.int32
        self.int_max = int(np.iinfo(self.int).max)
        self.extended = extended
        if extended:
            self.name += "-extended"

    def split(self, x: Array) -> tuple[Array, Array]:
        bits = lax.bitcast_convert_type(x, jnp.int32)
        hi = lax.bitcast_convert_type(bits & jnp.int32(-4096), jnp.float32)
        return hi, x - hi

    def opaque(self, values: tuple[Array, Array]) -> tuple[Array, Array]:
        hi, lo = _optimization_barrier(values)
        return hi, lo

    def pair(self, value: float) -> tuple[Array, Array]:
        hi = np.float32(value)
        return self.opaque((jnp.asarray(hi), jnp.asarray(np.float32(value - float(hi)))))

    def as_int(self, t: Array) -> Array:
        """The step array in this namespace's integer type. Wider or unsigned integers
        saturate at ``int_max`` instead of wrapping (optax's count saturates too)."""
        t = jnp.asarray(t)
        if not jnp.issubdtype(t.dtype, jnp.integer):
            raise lrcore.ConfigError("t", "integer steps", f"an array of {t.dtype}")
        if t.dtype == self.int:
            return t
        if jnp.iinfo(t.dtype).max > self.int_max:
            t = jnp.minimum(t, jnp.asarray(self.int_max, t.dtype))
        return t.astype(self.int)

    def to_float(self, x: Array) -> Array:
        return jnp.asarray(_narrow(x)).astype(self.float)

    def fill(self, like: Array, value: float) -> Array:
        return jnp.full(jnp.shape(_narrow(like)), value, dtype=self.float)

    def _f(self, a: Any) -> Any:
        # A Python float must not decide the result type (jnp.where(c, 0.1, 0.2) would be
        # a weak float): pin it to this namespace's float.
        return jnp.asarray(a, self.float) if isinstance(a, float) else a

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_where(self, cond, a, b)
        return jnp.where(cond, self._f(a), self._f(b))

    def minimum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_minimum(self, a, b)
        return jnp.minimum(self._f(a), self._f(b))

    def maximum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_maximum(self, a, b)
        return jnp.maximum(self._f(a), self._f(b))

    def floordiv(self, a: Array, b: Any) -> Array:
        return a // b

    def mod(self, a: Array, b: int) -> Array:
        return a % b

    def sin(self, x: Array) -> Array:
        return jnp.sin(_narrow(x))

    def exp(self, x: Array) -> Array:
        return jnp.exp(_narrow(x))

    def sqrt(self, x: Array) -> Array:
        return jnp.sqrt(_narrow(x))

    def pow(self, x: Array, p: float) -> Array:
        return jnp.power(_narrow(x), jnp.asarray(p, self.float))

    def take(self, table: Any, index: Array) -> Array:
        """A constant-array lookup inside the trace (an XLA gather), never a callback."""
        dtype = self.float if table.dtype.kind == "f" else self.int
        # The table is cast on the host (float64 -> float32 rounds once, as NumPy does).
        return jnp.take(jnp.asarray(np.asarray(table, dtype=dtype)), index, mode="clip")

    def to_bits(self, x: Array) -> Array:
        return lax.bitcast_convert_type(x, jnp.int32)

    def from_bits(self, bits: Array) -> Array:
        return lax.bitcast_convert_type(jnp.asarray(bits, jnp.int32), jnp.float32)


def _narrow(x: Any) -> Any:
    """A double-float pair as its float32 ``hi`` (the float32 nearest it)."""
    return x.hi if isinstance(x, Wide) else x


def namespace(bits: int | None = None, *, extended: bool = False) -> JaxNamespace:
    """The namespace for ``bits`` (default: 64 when ``jax_enable_x64`` is on, else 32),
    decided when called, so a schedule follows x64 being switched on later. ``extended``
    asks for double-float evaluation in float32 (ignored in float64, which needs none)."""
    if bits is None:
        bits = 64 if jax.config.jax_enable_x64 else 32
    return _namespace(bits, extended and bits == 32)


@functools.lru_cache(maxsize=4)
def _namespace(bits: int, extended: bool) -> JaxNamespace:
    return JaxNamespace(bits, extended=extended)
