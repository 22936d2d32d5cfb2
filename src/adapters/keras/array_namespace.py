"""The core's array namespace over ``keras.ops``: one class for every Keras backend."""

from __future__ import annotations

import numbers
from typing import Any, cast

import keras
import numpy as np
from keras import ops

from lrcore._errors import ConfigError
from lrcore._namespace import Array, Namespace

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
    steps (the core then uses its host tables instead of ``sin``/``exp``). Python
    numbers meeting a tensor take the tensor's dtype; two Python numbers take the
    namespace's int or float dtype, so integer and float arithmetic never mix widths.
    """

    def __init__(self, bits: int = 64) -> None:
        if bits not in (32, 64):
            raise ConfigError("bits", "32 or 64", bits)
        self.bits = bits
        self.float = f"float{bits}"
        self.int = f"int{bits}"
        self.int_max = _INT64_MAX if bits == 64 else _INT32_MAX
        self.name = f"keras-{keras.backend.backend()}-float{bits}"

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
        return ops.cast(x, self.float)

    def fill(self, like: Array, value: float) -> Array:
        return ops.full_like(like, value, dtype=self.float)

    def where(self, cond: Array, a: Any, b: Any) -> Array:
        return ops.where(cond, *self._pair(a, b))

    # keras.ops.minimum/maximum/floor_divide (torch) and sin (JAX) promote 64-bit inputs
    # to 32-bit results on every backend but TensorFlow (keras.src.backend.common.dtypes
    # BIT64_TO_BIT32_DTYPE, "aligned with JAX's default"). The forms below keep the
    # dtype on every backend: a comparison with where, and the tensors' own operators.

    def minimum(self, a: Any, b: Any) -> Array:
        a, b = self._pair(a, b)
        return ops.where(a <= b, a, b)

    def maximum(self, a: Any, b: Any) -> Array:
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
        return ops.sin(x)

    def exp(self, x: Array) -> Array:
        return ops.exp(x)

    def sqrt(self, x: Array) -> Array:
        return ops.sqrt(x)

    def pow(self, x: Array, p: float) -> Array:
        return ops.power(x, self._scalar(float(p), x))

    def take(self, table: Any, index: Array) -> Array:
        dtype = self.float if table.dtype.kind == "f" else self.int
        # NumPy rounds the float64 host table to float32 correctly, once.
        return ops.take(ops.convert_to_tensor(np.asarray(table, dtype=dtype)), index)


def namespace() -> KerasNamespace:
    """The namespace for the current backend: float64 where it can, else float32."""
    return KerasNamespace(64 if _float64_capable() else 32)
