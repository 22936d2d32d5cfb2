"""The float-pair primitives of a float32 JAX namespace (SPEC section 7), shared by
the optax adapter's namespace and the Keras one on the JAX backend. Importing it imports
jax only (no optax, no keras)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from lrcore._namespace import host_pair


# Public from jax 0.4.30; the lowest jax declared (0.4.27) has the same primitive privately.
def _barrier() -> Any:
    if hasattr(lax, "optimization_barrier"):
        return lax.optimization_barrier
    from jax._src.ad_checkpoint import _optimization_barrier  # pragma: no cover - jax < 0.4.30

    return _optimization_barrier  # pragma: no cover


_optimization_barrier = _barrier()


def compiled_once(value: Any, count: Any, first: Any) -> Any:
    """``value(count)``; for a scalar traced ``count`` inside one branch of a ``lax.cond``
    (``first()``, the value at step 0, where ``count < 0``: called only then, when traced);
    any other count directly. A learning rate is read by the update of
    every parameter, and XLA fuses a copy of a cheap scalar computation into each reader:
    a double-float schedule (a few hundred operations) was compiled once per parameter
    array (+230-290 ms on a 6-array MLP step instead of +35 ms alone). A conditional's
    branch is not fused into its users, so it is compiled once."""
    if not isinstance(count, jax.core.Tracer) or count.ndim != 0:
        return value(count)
    return lax.cond(count >= 0, value, lambda _: first(), count)


def to_bits(x: Any) -> Any:
    """A float32 array's bit patterns as int32."""
    return lax.bitcast_convert_type(x, jnp.int32)


def from_bits(bits: Any) -> Any:
    """int32 bit patterns as the float32 array they encode."""
    return lax.bitcast_convert_type(jnp.asarray(bits, jnp.int32), jnp.float32)


def opaque(values: tuple[Any, Any]) -> tuple[Any, Any]:
    """The pair behind an optimization barrier: XLA's simplifier cannot fold it."""
    hi, lo = _optimization_barrier(values)
    return hi, lo


def pair(value: float) -> tuple[Any, Any]:
    """A Python float as an opaque float32 pair (``hi + lo`` its first ~48 bits)."""
    hi, lo = host_pair(value)
    return opaque((jnp.asarray(hi), jnp.asarray(lo)))
