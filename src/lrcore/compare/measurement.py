"""How far a backend's applied learning rates are from the float64 reference, under its
bound (SPEC 7). Pure NumPy: no process, no framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backends import Backend
from ..precision import float32_misses
from ..precision import ulps as ulp_distance
from .report import MISMATCH, OK, BackendResult

if TYPE_CHECKING:
    import numpy as np

    from .._schedule import Schedule

WITNESS_RTOL = 1e-4
"""How far (relative) the witness, the learning rate implied by the parameter update, may
stray from the reference. Loose on purpose: it catches a runner that records one rate and
trains with another, not rounding (float32 updates are within about 2e-7)."""


def measure(
    backend: Backend, applied: Any, reference: Any, witness: Any = None, *, schedule: Schedule | None = None
) -> BackendResult:
    """Compare ``applied`` (one value per step) with the float64 ``reference`` under the
    backend's bound (SPEC 7); a float32-only backend's near-tie steps 1 ulp away are
    allowed and counted in ``near_ties``. ``schedule`` is accepted for callers of the first
    release, whose float32 bounds depended on it; every schedule now has the same bound."""
    import numpy as np

    del schedule
    ulps_bound = backend.ulps
    ref = np.asarray(reference, dtype=np.float64)
    result = BackendResult(backend.name, OK, backend.bound, ulps=ulps_bound)
    values = np.asarray(applied, dtype=np.float64).reshape(-1)
    result.applied = values
    if values.shape != ref.shape:
        result.status = MISMATCH
        result.message = (
            f"{backend.name}: the runner reported {values.size} learning rates for {ref.size} steps"
        )
        return result
    if values.size == 0:
        return result
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(values - ref)
        rel = np.where(ref != 0, diff / np.abs(ref), np.where(diff == 0, 0.0, np.inf))
        ulps = ulp_distance(values, ref)
        nan = np.isnan(values)
        result.max_abs = float(np.inf if nan.any() else diff.max())
        result.max_rel = float(np.inf if nan.any() else rel.max())
    result.max_ulps = int(ulps.max())
    if ulps_bound is None:
        differs = values.view(np.uint64) != ref.view(np.uint64)
        over = differs
    elif backend.near_ties:
        differs = ulps > 0
        over, tied = float32_misses(ref, values)
        result.near_ties = int(tied.sum())
    else:
        differs = ulps > 0
        over = ulps > ulps_bound
    result.first_diff = _first(differs)
    result.first_violation = _first(over)
    if witness is not None and len(witness):
        w = np.asarray(witness, dtype=np.float64).reshape(-1)
        if w.shape != ref.shape:
            result.status = MISMATCH
            result.message = (
                f"{backend.name}: the runner reported {w.size} witness values for {ref.size} steps"
            )
            return result
        with np.errstate(invalid="ignore", divide="ignore"):
            wdiff = np.abs(w - ref)
            wrel = np.where(ref != 0, wdiff / np.abs(ref), np.where(wdiff == 0, 0.0, np.inf))
        result.witness_rel = float(np.inf if np.isnan(w).any() else wrel.max())
        result.witness_violation = _first(~(wdiff <= WITNESS_RTOL * np.abs(ref)))  # NaN counts
        result.witness = w
    if result.first_violation is not None or result.witness_violation is not None:
        result.status = MISMATCH
    return result


def _first(mask: np.ndarray) -> int | None:
    import numpy as np

    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None
