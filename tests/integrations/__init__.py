"""Where users train (SPEC section 10): Lightning, the Hugging Face Trainer and accelerate,
Flax NNX and linen, Keras ``fit``, OmegaConf and Hydra. Every test trains for real and reads
the applied learning rate from the framework's own logs or optimizer state."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import lrcore
from lrcore.precision import float32_bound, ulps

# One plan for every integration: a linear warmup into a cosine.
PLAN = lrcore.warmup(lrcore.cosine(start=0.05, end=0.001, steps=200), steps=40)


def assert_float32_contract(applied: Sequence[float], steps: Sequence[int], *, float64: bool) -> None:
    """SPEC 7 for a float32 learning rate: ``float32(reference)`` at every update where the
    backend evaluates in float64; on a float32-only path (JAX's default) at most the plan's
    documented bound (``lrcore.precision.float32_bound``)."""
    applied = np.asarray(applied, dtype=np.float32)
    reference = PLAN.values(np.asarray(steps, dtype=np.int64))
    assert np.all(np.isfinite(applied))
    if float64:
        bad = np.flatnonzero(applied != reference.astype(np.float32))
        assert bad.size == 0, (
            f"float32 differs at updates {bad[:10]}: {applied[bad[:3]]} vs {reference[bad[:3]]}"
        )
    else:
        distance = ulps(reference, applied)
        worst = int(np.argmax(distance))
        assert distance[worst] <= float32_bound(PLAN), f"{distance[worst]} ulps at update {worst}"
