"""Keras ``fit`` with ``CSVLogger`` (and ``History``): the lrcore callback and schedule apply
``float32(reference)`` at every update, and ``learning_rate`` reaches the logs.

The probe model is a table of zeros read at the step index with the entry itself as loss:
SGD leaves ``-lr_t`` in entry ``t``, so the trained table witnesses every applied rate.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

import lrcore
from tests.conftest import require
from tests.integrations import PLAN, assert_float32_contract

pytestmark = pytest.mark.integrations

keras = require("keras")
require(keras.backend.backend())
lrk = require("lrcore.adapters.keras")
ops = keras.ops

EPOCHS, PER_EPOCH = 10, 30
UPDATES = EPOCHS * PER_EPOCH
FLOAT64 = lrk.namespace().bits == 64  # Keras evaluates schedules in float64 on this backend


class Table(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(UPDATES,), initializer="zeros", name="w")

    def call(self, t):
        return ops.take(self.w, ops.reshape(t, (-1,)))


def fit(tmp_path, learning_rate, callbacks=()):
    """Train the probe for UPDATES updates; the applied rates and the CSVLogger's rows."""
    inputs = keras.Input(shape=(), dtype="int32")
    model = keras.Model(inputs, Table()(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=lambda _, y: ops.sum(y))
    # One batch per update, each holding its step; a generator runs on across epochs.
    batches = ((np.int32([t]), np.int32([t])) for t in range(UPDATES))
    log = tmp_path / "log.csv"
    history = model.fit(
        batches, steps_per_epoch=PER_EPOCH, epochs=EPOCHS, shuffle=False, verbose=0,
        callbacks=[*callbacks, keras.callbacks.CSVLogger(str(log))],
    )  # fmt: skip
    applied = -ops.convert_to_numpy(model.layers[-1].w)
    with open(log, newline="") as file:
        rows = list(csv.DictReader(file))
    return applied, rows, history


def test_step_callback(tmp_path):
    applied, rows, history = fit(tmp_path, 0.0, [lrk.callback(PLAN, interval="step")])
    assert_float32_contract(applied, range(UPDATES), float64=True)  # the host value, rounded once
    last = [np.float32(PLAN(PER_EPOCH * (e + 1) - 1)) for e in range(EPOCHS)]  # each epoch's last update
    assert [np.float32(row["learning_rate"]) for row in rows] == last
    assert np.float32(history.history["learning_rate"]).tolist() == np.float32(last).tolist()


def test_epoch_callback(tmp_path):
    by_epoch = lrcore.step(start=0.04, gamma=0.5, step_size=3)
    applied, rows, _ = fit(tmp_path, 0.0, [lrk.callback(by_epoch, interval="epoch")])
    expected = np.float32([by_epoch(t // PER_EPOCH) for t in range(UPDATES)])
    np.testing.assert_array_equal(applied, expected)
    assert [np.float32(row["learning_rate"]) for row in rows] == [
        np.float32(by_epoch(e)) for e in range(EPOCHS)
    ]


def test_schedule(tmp_path):
    # Nothing writes learning_rate into the logs on this path yet (only TensorBoard reads it).
    applied, _, _ = fit(tmp_path, lrk.schedule(PLAN))
    assert_float32_contract(applied, range(UPDATES), float64=FLOAT64)
