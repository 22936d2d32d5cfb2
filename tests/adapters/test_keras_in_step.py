"""The per-step callback advances the rate inside the compiled train step
(``lrcore.adapters.keras.in_step``), on the backend in ``KERAS_BACKEND``.

Every test trains with ``model.fit`` on the probe model of ``lrcore.adapters.keras.runner``
(plain SGD leaves ``-lr_t`` in row ``t``) and checks the applied rates step by step
against float32(reference). What is pinned here: Keras' own train step comes back after
the fit (a later fit without the callback is untouched, an earlier native fit does not
hide the schedule), a traced step is reused by later fits with the same plan and retraced
for another plan, JAX's host windows are crossed exactly (also with accumulation and
skipped updates), ``run_eagerly``, and a model saved after such a fit loads without lrcore.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import require

pytestmark = pytest.mark.keras

keras = require("keras")
BACKEND = keras.backend.backend()
require(BACKEND)

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras import in_step, runner  # noqa: E402

LINEAR = lrcore.linear(start=0.1, end=0.001, steps=100)
COSINE = lrcore.cosine(start=0.1, end=0.0, steps=100)


def fit(model, first, count, callbacks=(), **kwargs):
    x, y = runner.step_data(first, count)
    return model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=list(callbacks), **kwargs)


def rows(model, first, count):
    return runner.witness(model)[first : first + count].astype(np.float32)


def expected(schedule, first, count):
    return schedule.values(np.arange(first, first + count)).astype(np.float32)


def assert_keras_own_step(model):
    optimizer = model.optimizer
    assert "apply" not in vars(optimizer)
    assert isinstance(optimizer._learning_rate, keras.Variable)
    assert isinstance(optimizer.get_config()["learning_rate"], float)


def test_keras_own_step_comes_back_after_the_fit():
    model = runner.probe(90, keras.optimizers.SGD(learning_rate=0.0))
    fit(model, 0, 30, [lrk.callback(LINEAR)])
    np.testing.assert_array_equal(rows(model, 0, 30), expected(LINEAR, 0, 30))
    assert_keras_own_step(model)
    # As the per-batch setting left it: the rate of the last update, applied from then on.
    left = np.float32(LINEAR(29))
    assert np.float32(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == left
    fit(model, 30, 30)
    np.testing.assert_array_equal(rows(model, 30, 30), np.full(30, left))
    fit(model, 60, 30, [lrk.callback(LINEAR)])  # continues at t = optimizer.iterations
    np.testing.assert_array_equal(rows(model, 60, 30), expected(LINEAR, 60, 30))
    assert_keras_own_step(model)


def test_a_native_fit_before_does_not_hide_the_schedule():
    """JAX shares traces between ``jit``s of equal bound methods: the callback's step must
    be a function of its own, or it would run Keras' trace (or Keras' would run its)."""
    model = runner.probe(60, keras.optimizers.SGD(learning_rate=0.5))
    fit(model, 0, 20)
    np.testing.assert_array_equal(rows(model, 0, 20), np.full(20, np.float32(0.5)))
    fit(model, 20, 20, [lrk.callback(COSINE)])
    np.testing.assert_array_equal(rows(model, 20, 20), expected(COSINE, 20, 20))
    fit(model, 40, 20)
    np.testing.assert_array_equal(rows(model, 40, 20), np.full(20, np.float32(COSINE(39))))


class TrainFunctions(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.seen.append(self.model.train_function)


def test_a_traced_step_is_reused_for_the_same_plan_and_retraced_for_another():
    model = runner.probe(60, keras.optimizers.SGD(learning_rate=0.0))
    seen = TrainFunctions()
    fit(model, 0, 20, [lrk.callback(LINEAR), seen])
    fit(model, 20, 20, [lrk.callback(LINEAR), seen])  # a new callback, the same plan
    fit(model, 40, 20, [lrk.callback(COSINE), seen])
    assert seen.seen[0] is seen.seen[1] and seen.seen[2] is not seen.seen[0]
    np.testing.assert_array_equal(rows(model, 0, 40), expected(LINEAR, 0, 40))
    np.testing.assert_array_equal(rows(model, 40, 20), expected(COSINE, 40, 20))


@pytest.mark.parametrize("k", [1, 2])  # a power of 2: the witness divides exactly
def test_windows_are_crossed_exactly(monkeypatch, k):
    """Short JAX windows (5 steps): every boundary crossed, with gradient accumulation too
    (the window counts updates, ``iterations // k``). Other backends: the same run."""
    monkeypatch.setattr(in_step, "WINDOW", 5)
    updates = 23
    optimizer = keras.optimizers.SGD(learning_rate=0.0, gradient_accumulation_steps=k if k > 1 else None)
    model = runner.probe(updates * k, optimizer)
    fit(model, 0, updates * k, [lrk.callback(COSINE)])
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == updates
    applied = (runner.witness(model) * k).reshape(updates, k)[:, 0].astype(np.float32)
    np.testing.assert_array_equal(applied, expected(COSINE, 0, updates))


def test_windows_with_skipped_updates(monkeypatch):
    """A ``LossScaleOptimizer`` skipping updates (non-finite gradients) across windows."""
    monkeypatch.setattr(in_step, "WINDOW", 4)
    batches, skipped = 24, [0, 3, 4, 5, 6, 11, 17]
    model = runner.Probe(batches)
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate=0.0))
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: y_pred * y_true)
    y = np.ones(batches, dtype="float32")
    y[skipped] = np.inf
    x = np.arange(batches, dtype="int32")
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=[lrk.callback(COSINE)])
    taken = np.setdiff1d(np.arange(batches), skipped)
    witness = runner.witness(model)
    assert np.all(witness[skipped] == 0.0)
    np.testing.assert_array_equal(witness[taken].astype(np.float32), expected(COSINE, 0, taken.size))


def test_run_eagerly():
    model = runner.Probe(20)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=runner.entry_loss, run_eagerly=True)
    history = fit(model, 0, 20, [lrk.callback(COSINE)])
    np.testing.assert_array_equal(rows(model, 0, 20), expected(COSINE, 0, 20))
    assert history.history["learning_rate"] == [float(np.float32(COSINE(19)))]
    assert_keras_own_step(model)


def test_a_model_saved_after_the_fit_loads_without_lrcore(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    x = np.ones((16, 2), "float32")
    model.fit(x, x[:, :1], batch_size=1, verbose=0, callbacks=[lrk.callback(COSINE)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    script = (
        "import sys, keras\n"
        f"m = keras.models.load_model({path!r})\n"
        "assert not any(name.startswith('lrcore') for name in sys.modules), 'lrcore was imported'\n"
        "print(m.optimizer.get_config()['learning_rate'], int(m.optimizer.iterations.numpy()))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lr, iterations = out.stdout.split()
    assert (float(lr), int(iterations)) == (float(np.float32(COSINE(15))), 16)


class Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 4:
            raise KeyboardInterrupt


def test_a_fit_stopped_by_an_exception_is_undone_by_the_next_fit_with_the_callback():
    model = runner.probe(40, keras.optimizers.SGD(learning_rate=0.0))
    with pytest.raises(KeyboardInterrupt):
        fit(model, 0, 10, [lrk.callback(LINEAR), Interrupt()])
    try:
        first = rows(model, 0, 5)
    except TypeError:  # the model itself is lost, whatever the callback does
        pytest.skip("Keras 3.7 on JAX leaves an interrupted fit's variables purged (no state synced back)")
    np.testing.assert_array_equal(first, expected(LINEAR, 0, 5))
    fit(model, 5, 15, [lrk.callback(LINEAR)])
    np.testing.assert_array_equal(rows(model, 5, 15), expected(LINEAR, 5, 15))
    assert_keras_own_step(model)
    fit(model, 20, 20)  # Keras' own step: the rate the callback left
    np.testing.assert_array_equal(rows(model, 20, 20), np.full(20, np.float32(LINEAR(19))))
