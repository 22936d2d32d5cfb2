"""The core's array namespace over torch tensors: evaluate a schedule on a device.

>>> import torch, lrcore
>>> from lrcore.adapters.torch import namespace
>>> xp = namespace("cpu", torch.float32)
>>> lrcore.linear(start=1.0, end=0.0, steps=4).evaluate(xp.as_int(torch.arange(3)), xp)
tensor([1.0000, 0.7500, 0.5000])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lrcore._errors import ConfigError
from lrcore._namespace import Namespace

__all__ = ["TorchNamespace", "namespace"]

_INT_MAX = (1 << 63) - 1


class TorchNamespace(Namespace):
    """The core's array namespace over torch tensors (int64 steps, float64 or float32),
    for evaluating a schedule on a device: ``schedule.evaluate(steps, namespace("cuda"))``.

    The scheduler itself does not need it (it reads the host float64 reference). In float32
    it takes the core's plain float32 path (within ``lrcore.precision.float32_bound`` ulps):
    torch computes in float64 on every device that matters, which gives float32(reference)
    after one rounding.
    """

    int_max = _INT_MAX

    def __init__(self, device: Any = None, dtype: torch.dtype = torch.float64) -> None:
        if dtype not in (torch.float64, torch.float32):
            raise ConfigError("dtype", "torch.float64 or torch.float32", dtype)
        self.device = torch.device(device if device is not None else "cpu")
        self.dtype = dtype
        self.bits = 64 if dtype == torch.float64 else 32
        self.name = f"torch-float{self.bits}"

    def _tensor(self, a: Any) -> torch.Tensor:
        # Python numbers become 0-d tensors: floats in our float dtype (never torch's
        # default float32), so they do not change the dtype of the result.
        if isinstance(a, torch.Tensor):
            return a
        if isinstance(a, float):
            return torch.tensor(a, dtype=self.dtype, device=self.device)
        return torch.tensor(a, dtype=torch.int64, device=self.device)

    def as_int(self, t: Any) -> torch.Tensor:
        return torch.as_tensor(t, dtype=torch.int64, device=self.device)

    def to_float(self, x: Any) -> torch.Tensor:
        return self._tensor(x).to(self.dtype)

    def fill(self, like: Any, value: float) -> torch.Tensor:
        return torch.full(tuple(self._tensor(like).shape), value, dtype=self.dtype, device=self.device)

    def where(self, cond: Any, a: Any, b: Any) -> torch.Tensor:
        return torch.where(cond, self._tensor(a), self._tensor(b))

    def minimum(self, a: Any, b: Any) -> torch.Tensor:
        return torch.minimum(self._tensor(a), self._tensor(b))

    def maximum(self, a: Any, b: Any) -> torch.Tensor:
        return torch.maximum(self._tensor(a), self._tensor(b))

    def floordiv(self, a: Any, b: int) -> torch.Tensor:
        return torch.div(a, b, rounding_mode="floor")

    def mod(self, a: Any, b: int) -> torch.Tensor:
        return torch.remainder(a, b)

    def sin(self, x: Any) -> torch.Tensor:
        return torch.sin(x)

    def exp(self, x: Any) -> torch.Tensor:
        return torch.exp(x)

    def sqrt(self, x: Any) -> torch.Tensor:
        return torch.sqrt(x)

    def pow(self, x: Any, p: float) -> torch.Tensor:
        return torch.pow(x, p)

    def take(self, table: Any, index: Any) -> torch.Tensor:
        if table.dtype.kind == "f":
            host = np.asarray(table, dtype=np.float64 if self.bits == 64 else np.float32)
        else:
            host = np.asarray(table, dtype=np.int64)
        return torch.as_tensor(host, device=self.device)[index]


def namespace(device: Any = None, dtype: torch.dtype = torch.float64) -> TorchNamespace:
    """A :class:`TorchNamespace` on ``device`` (default CPU) computing in ``dtype``."""
    return TorchNamespace(device, dtype)
