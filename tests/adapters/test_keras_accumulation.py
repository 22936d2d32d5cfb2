"""Gradient accumulation in Keras (SPEC sections 3 and 9): with
``gradient_accumulation_steps=k`` on the optimizer, and stated nowhere else, every real
update ``j`` applies ``schedule(j)``, for every catalog type, k = 1, 2 and 4, through the
schedule object and through the callback, in real ``model.fit`` loops on the backend in
``KERAS_BACKEND``.

The witness is the probe model of ``lrcore.adapters.keras.runner``: micro-batch ``m``
reads table row ``m`` (gradient exactly 1 there), so update ``j`` averages rows
``j*k .. j*k + k - 1`` and plain SGD leaves ``-lr_j / k`` in each of them: ``-k * table``
holds the learning rate of every real update, exactly (k is a power of two). k = 1 (no
accumulation) is the loop of every catalog case in ``test_keras.py``; here it runs once per
path as the control.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.keras

keras = require("keras")
BACKEND = keras.backend.backend()
require(BACKEND)

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras import runner  # noqa: E402

UPDATES = 16
ACCUMULATION = (1, 2, 4)
# The catalog loops: k = 1 runs for every case in test_keras.py already.
CATALOG = [pytest.param(name, k, id=f"{name}-{k}") for name in sorted(CASES) for k in (2, 4)] + [
    pytest.param("warmup_join_nested", 1, id="warmup_join_nested-1")
]
FLOAT64 = lrk.namespace().bits == 64
# Micro-batches per compiled execution for the schedule object (torch runs them one by one).
EXECUTION = {"tensorflow": 16, "jax": 8}.get(BACKEND, 1)


def sgd(learning_rate, k):
    return keras.optimizers.SGD(learning_rate=learning_rate, gradient_accumulation_steps=k if k > 1 else None)


def fit(model, micro_batches, callbacks=()):
    x, y = runner.step_data(0, micro_batches)
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=list(callbacks))


def applied(model, k):
    """The learning rate of each real update (one per ``k`` rows, all ``k`` rows equal)."""
    rows = (runner.witness(model) * k)[: UPDATES * k].reshape(UPDATES, k)
    assert np.all(rows == rows[:, :1]), "the rows of one update moved by different amounts"
    return rows[:, 0]


def assert_within_spec(got, schedule, what, exact=False):
    """SPEC 7: float32(reference) at every update; 1 ulp allowed at near ties where the
    value is computed in float32 (JAX), none where it is computed in float64 or set from
    the host (``exact``)."""
    ref = schedule.values(np.arange(UPDATES))
    assert_float32_reference(got, ref, f"{what} on {BACKEND}", near_ties=not (exact or FLOAT64))


@pytest.mark.parametrize(("name", "k"), CATALOG)
def test_schedule_object_counts_real_updates(name, k):
    schedule = CASES[name]
    optimizer = sgd(lrk.schedule(schedule), k)
    model = runner.probe(UPDATES * k, optimizer, EXECUTION)
    fit(model, UPDATES * k)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == UPDATES
    assert_within_spec(applied(model, k), schedule, f"{name}, k={k}")


@pytest.fixture(scope="module")
def callback_models():
    """One compiled probe per k for every catalog case (the schedule lives in the callback)."""
    return {k: runner.probe(UPDATES * k, sgd(0.0, k)) for k in ACCUMULATION}


@pytest.mark.parametrize(("name", "k"), CATALOG)
def test_callback_counts_real_updates(callback_models, name, k):
    schedule = CASES[name]
    model = callback_models[k]
    model.table.assign(np.zeros(model.rows, dtype="float32"))
    model.optimizer._iterations.assign(0)  # the accumulators are zero after a whole update
    fit(model, UPDATES * k, [lrk.callback(schedule)])
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == UPDATES
    # The callback sets the variable from the host float64 value: exact on every backend.
    assert_within_spec(applied(model, k), schedule, f"callback {name}, k={k}", exact=True)


def test_the_schedule_stating_the_same_accumulation_divides_once():
    """Saved models and old code may carry the setting on the schedule too."""
    schedule = lrcore.linear(start=0.1, end=0.0, steps=UPDATES)
    model = runner.probe(UPDATES * 2, sgd(lrk.schedule(schedule, gradient_accumulation_steps=2), 2))
    fit(model, UPDATES * 2)
    assert_within_spec(applied(model, 2), schedule, "k stated twice")


def test_a_schedule_stating_another_accumulation_is_refused():
    schedule = lrcore.linear(start=0.1, end=0.0, steps=UPDATES)
    model = runner.probe(8, sgd(lrk.schedule(schedule, gradient_accumulation_steps=2), 4))
    # Raised while the train step is traced; TensorFlow's cond wraps it in a RuntimeError.
    with pytest.raises(
        (lrcore.ConfigError, RuntimeError), match=r"gradient_accumulation_steps: .*own value \(4\)"
    ):
        fit(model, 8)


def test_a_step_given_by_hand_is_never_divided():
    """Only the optimizer's own micro-batch counter is recognised: a step passed by a user
    (here the optimizer's public, already divided ``iterations``) is taken as it is."""
    schedule = lrcore.linear(start=0.1, end=0.0, steps=UPDATES)
    adapter = lrk.schedule(schedule)
    optimizer = sgd(adapter, 4)
    model = runner.probe(4 * 5, optimizer)
    fit(model, 4 * 5)
    reported = float(keras.ops.convert_to_numpy(adapter(optimizer.iterations)))
    assert reported == float(np.float32(schedule(5)))
    # optimizer.learning_rate: Keras evaluates it at its micro-batch counter (20): update 5.
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == float(np.float32(schedule(5)))
