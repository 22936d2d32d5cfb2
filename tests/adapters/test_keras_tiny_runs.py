"""Tiny runs through the Keras schedule (SPEC section 8), on the backend in ``KERAS_BACKEND``:
every catalog case with each duration set to 1, 2 and 3 (the matrix of
``tests/core/test_durations.py``), and warmups as long as the whole run, evaluated by
``lrcore.adapters.keras.schedule`` as the train step does: float32(reference) (SPEC 7),
or the core's ConfigError; never NaN or a division by zero.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference
from tests.core import test_durations as durations

pytestmark = pytest.mark.keras

keras = require("keras")
require(keras.backend.backend())

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402

FLOAT64 = lrk.namespace().bits == 64


def through_keras(schedule, ts):
    """The adapter at every step: vectorised (the traced formula) and one call per step
    (what the optimizer does; the host table on eager torch)."""
    adapter = lrk.schedule(schedule)
    vector = keras.ops.convert_to_numpy(adapter(keras.ops.convert_to_tensor(ts, "int32")))
    scalars = [
        float(keras.ops.convert_to_numpy(adapter(keras.ops.convert_to_tensor(t, "int32")))) for t in ts
    ]
    return np.asarray(vector, dtype=np.float64), np.asarray(scalars)


def assert_reference(schedule, ts, what):
    ref = schedule.values(ts)
    for got, how in zip(through_keras(schedule, ts), ("vectorised", "per step"), strict=True):
        assert np.all(np.isfinite(got)), (what, got)
        assert_float32_reference(got, ref, f"{what}, {how}", near_ties=not FLOAT64)


@pytest.mark.parametrize(("name", "n"), durations.TINY)
def test_tiny_runs_through_the_keras_schedule(name, n):
    config = durations.tiny(CASES[name].to_config(), n)
    try:
        schedule = lrcore.from_config(config)
    except lrcore.ConfigError:
        # The core refuses it (tests/core/test_durations.py checks the message); the adapter
        # must refuse the same config the same way, not build something.
        with pytest.raises(lrcore.ConfigError):
            lrk.schedule(config)
        return
    assert_reference(schedule, np.arange(4 * n + 8), f"{name}, durations {n}")


@pytest.mark.parametrize("total", [1, 2, 3])
def test_warmup_as_long_as_the_run_through_the_keras_schedule(total):
    ts = np.arange(total + 3)
    warmup = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1), steps="100%")
    wsd = lrcore.warmup_stable_decay(peak=0.1, warmup="100%", decay=0, total="100%")
    for recipe in (warmup, wsd):
        adapter = lrk.schedule(recipe, total_steps=total)
        assert adapter.schedule == recipe.bind(total_steps=total)
        assert_reference(adapter.schedule, ts, f"{recipe.to_config()['type']}, total {total}")
