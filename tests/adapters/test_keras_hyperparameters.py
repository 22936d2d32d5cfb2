"""Momentum, beta1 and weight decay driven by lrcore schedules in Keras ``model.fit``
(SPEC section 9), on the backend in ``KERAS_BACKEND``.

The model is one weight ``w`` (``Dense(1)`` without bias, input 1) whose loss is its
output, so every gradient is exactly 1. The callback sets the hyperparameter variable
before each batch; a recorder after it reads the value the update uses, which must be
float32(reference); the weight after every update must follow the optimizer's update
rule (written out here in float64) with exactly those values, which shows that each value
reached the compiled step. JAX is refused with a clear error (see
``lrcore.adapters.keras.hyperparameters``).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import require

pytestmark = pytest.mark.keras

keras = require("keras")
BACKEND = keras.backend.backend()
require(BACKEND)

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras.runner import entry_loss  # noqa: E402

STEPS = 12
LR = lrcore.cosine(start=0.1, end=0.01, steps=STEPS)
SCHEDULES = {
    "momentum": lrcore.linear(start=0.95, end=0.5, steps=10),
    "beta1": lrcore.linear(start=0.9, end=0.6, steps=10),
    "weight_decay": lrcore.step(start=0.5, gamma=0.5, step_size=3),
}
OPTIMIZERS = {
    "momentum": lambda: keras.optimizers.SGD(learning_rate=0.0, momentum=0.9),
    "beta1": lambda: keras.optimizers.Adam(learning_rate=0.0, beta_1=0.9, beta_2=0.99, epsilon=1e-7),
    "weight_decay": lambda: keras.optimizers.SGD(learning_rate=0.0, weight_decay=0.1),
}
ATTRIBUTE = {"momentum": "momentum", "beta1": "beta_1", "weight_decay": "weight_decay"}
needs_graph_capture = pytest.mark.skipif(BACKEND == "jax", reason="refused on JAX (tested below)")


class Recorder(keras.callbacks.Callback):
    """After lrcore's callback: the hyperparameter before each update, the weight after."""

    def __init__(self, attribute):
        super().__init__()
        self.attribute, self.values, self.weights = attribute, [], []

    def on_train_batch_begin(self, batch, logs=None):
        value = getattr(self.model.optimizer, self.attribute)
        self.values.append(float(keras.ops.convert_to_numpy(value)))

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(float(keras.ops.convert_to_numpy(self.model.weights[0])[0, 0]))


def train(optimizer, callback, recorder=None):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")]
    )
    model.compile(optimizer=optimizer, loss=entry_loss)
    x, y = np.ones((STEPS, 1), "float32"), np.zeros((STEPS, 1), "float32")
    callbacks = [callback] + ([recorder] if recorder else [])
    model.fit(x, y, batch_size=1, shuffle=False, verbose=0, callbacks=callbacks)
    return model


def expected_weights(name, lr, h):
    """The optimizer's update rule (Keras 3 SGD / Adam), gradient 1, in float64."""
    w, m, v, out = 1.0, 0.0, 0.0, []
    for t in range(STEPS):
        if name == "momentum":  # m = mu * m - lr * g; w += m
            m = h[t] * m - lr[t]
            w += m
        elif name == "weight_decay":  # w -= w * wd * lr, then w -= lr * g
            w -= w * h[t] * lr[t]
            w -= lr[t]
        else:  # Adam with the current beta_1 in its bias correction
            b1, b2, eps = h[t], 0.99, 1e-7
            alpha = lr[t] * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
            m += (1.0 - m) * (1 - b1)
            v += (1.0 - v) * (1 - b2)
            w -= m * alpha / (np.sqrt(v) + eps)
        out.append(w)
    return np.asarray(out)


@needs_graph_capture
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_a_scheduled_hyperparameter_reaches_every_update(name):
    schedule = SCHEDULES[name]
    recorder = Recorder(ATTRIBUTE[name])
    train(OPTIMIZERS[name](), lrk.callback(LR, **{name: schedule}), recorder)
    ts = np.arange(STEPS)
    used = np.asarray(recorder.values)
    np.testing.assert_array_equal(used, schedule.values(ts).astype(np.float32))
    lr = LR.values(ts).astype(np.float32).astype(np.float64)
    want = expected_weights(name, lr, used)
    np.testing.assert_allclose(recorder.weights, want, rtol=2e-6, atol=1e-7)
    # The curve changed something: the constant first value gives other weights.
    constant = expected_weights(name, lr, np.full(STEPS, used[0]))
    assert not np.allclose(constant, want, rtol=1e-5)


@needs_graph_capture
def test_the_optimizer_saves_and_loads_as_before(tmp_path):
    """The variable stays out of the optimizer's tracked state: a checkpoint written while
    it drives momentum loads into a fresh optimizer, iterations included."""
    model = train(OPTIMIZERS["momentum"](), lrk.callback(LR, momentum=SCHEDULES["momentum"]))
    assert not any(isinstance(v, lrk.HyperparameterVariable) for v in model.optimizer.variables)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == STEPS
    assert loaded.optimizer.momentum == 0.9


def test_refusals_name_the_optimizer_and_the_hyperparameter():
    if BACKEND == "jax":
        with pytest.raises(lrcore.ConfigError, match=r"^momentum: .*jax.*SGD\.momentum"):
            train(OPTIMIZERS["momentum"](), lrk.callback(LR, momentum=SCHEDULES["momentum"]))
        return
    with pytest.raises(lrcore.ConfigError, match=r"^beta1: .*beta_1 \(keras\.optimizers\.SGD has none\)"):
        train(OPTIMIZERS["momentum"](), lrk.callback(LR, beta1=SCHEDULES["beta1"]))
    with pytest.raises(lrcore.ConfigError, match=r"^momentum: .*momentum > 0"):
        train(keras.optimizers.SGD(learning_rate=0.0), lrk.callback(LR, momentum=SCHEDULES["momentum"]))


@pytest.fixture
def paired(monkeypatch):
    """A learning-rate schedule carrying a momentum schedule, as ``one_cycle`` with
    ``cycle_momentum`` does through ``Schedule.hyperparameters()``."""
    monkeypatch.setattr(type(LR), "hyperparameters", lambda self: {"momentum": SCHEDULES["momentum"]})
    return LR


@needs_graph_capture
def test_the_paired_momentum_of_a_schedule_is_applied_by_the_callback(paired):
    recorder = Recorder("momentum")
    train(OPTIMIZERS["momentum"](), lrk.callback(paired), recorder)
    np.testing.assert_array_equal(
        recorder.values, SCHEDULES["momentum"].values(np.arange(STEPS)).astype(np.float32)
    )


def test_the_schedule_object_warns_that_it_drops_the_paired_momentum(paired):
    with pytest.warns(UserWarning, match=r"learning rate only; this schedule also drives momentum"):
        lrk.schedule(paired)
