"""Keras adapter overhead: ``fit`` time per epoch, lrcore against Keras' own tools.

Measures the backend in ``KERAS_BACKEND`` (run once per backend, one process each):

- ``schedule_cosine``, ``schedule_exponential``: ``lrcore.adapters.keras.schedule`` of
  ``lrcore.cosine`` / ``lrcore.exponential`` against ``keras.optimizers.schedules``
  ``CosineDecay`` / ``ExponentialDecay`` with the same parameters (target 1.02).
- ``callback_epoch``: ``lrcore.adapters.keras.callback(interval="epoch")`` against
  ``keras.callbacks.LearningRateScheduler`` with the same per-epoch function (target 1.1).
- ``callback_step``: our ``interval="step"`` (a new learning rate for every update, written
  inside the compiled train step: module ``lrcore.adapters.keras.in_step``) against the
  same per-epoch LearningRateScheduler (target 1.1). Not like for like in what it does,
  but the price a user pays for a per-step curve from a callback.

Epochs of the two sides are interleaved (alternating which goes first) on compiled,
warmed-up models (``bench._timing``): medians and interquartile spreads.

    KERAS_BACKEND=tensorflow python bench/bench_keras.py
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import lrcore
from lrcore.adapters import keras as lrk

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import entry, interleaved

BATCHES = 200  # updates per epoch
BATCH_SIZE = 32
STEPS = 10_000  # schedule horizon (longer than the run, so every step is on the curve)


def _data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCHES * BATCH_SIZE, 32)).astype("float32")
    return x, (x @ rng.normal(size=(32, 1))).astype("float32")


def _model(learning_rate: Any) -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((32,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


class _Side:
    """A compiled model and its callbacks, fitted one more epoch per call."""

    def __init__(self, learning_rate: Any, callbacks: Callable[[], list[Any]] = list) -> None:
        self.model = _model(learning_rate)
        self.callbacks = callbacks()
        self.epoch = 0
        self.x, self.y = _data()

    def __call__(self) -> None:
        self.model.fit(
            self.x,
            self.y,
            batch_size=BATCH_SIZE,
            epochs=self.epoch + 1,
            initial_epoch=self.epoch,
            shuffle=False,
            verbose=0,
            callbacks=self.callbacks,
        )
        self.epoch += 1


def _compare(
    name: str, target: float, native: str, ours: _Side, theirs: _Side, repeats: int
) -> dict[str, Any]:
    ours()  # compile (interleaved() then warms both up once more)
    theirs()
    row = entry(name, *interleaved(ours, theirs, repeats), target=target, native=native)
    row["backend"] = keras.backend.backend()
    return row


def run(repeats: int = 5) -> list[dict[str, Any]]:
    cosine = lrcore.cosine(start=0.01, end=0.0, steps=STEPS)
    exponential = lrcore.exponential(start=0.01, rate=0.96, steps=1000)
    per_epoch = lrcore.step(start=0.01, gamma=0.9, step_size=2)

    def scheduler() -> list[Any]:
        return [keras.callbacks.LearningRateScheduler(lambda epoch, lr: per_epoch(epoch))]

    schedules = keras.optimizers.schedules
    return [
        _compare(
            "schedule_cosine",
            1.02,
            "keras.optimizers.schedules.CosineDecay",
            _Side(lrk.schedule(cosine)),
            _Side(schedules.CosineDecay(0.01, STEPS, alpha=0.0)),
            repeats,
        ),
        _compare(
            "schedule_exponential",
            1.02,
            "keras.optimizers.schedules.ExponentialDecay",
            _Side(lrk.schedule(exponential)),
            _Side(schedules.ExponentialDecay(0.01, 1000, 0.96)),
            repeats,
        ),
        _compare(
            "callback_epoch",
            1.1,
            "keras.callbacks.LearningRateScheduler",
            _Side(0.01, lambda: [lrk.callback(per_epoch, interval="epoch")]),
            _Side(0.01, scheduler),
            repeats,
        ),
        _compare(
            "callback_step",
            1.1,
            "keras.callbacks.LearningRateScheduler (per epoch: not like for like)",
            _Side(0.01, lambda: [lrk.callback(cosine, interval="step")]),
            _Side(0.01, scheduler),
            repeats,
        ),
    ]


if __name__ == "__main__":
    json.dump(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5), sys.stdout, indent=1)
    sys.stdout.write("\n")
