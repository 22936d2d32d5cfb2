"""Where users train (SPEC section 10): Lightning, the Hugging Face Trainer and accelerate,
Flax NNX and linen, Keras ``fit``, OmegaConf and Hydra. Every test trains for real and reads
the applied learning rate from the framework's own logs or optimizer state."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import lrcore
from tests.contract import assert_float32_reference

# One plan for every integration: a linear warmup into a cosine.
PLAN = lrcore.warmup(lrcore.cosine(start=0.05, end=0.001, steps=200), steps=40)


def assert_float32_contract(applied: Sequence[float], steps: Sequence[int], *, float64: bool) -> None:
    """SPEC 7 for a float32 learning rate: ``float32(reference)`` at every update; on a
    float32-only path (JAX's default, double-float pairs) 1 ulp is allowed at near ties
    only (``tests.contract``)."""
    reference = PLAN.values(np.asarray(steps, dtype=np.int64))
    assert np.all(np.isfinite(np.asarray(applied, dtype=np.float64)))
    assert_float32_reference(applied, reference, "PLAN", near_ties=not float64, steps=steps)
