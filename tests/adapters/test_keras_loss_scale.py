"""Updates skipped by Keras' ``LossScaleOptimizer`` (SPEC section 9), on the backend in
``KERAS_BACKEND``: a batch whose gradients are not finite applies no update and does not
advance the schedule; the next applied update gets the next value of the curve.

Keras does this itself: ``LossScaleOptimizer`` calls its inner optimizer only for finite
gradients, and the inner optimizer's ``iterations`` (which the schedule object and the
callback read; ``LossScaleOptimizer.iterations`` returns it on Keras 3.15, while Keras 3.7's
wrapper keeps a count of its own that stays 0) counts the updates it applied. These tests pin that, through the schedule object and the callback.

The probe model of ``lrcore.adapters.keras.runner`` reads table row ``m`` at batch ``m``;
the loss is that entry times the target, 1 on most batches and ``inf`` on the chosen ones,
whose gradient is then infinite (a real non-finite gradient, through the loss scale). An
applied update leaves ``-lr`` in its row (the scaled gradient is a power of two, so
unscaling is exact); a skipped one leaves 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.keras

keras = require("keras")
require(keras.backend.backend())

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras import runner  # noqa: E402

BATCHES = 24
SKIPPED = [0, 5, 6, 11, 17]  # the first batch, two in a row, and others
FLOAT64 = lrk.namespace().bits == 64


def scaled_entry_loss(y_true, y_pred):
    return y_pred * y_true


def train(schedule, how):
    if how == "schedule":
        inner, callbacks = keras.optimizers.SGD(learning_rate=lrk.schedule(schedule)), []
    else:
        inner, callbacks = keras.optimizers.SGD(learning_rate=0.0), [lrk.callback(schedule)]
    optimizer = keras.optimizers.LossScaleOptimizer(inner)
    model = runner.Probe(BATCHES)
    model.compile(optimizer=optimizer, loss=scaled_entry_loss)
    x = np.arange(BATCHES, dtype="int32")
    y = np.ones(BATCHES, dtype="float32")
    y[SKIPPED] = np.inf
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=callbacks)
    return model, optimizer


# Curves that change within the run, so that a schedule advanced by skipped batches shows.
SCHEDULES = {
    "warmup_join_nested": CASES["warmup_join_nested"],
    "linear": CASES["linear"],
    "multistep": lrcore.multistep(start=0.1, milestones=[3, 7, 15], gamma=0.5),
}


@pytest.mark.parametrize("how", ["schedule", "callback"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_skipped_update_does_not_advance_the_schedule(name, how):
    schedule = SCHEDULES[name]
    model, optimizer = train(schedule, how)
    applied = BATCHES - len(SKIPPED)
    assert int(keras.ops.convert_to_numpy(optimizer.inner_optimizer.iterations)) == applied
    # Halved once per skipped batch: Keras did see the non-finite gradients.
    assert float(keras.ops.convert_to_numpy(optimizer.dynamic_scale)) == 2.0**15 / 2 ** len(SKIPPED)

    rows = runner.witness(model)
    taken = np.setdiff1d(np.arange(BATCHES), SKIPPED)
    assert np.all(rows[SKIPPED] == 0.0)
    got, ref = rows[taken], schedule.values(np.arange(applied))  # update j gets schedule(j)
    # The callback sets the variable from the host float64 value: no near-tie allowance.
    float32_only = not FLOAT64 and how == "schedule"
    assert_float32_reference(got, ref, f"{name} {how}", near_ties=float32_only)
    # Not the micro-batch count: had the schedule advanced on skipped batches, these differ.
    assert np.any(schedule.values(taken).astype(np.float32) != ref.astype(np.float32))


def test_the_callback_sets_the_inner_optimizers_learning_rate():
    """``LossScaleOptimizer`` keeps a learning rate variable of its own that no update reads."""
    schedule = lrcore.constant(value=0.25)
    model, optimizer = train(schedule, "callback")
    assert float(keras.ops.convert_to_numpy(optimizer.inner_optimizer.learning_rate)) == 0.25
    assert np.all(runner.witness(model)[np.setdiff1d(np.arange(BATCHES), SKIPPED)] == 0.25)
