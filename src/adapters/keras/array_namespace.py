"""The core's array namespace over ``keras.ops``: one class for every Keras backend."""

from __future__ import annotations

import numbers
from typing import Any, cast

import keras
import numpy as np
from keras import ops

from lrcore._errors import ConfigError
from lrcore._namespace import Array, Namespace, Wide, narrow, wide_maximum, wide_minimum, wide_where

__all__ = ["KerasNamespace", "namespace"]

_INT32_MAX = (1 << 31) - 1
_INT64_MAX = (1 << 63) - 1


def _float64_capable() -> bool:
    """Whether the current Keras backend computes in float64 (JAX only with x64)."""
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


class KerasNamespace(Namespace):
    """The core's array namespace over ``keras.ops``: one class for every Keras backend.

    ``bits=64`` computes in float64 with int64 steps, ``bits=32`` in float32 with int32
    steps (the core then uses its host tables instead of ``sin``/``exp``; on the JAX
    backend, in double-float pairs whose float32 result is float32(reference), SPEC 7). Python
    numbers meeting a tensor take the tensor's dtype; two Python numbers take the
    namespace's int or float dtype, so integer and float arithmetic never mix widths.
    """

    def __init__(self, bits: int = 64, *, extended: bool | None = None) -> None:
        if bits not in (32, 64):
            raise ConfigError("bits", "32 or 64", bits)
        on_jax = keras.backend.backend() == "jax"
        if extended is None:
            extended = bits == 32 and on_jax
        if extended and not (bits == 32 and on_jax):
            raise ConfigError(
                "extended", "false unless bits is 32 on the JAX backend (the float32-only one)", extended
            )
        self.bits = bits
        self.float = f"float{bits}"
        self.int = f"int{bits}"
        self.int_max = _INT64_MAX if bits == 64 else _INT32_MAX
        self.name = f"keras-{keras.backend.backend()}-float{bits}" + ("-extended" if extended else "")
        self.extended = extended

    # Float pairs (SPEC section 7) on the JAX backend, where Keras tensors are JAX arrays.

    def opaque(self, values: tuple[Array, Array]) -> tuple[Array, Array]:
        from .. import _jax_pairs

        return _jax_pairs.opaque(values)

    def pair(self, value: float) -> tuple[Array, Array]:
        from .. import _jax_pairs

        return _jax_pairs.pair(value)

    def to_bits(self, x: Array) -> Array:
        from .. import _jax_pairs

        return _jax_pairs.to_bits(x)

    def from_bits(self, bits: Array) -> Array:
        from .. import _jax_pairs

        return _jax_pairs.from_bits(bits)

    def _scalar(self, value: Any, like: Any = None) -> Any:
        """A Python or NumPy number as a tensor of ``like``'s dtype (or ours)."""
        if not isinstance(value, numbers.Number):
            return value
        if like is not None and not isinstance(like, numbers.Number):
            dtype = keras.backend.standardize_dtype(like.dtype)
        else:
            dtype = self.int if isinstance(value, numbers.Integral) else self.float
        if "int" in dtype:
            # A bound past the step type's range can never be reached; clip it so it fits.
            limit = self.int_max if dtype == self.int else np.iinfo(dtype).max
            # (typeshed's numbers.Number has no __int__; Python and NumPy numbers do)
            value = max(-limit - 1, min(int(cast(Any, value)), limit))
        return ops.convert_to_tensor(value, dtype=dtype)

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        return self._scalar(a, b), self._scalar(b, a)

    def as_int(self, t: Array) -> Array:
        return ops.cast(t, self.int)

    def to_float(self, x: Array) -> Array:
        return ops.cast(narrow(x), self.float)

    def fill(self, like: Array, value: float) -> Array:
        return ops.full_like(narrow(like), value, dtype=self.float)

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_where(self, cond, a, b)
        return ops.where(cond, *self._pair(a, b))

    # keras.ops.minimum/maximum/floor_divide (torch) and sin (JAX) promote 64-bit inputs
    # to 32-bit results on every backend but TensorFlow (keras.src.backend.common.dtypes
    # BIT64_TO_BIT32_DTYPE, "aligned with JAX's default"). The forms below keep the
    # dtype on every backend: a comparison with where, and the tensors' own operators.

    def minimum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_minimum(self, a, b)
        a, b = self._pair(a, b)
        return ops.where(a <= b, a, b)

    def maximum(self, a: Any, b: Any) -> Array:
        if isinstance(a, Wide) or isinstance(b, Wide):
            return wide_maximum(self, a, b)
        a, b = self._pair(a, b)
        return ops.where(a >= b, a, b)

    def floordiv(self, a: Array, b: int) -> Array:
        return a // self._scalar(b, a)

    def mod(self, a: Array, b: int) -> Array:
        return a % self._scalar(b, a)

    def sin(self, x: Array) -> Array:
        if self.bits == 64 and keras.backend.backend() == "jax":
            import jax.numpy as jnp

            return jnp.sin(x)
        return ops.sin(narrow(x))

    def exp(self, x: Array) -> Array:
        return ops.exp(narrow(x))

    def sqrt(self, x: Array) -> Array:
        return ops.sqrt(narrow(x))

    def pow(self, x: Array, p: float) -> Array:
        x = narrow(x)
        return ops.power(x, self._scalar(float(p), x))

    def take(self, table: Any, index: Array) -> Array:
        dtype = self.float if table.dtype.kind == "f" else self.int
        # NumPy rounds the float64 host table to float32 correctly, once.
        return ops.take(ops.convert_to_tensor(np.asarray(table, dtype=dtype)), index)


def namespace() -> KerasNamespace:
    """The namespace for the current backend: float64 where it can, else float32."""
    return KerasNamespace(64 if _float64_capable() else 32)
