"""The Keras adapter on the backend in ``KERAS_BACKEND`` (one process per backend).

Every test trains for real with ``model.fit`` and reads the learning rate that was
applied. The probe model (``lrcore.adapters.keras.runner.Probe``) is a zero table read
at the step index with the entry itself as loss: plain SGD leaves ``-lr_t`` in row ``t``,
so the table after ``fit`` witnesses every applied learning rate exactly. SPEC 7:
float32(reference) at every step, where Keras computes in float64 (TensorFlow, torch, JAX
with x64) and on JAX in float32 (double-float pairs: 1 ulp allowed at near ties only).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

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
import lrcore.checkpoint  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras import runner  # noqa: E402

STEPS = 2000
FLOAT64 = lrk.namespace().bits == 64
# Updates per compiled execution for the schedule object (torch must run them one by one).
EXECUTION = {"tensorflow": 500, "jax": 50}.get(BACKEND, 1)


def assert_conforms(got, ref, what):
    assert_float32_reference(got, ref, f"{what} on {BACKEND}", near_ties=not FLOAT64)


class AppliedRecorder(keras.callbacks.Callback):
    """The learning rate variable at every batch start (after lrcore's callback set it),
    with the step it is for."""

    def __init__(self):
        super().__init__()
        self.steps, self.values = [], []

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.steps.append(int(keras.ops.convert_to_numpy(optimizer.iterations)))
        self.values.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))


def fit(model, first, count, **kwargs):
    x, y = runner.step_data(first, count)
    return model.fit(x, y, batch_size=1, shuffle=False, verbose=0, **kwargs)


# -- the schedule object --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_applied_in_fit(name):
    schedule = CASES[name]
    optimizer = keras.optimizers.SGD(learning_rate=lrk.schedule(schedule))
    model = runner.probe(STEPS, optimizer, EXECUTION)
    fit(model, 0, STEPS)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == STEPS
    ts = np.arange(STEPS)
    assert_conforms(runner.witness(model), schedule.values(ts), f"{name}: weight change")
    # What Keras reports as optimizer.learning_rate: the same object at the iterations.
    reported = keras.ops.convert_to_numpy(optimizer._learning_rate(keras.ops.convert_to_tensor(ts, "int32")))
    assert_conforms(reported, schedule.values(ts), f"{name}: optimizer.learning_rate")
    assert_conforms(
        [float(keras.ops.convert_to_numpy(optimizer.learning_rate))],
        schedule.values([STEPS]),
        f"{name}: learning_rate after fit",
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_evaluation_matches_reference(name):
    """The keras.ops formula itself, vectorised, even where fit reads a host table
    (eager torch): the path torch.compile and the other backends trace."""
    schedule = CASES[name]
    ts = np.arange(0, 3 * STEPS, 7)
    got = keras.ops.convert_to_numpy(
        lrk.schedule(schedule).evaluate(keras.ops.convert_to_tensor(ts, "int32"))
    )
    assert got.dtype == np.float32
    assert_conforms(got, schedule.values(ts), name)


def test_namespace_keeps_its_dtypes():
    xp = lrk.namespace()
    t = xp.as_int(np.array([3, 9]))
    f = xp.to_float(t)
    results = {
        "where": xp.where(t > 4, f, 1.0),
        "minimum": xp.minimum(f, 2.0),
        "maximum": xp.maximum(t, 5),
        "floordiv": xp.floordiv(t, 2),
        "mod": xp.mod(t, 2),
        "sin": xp.sin(f),
        "exp": xp.exp(f),
        "sqrt": xp.sqrt(f),
        "pow": xp.pow(f, 1.5),
        "fill": xp.fill(t, 0.25),
        "take": xp.take(np.arange(10.0), t),
        "take_int": xp.take(np.arange(10), t),
        "scalars": xp.where(t > 4, 1, 0),
        "operators": f * 0.5 + 1.0,
    }
    dtypes = {name: keras.backend.standardize_dtype(v.dtype) for name, v in results.items()}
    want_f, want_i = f"float{xp.bits}", f"int{xp.bits}"
    for name, dtype in dtypes.items():
        assert dtype == (
            want_i if name in ("maximum", "floordiv", "mod", "take_int", "scalars") else want_f
        ), dtypes
    assert keras.ops.convert_to_numpy(xp.maximum(t, 5)).tolist() == [5, 9]
    assert keras.ops.convert_to_numpy(xp.floordiv(t, 2)).tolist() == [1, 4]


def test_gradient_accumulation_counts_updates():
    """k stated once, on the optimizer (more in test_keras_accumulation.py)."""
    schedule = lrcore.linear(start=0.1, end=0.0, steps=100)
    optimizer = keras.optimizers.SGD(learning_rate=lrk.schedule(schedule), gradient_accumulation_steps=2)
    model = runner.probe(200, optimizer)
    fit(model, 0, 200)
    # Update k averages micro-batches 2k and 2k+1: each row moves by lr(k) / 2.
    expected = np.repeat(schedule.values(np.arange(100)), 2) / 2
    assert_conforms(runner.witness(model), expected, "gradient accumulation")


# -- serialization ----------------------------------------------------------------------


def test_config_round_trip():
    schedule = CASES["warmup_join_nested"]
    adapter = lrk.schedule(schedule)
    config = keras.optimizers.schedules.serialize(adapter)
    assert config["registered_name"] == "lrcore>KerasSchedule"
    assert config["config"]["schedule"] == schedule.to_config()
    json.dumps(config)
    assert keras.optimizers.schedules.deserialize(config) == adapter
    assert lrk.schedule(schedule.to_config()) == adapter


def test_save_and_load_model(tmp_path):
    schedule = CASES["cosine_restarts"]
    model = runner.probe(300, keras.optimizers.SGD(learning_rate=lrk.schedule(schedule)))
    fit(model, 0, 100)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects: the class is registered
    assert loaded.optimizer._learning_rate == lrk.schedule(schedule)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 100
    np.testing.assert_array_equal(runner.witness(loaded), runner.witness(model))


def test_load_in_a_fresh_process(tmp_path):
    """A new process needs only ``import lrcore.adapters.keras`` (the Probe model is the
    runner's own custom class, hence that import)."""
    schedule = CASES["warmup"]
    model = runner.probe(10, keras.optimizers.SGD(learning_rate=lrk.schedule(schedule)))
    fit(model, 0, 10)
    path = str(tmp_path / "m.keras")
    model.save(path)
    code = (
        "import keras, lrcore.adapters.keras.runner, json, sys\n"
        f"m = keras.models.load_model({path!r})\n"
        "print(json.dumps(m.optimizer._learning_rate.get_config()))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": BACKEND}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "schedule": schedule.to_config(),
        "lrcore_format": lrcore.checkpoint.FORMAT,
    }


@pytest.mark.parametrize(
    ("make", "registered", "old_module"),
    [
        (lambda s: lrk.schedule(s), "lrcore>KerasSchedule", "lrcore.adapters.keras"),
        (
            lambda s: lrk.plateau_schedule(lrcore.plateau(s)),
            "lrcore>PlateauSchedule",
            "lrcore.adapters._plateau_keras",
        ),
    ],
)
def test_saved_before_the_adapter_became_a_package_still_loads(make, registered, old_module):
    """Keras finds a third-party class by its registered name, never by its module: files saved
    when the adapters were flat modules (``old_module``) load as long as the names are kept."""
    schedule = make(lrcore.cosine(start=0.1, end=0.0, steps=100))
    saved = keras.saving.serialize_keras_object(schedule)
    assert saved["registered_name"] == registered
    assert saved["module"].startswith("lrcore.adapters.keras.")
    loaded = keras.saving.deserialize_keras_object({**saved, "module": old_module})
    assert type(loaded) is type(schedule) and loaded.get_config() == schedule.get_config()


@pytest.mark.parametrize("how", ["schedule", "callback-step", "callback-epoch"])
def test_resume_from_checkpoint_continues_the_curve(tmp_path, how):
    schedule = CASES["warmup_join_nested"]
    per_epoch, epochs = 100, 6
    if how == "callback-epoch":
        schedule = lrcore.cosine(start=0.1, end=0.001, steps=5)
    expected_curve = lrcore.per_epoch(schedule, per_epoch) if how == "callback-epoch" else schedule

    def callbacks():
        return [lrk.callback(schedule, interval=how.split("-")[1])] if how != "schedule" else []

    lr = lrk.schedule(schedule) if how == "schedule" else 0.0
    model = runner.probe(per_epoch * epochs, keras.optimizers.SGD(learning_rate=lr))
    x, y = runner.step_data(0, per_epoch * epochs)
    model.fit(
        x[: per_epoch * 3],
        y[: per_epoch * 3],
        batch_size=1,
        epochs=3,
        steps_per_epoch=per_epoch,
        shuffle=False,
        verbose=0,
        callbacks=callbacks(),
    )
    path = str(tmp_path / "checkpoint.keras")
    model.save(path)
    resumed = keras.models.load_model(path)
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == per_epoch * 3
    resumed.fit(
        x[per_epoch * 3 :],
        y[per_epoch * 3 :],
        batch_size=1,
        epochs=epochs,
        initial_epoch=3,
        steps_per_epoch=per_epoch,
        shuffle=False,
        verbose=0,
        callbacks=callbacks(),
    )
    ts = np.arange(per_epoch * epochs)
    assert_conforms(runner.witness(resumed), expected_curve.values(ts), f"resumed {how}")


# -- the callback -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def callback_model():
    """One compiled probe for every callback case (the schedule lives in the callback,
    not in the compiled step); each test resets its weights and optimizer."""
    return runner.probe(STEPS, keras.optimizers.SGD(learning_rate=0.0))


def reset(model):
    model.table.assign(np.zeros(model.rows, dtype="float32"))
    model.optimizer.iterations.assign(0)
    model.optimizer.learning_rate = 0.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_callback_per_step(callback_model, name):
    schedule = CASES[name]
    model = callback_model
    reset(model)
    recorder = AppliedRecorder()
    history = fit(model, 0, STEPS, callbacks=[lrk.callback(schedule), recorder])
    ts = np.arange(STEPS)
    assert recorder.steps == list(range(STEPS))
    # The host reference rounded once to the float32 variable: float32 equality on every backend.
    ref = schedule.values(ts)
    np.testing.assert_array_equal(np.float32(recorder.values), ref.astype(np.float32), err_msg=name)
    np.testing.assert_array_equal(
        runner.witness(model).astype(np.float32), ref.astype(np.float32), err_msg=name
    )
    assert history.history["learning_rate"] == [float(np.float32(ref[-1]))]


@pytest.mark.parametrize("name", ["per_epoch", "epoch_cosine", "epoch_warmup"])
def test_callback_per_epoch(name):
    schedule = {
        "per_epoch": CASES["per_epoch"].schedule,
        "epoch_cosine": lrcore.cosine(start=0.1, end=0.0, steps=15),
        "epoch_warmup": lrcore.warmup(lrcore.exponential(start=0.1, rate=0.7), steps=3),
    }[name]
    per_epoch, epochs = 100, 20
    model = runner.probe(
        per_epoch * epochs, keras.optimizers.SGD(learning_rate=0.0), math.gcd(per_epoch, EXECUTION)
    )
    x, y = runner.step_data(0, per_epoch * epochs)
    history = model.fit(
        x,
        y,
        batch_size=1,
        epochs=epochs,
        steps_per_epoch=per_epoch,
        shuffle=False,
        verbose=0,
        callbacks=[lrk.callback(schedule, interval="epoch")],
    )
    ts = np.arange(per_epoch * epochs)
    expected = lrcore.per_epoch(schedule, per_epoch).values(ts)
    np.testing.assert_array_equal(runner.witness(model).astype(np.float32), expected.astype(np.float32))
    logged = np.float32(history.history["learning_rate"])
    np.testing.assert_array_equal(logged, schedule.values(np.arange(epochs)).astype(np.float32))


def test_callback_logs_reach_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    model = runner.probe(40, keras.optimizers.SGD(learning_rate=0.0))
    schedule = lrcore.step(start=0.1, gamma=0.5, step_size=10)
    fit(
        model,
        0,
        40,
        epochs=2,
        steps_per_epoch=20,
        callbacks=[lrk.callback(schedule), keras.callbacks.CSVLogger(str(path))],
    )
    rows = path.read_text().splitlines()
    column = rows[0].split(",").index("learning_rate")
    assert [float(r.split(",")[column]) for r in rows[1:]] == [
        float(np.float32(0.05)),
        float(np.float32(0.0125)),
    ]


@pytest.mark.parametrize("accumulation", [None, 2])
def test_the_schedule_object_logs_learning_rate_with_the_logger(tmp_path, accumulation):
    """Keras 3 logs no learning rate for a LearningRateSchedule; LearningRateLogger writes
    the rate of each epoch's last applied update, as the callback does."""
    k = accumulation or 1
    path = tmp_path / "log.csv"
    schedule = lrcore.linear(start=0.1, end=0.0, steps=40)
    optimizer = keras.optimizers.SGD(
        learning_rate=lrk.schedule(schedule), gradient_accumulation_steps=accumulation
    )
    model = runner.probe(40 * k, optimizer)
    history = fit(
        model,
        0,
        40 * k,
        epochs=2,
        steps_per_epoch=20 * k,
        callbacks=[lrk.LearningRateLogger(), keras.callbacks.CSVLogger(str(path))],
    )
    expected = [float(np.float32(schedule(19))), float(np.float32(schedule(39)))]
    assert history.history["learning_rate"] == expected
    rows = path.read_text().splitlines()
    column = rows[0].split(",").index("learning_rate")
    assert [float(r.split(",")[column]) for r in rows[1:]] == expected


def test_callback_verbose_prints(capsys):
    model = runner.probe(20, keras.optimizers.SGD(learning_rate=0.0))
    schedule = lrcore.step(start=0.1, gamma=0.5, step_size=1)
    fit(
        model,
        0,
        20,
        epochs=2,
        steps_per_epoch=10,
        callbacks=[lrk.callback(schedule, interval="epoch", verbose=1)],
    )
    out = capsys.readouterr().out
    assert "Epoch 1: lrcore setting learning rate to 0.1" in out
    assert "Epoch 2: lrcore setting learning rate to 0.05" in out


def test_callback_refuses_an_optimizer_holding_a_schedule():
    schedule = lrcore.constant(value=0.1)
    model = runner.probe(4, keras.optimizers.SGD(learning_rate=lrk.schedule(schedule)))
    with pytest.raises(TypeError, match="already holds a schedule"):
        fit(model, 0, 4, callbacks=[lrk.callback(schedule)])
    native = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model = runner.probe(4, keras.optimizers.SGD(learning_rate=native))
    with pytest.raises(TypeError, match="ExponentialDecay"):
        fit(model, 0, 4, callbacks=[lrk.callback(schedule, interval="epoch")])


@pytest.mark.parametrize("as_config", [False, True])
def test_a_plateau_is_refused_at_construction_pointing_to_plateau_callback(as_config):
    plateau = lrcore.plateau(lrcore.cosine(start=0.1, end=0.0, steps=100), patience=2)
    value = plateau.to_config() if as_config else plateau
    for make in (lrk.schedule, lrk.callback):
        with pytest.raises(
            lrcore.ConfigError, match=r"^schedule: .*lrcore\.adapters\.keras\.plateau_callback"
        ):
            make(value)


def test_callback_arguments():
    with pytest.raises(ValueError, match="interval"):
        lrk.callback(lrcore.constant(value=0.1), interval="batch")
    with pytest.raises(lrcore.ConfigError):
        lrk.callback({"type": "cosine", "start": 0.1})
    if BACKEND != "torch":  # torch has no steps_per_execution
        model = runner.probe(4, keras.optimizers.SGD(learning_rate=0.0), steps_per_execution=2)
        with pytest.raises(ValueError, match="steps_per_execution"):
            fit(model, 0, 4, callbacks=[lrk.callback(lrcore.constant(value=0.1))])


# -- the conformance runner ----------------------------------------------------------------


@pytest.mark.parametrize("steps_per_epoch", [None, 64])
def test_runner(steps_per_epoch):
    schedule = CASES["one_cycle"]
    result = runner.run(schedule.to_config(), 1000, steps_per_epoch=steps_per_epoch)
    expected = schedule if steps_per_epoch is None else lrcore.per_epoch(schedule, steps_per_epoch)
    ref = expected.values(np.arange(1000))
    assert_conforms(result["applied"], ref, "runner applied")
    assert_conforms(result["witness"], ref, "runner witness")


# -- durations (SPEC section 8) -------------------------------------------------------

RECIPE = lrcore.warmup(
    lrcore.join(
        [lrcore.cosine(start=0.1, end=0.001, steps="8ep"), lrcore.constant(value=0.001)], boundaries=["8ep"]
    ),
    steps="5%",
)


@pytest.mark.parametrize("kind", ["schedule", "callback"])
def test_a_recipe_with_durations_is_bound_by_the_adapter(kind):
    steps_per_epoch, total = 20, 200
    bound = RECIPE.bind(total_steps=total, steps_per_epoch=steps_per_epoch)
    bind = {"total_steps": total, "steps_per_epoch": steps_per_epoch}
    if kind == "schedule":
        lr, callbacks = lrk.schedule(RECIPE, **bind), []
        assert lr.schedule == bound
    else:
        lr, callbacks = 0.5, [lrk.callback(RECIPE, **bind)]
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    model = runner.probe(total, optimizer, 1)
    fit(model, 0, total, callbacks=callbacks)
    assert_conforms(runner.witness(model), bound.values(np.arange(total)), f"{kind}: weight change")


def test_an_unbound_recipe_is_refused_when_the_adapter_is_built():
    for build in (lrk.schedule, lrk.callback):
        with pytest.raises(lrcore.ConfigError, match="steps_per_epoch"):
            build(RECIPE, total_steps=100)
        with pytest.raises(lrcore.ConfigError, match="total_steps"):
            build(RECIPE, steps_per_epoch=10)
