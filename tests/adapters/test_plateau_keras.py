"""The Keras plateau callback in real ``model.fit`` runs, on the current Keras backend
(nox runs this file under TensorFlow, JAX and torch), against the float64 host reference
(pinned to torch's ReduceLROnPlateau by tests/adapters/test_plateau_torch.py).

The learning rate is recorded *inside* the train step (an SGD that stores the rate it
applies in an optimizer variable), so a stale compiled step would be caught.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require
from tests.contract import assert_float32_reference
from tests.core.test_plateau import INNERS, grid_cases, reference_lrs

pytestmark = pytest.mark.keras

keras = require("keras")
ops = keras.ops

import lrcore  # noqa: E402
from lrcore._plateau import Plateau  # noqa: E402
from lrcore.adapters.keras import PlateauSchedule, plateau_callback  # noqa: E402

BATCHES = 3  # updates per epoch


def float64_backend() -> bool:
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


def assert_meets_contract(applied, reference, plain: bool) -> None:
    """SPEC 7: float32(reference) at every update. A plain plateau's rate is its level, looked
    up from the float64 chain: exact; a schedule scaled by the level is computed in float32
    pairs without x64 (1 ulp allowed at near ties)."""
    assert_float32_reference(applied, reference, "plateau", near_ties=not (float64_backend() or plain))


@keras.saving.register_keras_serializable(package="lrcore_tests")
class RecordingSGD(keras.optimizers.SGD):
    """SGD that keeps the learning rate of its last update in an optimizer variable."""

    def build(self, variables):
        super().build(variables)
        self.applied = self.add_variable(shape=(), dtype="float32", initializer="zeros", name="applied_lr")

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        self.applied.assign(ops.cast(learning_rate, "float32"))
        super()._backend_update_step(grads, trainable_variables, learning_rate)


class Record(keras.callbacks.Callback):
    def __init__(self, metrics):
        super().__init__()
        self.metrics = metrics
        self.applied = []

    def on_train_batch_end(self, batch, logs=None):
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()
        self.applied.append(float(ops.convert_to_numpy(self.model.optimizer.applied)))

    def on_epoch_end(self, epoch, logs=None):
        logs["val_metric"] = self.metrics[epoch]  # the monitored metric, as a validation would log it


DATA = np.random.default_rng(0).normal(size=(4 * BATCHES, 3)).astype("float32")
TARGET = DATA.sum(axis=1, keepdims=True)


def model(learning_rate=0.0):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(optimizer=RecordingSGD(learning_rate=learning_rate), loss="mse")
    return m


def fit(m, plateau, metrics, epochs, initial_epoch=0):
    record = Record(metrics)
    m.fit(
        DATA,
        TARGET,
        batch_size=4,
        epochs=epochs,
        initial_epoch=initial_epoch,
        shuffle=False,
        verbose=0,
        callbacks=[record, plateau_callback(plateau, monitor="val_metric")],
    )
    return record.applied


@settings(max_examples=5, deadline=None)
@given(grid_cases(max_reports=8), st.sampled_from(sorted(INNERS)))
def test_same_curve_as_the_reference(case, inner) -> None:
    params, metrics = case
    plateau = Plateau(INNERS[inner], **params)
    applied = fit(model(), plateau, metrics, len(metrics))
    assert_meets_contract(applied, reference_lrs(plateau, metrics, BATCHES), plateau.plain)


def test_cooldown_and_min_lr_edges() -> None:
    plateau = Plateau(0.1, patience=1, factor=0.3, cooldown=2, min_lr=0.004)
    metrics = [1.0] * 12
    applied = fit(model(), plateau, metrics, len(metrics))
    reference = reference_lrs(plateau, metrics, BATCHES)
    assert_meets_contract(applied, reference, True)
    assert sorted(set(reference.tolist()), reverse=True) == [0.1, 0.1 * 0.3, 0.1 * 0.3 * 0.3, 0.004]


PLATEAU = Plateau(INNERS["warmup_cosine"], patience=1, factor=0.5, cooldown=1, min_lr=0.001)
METRICS = [3.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]


def test_replaces_an_lrcore_schedule_where_keras_own_callback_fails() -> None:
    from lrcore.adapters.keras import schedule

    m = model()
    m.optimizer.learning_rate = schedule(PLATEAU.inner)
    applied = fit(m, PLATEAU, METRICS, len(METRICS))
    assert_meets_contract(applied, reference_lrs(PLATEAU, METRICS, BATCHES), False)
    assert isinstance(m.optimizer._learning_rate, PlateauSchedule)

    theirs = model()
    theirs.optimizer.learning_rate = schedule(PLATEAU.inner)
    keras_own = keras.callbacks.ReduceLROnPlateau(monitor="val_metric", patience=0, mode="min")
    with pytest.raises(TypeError):
        theirs.fit(DATA, TARGET, batch_size=4, epochs=3, verbose=0, callbacks=[Record(METRICS), keras_own])


@pytest.mark.parametrize("split", [3, 4])  # in a patience window, in a cooldown
def test_save_load_resume_continues_exactly(split, tmp_path) -> None:
    whole = fit(model(), PLATEAU, METRICS, len(METRICS))
    m = model()
    first = fit(m, PLATEAU, METRICS, split)
    path = tmp_path / "m.keras"
    m.save(path)
    restored = keras.models.load_model(path)
    schedule = restored.optimizer._learning_rate
    assert isinstance(schedule, PlateauSchedule)
    assert schedule.state == m.optimizer._learning_rate.state
    state = schedule.state
    assert state.num_bad_epochs > 0 or state.cooldown_counter > 0
    rest = fit(restored, PLATEAU, METRICS, len(METRICS), initial_epoch=split)
    assert_meets_contract(first + rest, whole, False)
    np.testing.assert_array_equal(np.float32(first + rest), np.float32(whole))


def test_missing_metric_warns_and_logs_learning_rate() -> None:
    m = model()
    with pytest.warns(UserWarning, match="val_nothing"):
        history = m.fit(
            DATA,
            TARGET,
            batch_size=4,
            epochs=2,
            verbose=0,
            callbacks=[plateau_callback(Plateau(0.05), monitor="val_nothing")],
        )
    assert history.history["learning_rate"] == [0.05, 0.05]
    with pytest.warns(UserWarning, match="val_nothing"):
        m.fit(
            DATA,
            TARGET,
            batch_size=4,
            epochs=1,
            verbose=0,
            callbacks=[plateau_callback(Plateau(0.05), monitor="val_nothing")],
        )
    with pytest.raises(ValueError, match="PlateauSchedule runs"):
        m.fit(
            DATA,
            TARGET,
            batch_size=4,
            epochs=1,
            verbose=0,
            callbacks=[plateau_callback(Plateau(0.01), monitor="loss")],
        )


def test_schedule_config_round_trip() -> None:
    plateau = Plateau(INNERS["step"], patience=2)
    s = PlateauSchedule(plateau)
    s.set_state(plateau.update(plateau.update(plateau.initial_state(), 1.0), 2.0))
    again = PlateauSchedule.from_config(s.get_config())
    assert again.plateau == plateau and again.state == s.state
    assert float(ops.convert_to_numpy(again(7))) == np.float32(plateau.lr(7, s.state))
    with pytest.raises(lrcore.ConfigError):
        PlateauSchedule(lrcore.constant(value=0.1))


def test_durations_are_bound_by_total_steps_and_steps_per_epoch(tmp_path) -> None:
    def plateau(inner_steps, warmup):
        cosine = lrcore.cosine(start=0.1, end=0.001, steps=inner_steps)
        return Plateau(lrcore.warmup(cosine, steps=warmup), patience=1, factor=0.5, cooldown=1)

    total = BATCHES * len(METRICS)  # 30 updates
    recipe = plateau("8ep", "10%")
    by_hand = plateau(8 * BATCHES, 3)  # 10% of 30
    callback = plateau_callback(recipe, monitor="val_metric", total_steps=total, steps_per_epoch=BATCHES)
    assert callback.plateau == by_hand
    m = model()
    record = Record(METRICS)
    m.fit(
        DATA,
        TARGET,
        batch_size=4,
        epochs=len(METRICS),
        shuffle=False,
        verbose=0,
        callbacks=[record, callback],
    )
    assert_meets_contract(record.applied, reference_lrs(by_hand, METRICS, BATCHES), False)
    assert callback.state.reductions >= 2
    # the saved schedule holds the bound plateau
    path = tmp_path / "m.keras"
    m.save(path)
    assert keras.models.load_model(path).optimizer._learning_rate.plateau == by_hand
    schedule = PlateauSchedule(recipe.to_config(), total_steps=total, steps_per_epoch=BATCHES)
    assert schedule.plateau == by_hand
    with pytest.raises(
        lrcore.ConfigError, match=r"^plateau\.schedule\.schedule\.steps: .*'8ep'.*steps_per_epoch="
    ):
        plateau_callback(recipe)
    with pytest.raises(lrcore.ConfigError, match=r"^plateau\.schedule\.steps: .*'10%'.*total_steps="):
        PlateauSchedule(recipe, steps_per_epoch=BATCHES)
