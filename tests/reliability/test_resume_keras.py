"""Resuming Keras training continues the learning-rate curve exactly, on the current backend
(nox runs this file under TensorFlow, JAX and torch).

The model is the conformance probe (``lrcore.adapters.keras.runner.Probe``): a table of
zeros whose row ``t`` is read (gradient exactly 1) by update ``t`` only, so after plain SGD
``-table`` holds every learning rate that was *applied*, in float32, with nothing recorded
from Python. A run of ``EPOCHS`` epochs of ``PER_EPOCH`` updates is the uninterrupted curve;
the resumed runs must leave the identical table:

- ``keras.callbacks.ModelCheckpoint`` writes the whole model (optimizer and its
  ``iterations`` included) to ``.keras`` files; ``keras.models.load_model`` then
  ``fit(initial_epoch=k)`` continues, for the lrcore schedule object, the lrcore callback
  (``interval="step"``) and the plateau callback (its state lives in the saved schedule
  config; the checkpoint falls in the middle of a patience window).
- ``keras.callbacks.BackupAndRestore``: a fit is interrupted by an exception at epoch
  ``k``; a new model's fit with the same backup directory restores the weights and
  optimizer and continues at epoch ``k``.

The resumed fit is given the remaining epochs' data (rows ``k * PER_EPOCH`` on): the
probe's input is the update index, which is what makes the table a witness.
"""

from __future__ import annotations

import random
import warnings
import zipfile

import numpy as np
import pytest

from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.keras

keras = require("keras")

import lrcore  # noqa: E402
import lrcore.checkpoint  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras import plateau_callback  # noqa: E402
from lrcore.adapters.keras.runner import probe, step_data, witness  # noqa: E402

EPOCHS = 8
PER_EPOCH = 6
UPDATES = EPOCHS * PER_EPOCH
# Warmup to step 12 (the end of epoch 2, a boundary), then a cosine with one restart at 30.
SCHEDULE = lrcore.warmup(lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=18), steps=12)
# Epochs after which to stop: inside the warmup, right at its end, and a seeded random one.
STOPS = sorted({1, 2, random.Random(11).randrange(3, EPOCHS)})


def float64_backend() -> bool:
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.read("jax_enable_x64"))


def assert_contract(applied, reference) -> None:
    """SPEC 7: float32(reference) at every update; where the backend computes in float32
    (JAX without x64), 1 ulp is allowed at near ties only."""
    assert_float32_reference(applied, reference, keras.backend.backend(), near_ties=not float64_backend())


def fit(model, first_epoch: int, callbacks) -> None:
    """Epochs ``first_epoch .. EPOCHS - 1`` on the rows those epochs read."""
    x, y = step_data(first_epoch * PER_EPOCH, (EPOCHS - first_epoch) * PER_EPOCH)
    model.fit(
        x,
        y,
        batch_size=1,
        epochs=EPOCHS,
        initial_epoch=first_epoch,
        steps_per_epoch=PER_EPOCH,
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )


def built(model):
    """BackupAndRestore wants a built model (on TensorFlow the probe is built by its first call)."""
    model(step_data(0, 1)[0])
    return model


def iterations(model) -> int:
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


# Two ways to drive the learning rate: (a fresh optimizer, the callbacks a fit needs).
WAYS = {
    "schedule": lambda: (keras.optimizers.SGD(learning_rate=lrk.schedule(SCHEDULE)), []),
    "callback_step": lambda: (
        keras.optimizers.SGD(learning_rate=0.0),
        [lrk.callback(SCHEDULE, interval="step")],
    ),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_model_checkpoint_then_load_model_continues(tmp_path, way) -> None:
    optimizer, callbacks = WAYS[way]()
    model = probe(UPDATES, optimizer)
    saver = keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.keras"), save_freq="epoch")
    fit(model, 0, [*callbacks, saver])
    uninterrupted = witness(model)
    assert_contract(uninterrupted, SCHEDULE.values(np.arange(UPDATES)))

    for k in STOPS:
        restored = keras.models.load_model(tmp_path / f"epoch{k}.keras")
        assert iterations(restored) == k * PER_EPOCH
        _, callbacks = WAYS[way]()  # a new process would build its callbacks anew
        fit(restored, k, callbacks)
        assert iterations(restored) == UPDATES
        np.testing.assert_array_equal(witness(restored), uninterrupted, err_msg=f"resumed after epoch {k}")


class Interrupt(keras.callbacks.Callback):
    """Raises at the start of epoch ``epoch`` (the backup of the epoch before is written)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None) -> None:
        if epoch == self.epoch:
            raise RuntimeError(f"interrupted at epoch {epoch}")


@pytest.mark.parametrize("way", list(WAYS))
def test_backup_and_restore_after_an_interrupted_fit_continues(tmp_path, way) -> None:
    optimizer, callbacks = WAYS[way]()
    reference_model = probe(UPDATES, optimizer)
    fit(reference_model, 0, callbacks)
    uninterrupted = witness(reference_model)

    k = STOPS[-1]
    backup = str(tmp_path / "backup")
    optimizer, callbacks = WAYS[way]()
    model = built(probe(UPDATES, optimizer))
    with pytest.raises(RuntimeError, match="interrupted"):
        fit(model, 0, [*callbacks, keras.callbacks.BackupAndRestore(backup), Interrupt(k)])
    assert iterations(model) == k * PER_EPOCH

    # As after a crash: a new model and optimizer; BackupAndRestore restores both and
    # starts at epoch k (the data of epochs k.. is what the probe's rows need).
    optimizer, callbacks = WAYS[way]()
    model = built(probe(UPDATES, optimizer))
    x, y = step_data(k * PER_EPOCH, (EPOCHS - k) * PER_EPOCH)
    model.fit(
        x,
        y,
        batch_size=1,
        epochs=EPOCHS,
        steps_per_epoch=PER_EPOCH,
        shuffle=False,
        verbose=0,
        callbacks=[*callbacks, keras.callbacks.BackupAndRestore(backup)],
    )
    assert iterations(model) == UPDATES
    np.testing.assert_array_equal(witness(model), uninterrupted, err_msg=f"restored at epoch {k}")


# -- the plateau callback, checkpointed in the middle of a patience window -----------------


PLATEAU = lrcore.plateau(SCHEDULE, patience=1, factor=0.5, threshold=0.1, threshold_mode="abs")
# One validation metric per epoch (indices from 0): improves, then stalls; reductions at
# the ends of epochs 3 and 5 (torch counts more than ``patience`` bad epochs); after
# epoch 4 one bad epoch is pending.
METRICS = [4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0]


class Metric(keras.callbacks.Callback):
    """Writes ``METRICS[epoch]`` into the logs as ``val_metric`` (before the plateau reads it)."""

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs["val_metric"] = METRICS[epoch]


def test_plateau_callback_resumes_from_a_saved_model_mid_patience(tmp_path) -> None:
    def callbacks():
        return [Metric(), plateau_callback(PLATEAU, monitor="val_metric")]

    model = probe(UPDATES, keras.optimizers.SGD(learning_rate=0.0))
    saver = keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.keras"), save_freq="epoch")
    fit(model, 0, [*callbacks(), saver])  # the plateau callback runs before the checkpoint
    uninterrupted = witness(model)

    state = PLATEAU.initial_state()
    reference, states = [], []
    for epoch in range(EPOCHS):
        reference += [PLATEAU.lr(t, state) for t in range(epoch * PER_EPOCH, (epoch + 1) * PER_EPOCH)]
        state = PLATEAU.update(state, METRICS[epoch])
        states.append(state)
    assert states[4].num_bad_epochs == 1 and states[4].reductions == 1  # mid-patience, one reduction
    assert_contract(uninterrupted, np.asarray(reference))

    for k in (5, 6):  # files after 5 epochs (a pending bad epoch) and 6 (right after a reduction)
        restored = keras.models.load_model(tmp_path / f"epoch{k}.keras")
        held = restored.optimizer._learning_rate
        assert held.state == states[k - 1]
        fit(restored, k, callbacks())
        np.testing.assert_array_equal(witness(restored), uninterrupted, err_msg=f"resumed after epoch {k}")


# -- resuming with a changed plan (SPEC section 8) -----------------------------------------

# The same warmup, a longer first cycle: the curves part at step 12.
CHANGED = lrcore.warmup(lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=24), steps=12)
STOP = 3  # epochs before the checkpoint


def fit_until(model, first_epoch: int, last_epoch: int) -> None:
    x, y = step_data(first_epoch * PER_EPOCH, (last_epoch - first_epoch) * PER_EPOCH)
    model.fit(
        x,
        y,
        batch_size=1,
        epochs=last_epoch,
        initial_epoch=first_epoch,
        steps_per_epoch=PER_EPOCH,
        shuffle=False,
        verbose=0,
    )


def checkpoint(tmp_path):
    """A model trained for ``STOP`` epochs on ``SCHEDULE``, saved; and its path."""
    model = probe(UPDATES, keras.optimizers.SGD(learning_rate=lrk.schedule(SCHEDULE)))
    fit_until(model, 0, STOP)
    path = tmp_path / "checkpoint.keras"
    model.save(path)
    return model, path


def assert_resumed_with(model, schedule) -> None:
    """Rows before the checkpoint follow ``SCHEDULE``; from there on, ``schedule``."""
    ts = np.arange(UPDATES)
    expected = np.where(ts < STOP * PER_EPOCH, SCHEDULE.values(ts), schedule.values(ts))
    assert_contract(witness(model), expected)


@pytest.mark.parametrize("prefer", [None, "checkpoint", "current"])
def test_a_changed_plan_warns_names_the_change_and_resumes_as_chosen(tmp_path, prefer) -> None:
    _, path = checkpoint(tmp_path)
    if prefer is None:
        with pytest.warns(
            lrcore.checkpoint.PlanChangedWarning, match=r"checkpoint\.keras: .*first_cycle: 18 -> 24"
        ) as caught:
            restored = lrk.resume(path, CHANGED)
        assert caught[0].filename == __file__  # the warning points at the resume call
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an explicit choice is silent
            restored = lrk.resume(str(path), CHANGED, prefer=prefer)
    assert iterations(restored) == STOP * PER_EPOCH
    fit_until(restored, STOP, EPOCHS)
    assert_resumed_with(restored, CHANGED if prefer == "current" else SCHEDULE)


def test_the_same_plan_resumes_silently(tmp_path) -> None:
    model, path = checkpoint(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = lrk.resume(path, SCHEDULE.to_config())
    fit_until(restored, STOP, EPOCHS)
    fit_until(model, STOP, EPOCHS)
    np.testing.assert_array_equal(witness(restored), witness(model))


def test_a_live_model_takes_the_new_plan_into_its_compiled_step(tmp_path) -> None:
    """No file: the model that trained, its train step already compiled with the old plan."""
    model, _ = checkpoint(tmp_path)
    assert lrk.resume(model, CHANGED, prefer="current") is model
    fit_until(model, STOP, EPOCHS)
    assert_resumed_with(model, CHANGED)


def test_a_plan_with_durations_is_bound_by_resume(tmp_path) -> None:
    _, path = checkpoint(tmp_path)
    with_durations = lrcore.warmup(
        lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle="4ep"), steps="25%"
    )
    with pytest.warns(lrcore.checkpoint.PlanChangedWarning, match="first_cycle: 18 -> 24"):
        lrk.resume(path, with_durations, total_steps=UPDATES, steps_per_epoch=PER_EPOCH)


def test_a_model_saved_before_the_format_version_still_loads_and_resumes(tmp_path) -> None:
    """Files written before ``lrcore_format`` was in the schedule's config."""
    _, path = checkpoint(tmp_path)
    old = tmp_path / "old.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                text = data.decode()
                assert text.count('"lrcore_format": 1') == 1
                data = text.replace(', "lrcore_format": 1', "").encode()
                assert b"lrcore_format" not in data
            dst.writestr(item, data)
    loaded = keras.models.load_model(old)
    assert loaded.optimizer._learning_rate == lrk.schedule(SCHEDULE)
    with pytest.warns(lrcore.checkpoint.PlanChangedWarning, match="first_cycle"):
        restored = lrk.resume(old, CHANGED)
    fit_until(restored, STOP, EPOCHS)
    assert_resumed_with(restored, SCHEDULE)


def test_a_format_from_a_newer_lrcore_is_refused_by_name() -> None:
    config = lrk.schedule(SCHEDULE).get_config()
    assert config["lrcore_format"] == lrcore.checkpoint.FORMAT
    with pytest.raises(lrcore.ConfigError, match=r"^lrcore_format: .*got 99"):
        lrk.KerasSchedule.from_config({**config, "lrcore_format": 99})


def test_resume_refuses_a_model_driven_by_the_callback(tmp_path) -> None:
    model = probe(UPDATES, keras.optimizers.SGD(learning_rate=0.0))
    fit_until(model, 0, 1)
    with pytest.raises(TypeError, match=r"holds no lrcore schedule.*callback"):
        lrk.resume(model, SCHEDULE)
    with pytest.raises(lrcore.ConfigError, match="prefer"):
        lrk.resume(checkpoint(tmp_path)[0], CHANGED, prefer="new")
