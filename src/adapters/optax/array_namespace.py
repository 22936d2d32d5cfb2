"""The core's array namespace over ``jax.numpy``: what the optax adapters trace.

Every operation is a plain ``jax.numpy`` op, so a formula traces to one small XLA
computation: no Python per step, no host callback.

In float32 (JAX's default) the namespace evaluates the core's shapes in double-float
pairs (``lrcore._namespace.Wide``, SPEC section 7): a schedule's ``evaluate`` may return a
pair, and its ``astype(jnp.float32)`` (or ``lrcore._namespace.narrow``) is
float32(reference). A caller narrows the result before it leaves the trace, as
``OptaxSchedule`` does. ``JaxNamespace(32, extended=False)`` is the plain float32 path:
fewer operations, within ``lrcore.precision.float32_bound`` ulps.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import lrcore
from lrcore._namespace import Array, Namespace, Wide, narrow, wide_maximum, wide_minimum, wide_where

from .. import _jax_pairs as pairs

__all__ = ["JaxNamespace", "namespace"]


class JaxNamespace(Namespace):
    """``lrcore._namespace.Namespace`` over ``jax.numpy``: float32 with int32 steps
    (``bits=32``, JAX's default) or float64 with int64 steps (``bits=64``, needs
    ``jax_enable_x64``). Every operation is a plain ``jax.numpy`` op, so a formula
    traces to one small XLA computation: no Python per step, no host callback.

    In float32 it computes in double-float pairs unless ``extended=False``:

    >>> xp = JaxNamespace(32)
    >>> lrcore.linear(start=1.0, end=0.0, steps=3).evaluate(xp.as_int(1), xp).astype(jnp.float32)
    Array(0.6666667, dtype=float32)
    """

    def __init__(self, bits: int = 32, *, extended: bool | None = None) -> None:
        if bits not in (32, 64):
            raise lrcore.ConfigError("bits", "32 or 64", bits)
        if extended is None:
            extended = bits == 32
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

    def opaque(self, values: tuple[Array, Array]) -> tuple[Array, Array]:
        return pairs.opaque(values)

    def pair(self, value: float) -> tuple[Array, Array]:
        return pairs.pair(value)

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
        return jnp.asarray(narrow(x)).astype(self.float)

    def fill(self, like: Array, value: float) -> Array:
        return jnp.full(jnp.shape(narrow(like)), value, dtype=self.float)

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
        return jnp.sin(narrow(x))

    def exp(self, x: Array) -> Array:
        return jnp.exp(narrow(x))

    def sqrt(self, x: Array) -> Array:
        return jnp.sqrt(narrow(x))

    def pow(self, x: Array, p: float) -> Array:
        return jnp.power(narrow(x), jnp.asarray(p, self.float))

    def take(self, table: Any, index: Array) -> Array:
        """A constant-array lookup inside the trace (an XLA gather), never a callback."""
        dtype = self.float if table.dtype.kind == "f" else self.int
        # The table is cast on the host (float64 -> float32 rounds once, as NumPy does).
        return jnp.take(jnp.asarray(np.asarray(table, dtype=dtype)), index, mode="clip")

    def to_bits(self, x: Array) -> Array:
        return pairs.to_bits(x)

    def from_bits(self, bits: Array) -> Array:
        return pairs.from_bits(bits)


def namespace(bits: int | None = None, *, extended: bool = True) -> JaxNamespace:
    """The namespace for ``bits`` (default: 64 when ``jax_enable_x64`` is on, else 32),
    decided when called, so a schedule follows x64 being switched on later. In float32 it
    evaluates in double-float pairs unless ``extended=False`` (ignored in float64, which
    needs none)."""
    if bits is None:
        bits = 64 if jax.config.jax_enable_x64 else 32
    return _namespace(bits, extended and bits == 32)


@functools.lru_cache(maxsize=4)
def _namespace(bits: int, extended: bool) -> JaxNamespace:
    return JaxNamespace(bits, extended=extended)
