"""Conformance runner for Keras 3, on the backend named by ``KERAS_BACKEND``.

``run(config, steps)`` trains a probe model with ``keras.optimizers.SGD`` whose learning
rate is ``lrcore.adapters.keras.schedule(schedule)``; with ``steps_per_epoch`` it uses
``lrcore.adapters.keras.callback(schedule, interval="epoch")`` instead, one epoch being
``steps_per_epoch`` updates (so the expected curve is ``per_epoch(schedule, steps_per_epoch)``).

The probe is a table of ``steps`` zeros; batch ``t`` (one sample, the integer ``t``)
reads row ``t`` and its loss is that entry, so the gradient is exactly 1 on row ``t`` and
0 elsewhere. Plain SGD then leaves ``row[t] = 0 - lr_t * 1 = -lr_t`` exactly: the table
after ``fit`` is the witness of every applied learning rate, with no per-batch Python.

``applied[t]`` is what Keras reports as ``optimizer.learning_rate`` for update ``t``: the
schedule object evaluated at the optimizer's iterations (in one vectorised call), or the
learning rate variable the callback set for the epoch.

``python -m lrcore.adapters.keras.runner`` reads ``{"config", "steps",
"steps_per_epoch"}`` as JSON on stdin and writes ``{"applied", "witness"}`` on stdout.
"""

from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from keras import ops

import lrcore
from lrcore.adapters import keras as lrk
from lrcore.compare.protocol import serve

# Updates per compiled execution where the backend loops in the graph (torch cannot,
# and JAX unrolls the loop, so it stays small there).
_EXECUTION = {"tensorflow": 250, "jax": 25}


@keras.saving.register_keras_serializable(package="lrcore_probe")
class Probe(keras.Model):
    """``y = table[t]``: a zero table read at the step index ``t``."""

    def __init__(self, rows: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = rows
        self.table = self.add_weight(shape=(rows,), initializer="zeros", name="table")

    def call(self, t: Any) -> Any:
        return ops.take(self.table, ops.reshape(t, (-1,)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rows": self.rows}

    def build_from_config(self, config: Any) -> None:
        self.built = True  # the table is made in __init__; load_model restores it


@keras.saving.register_keras_serializable(package="lrcore_probe")
def entry_loss(y_true: Any, y_pred: Any) -> Any:
    """The loss is the table entry itself: d loss / d table[t] == 1."""
    return y_pred


def probe(rows: int, optimizer: Any, steps_per_execution: int = 1) -> Probe:
    model = Probe(rows)
    model.compile(optimizer=optimizer, loss=entry_loss, steps_per_execution=steps_per_execution)
    return model


def witness(model: Probe) -> Any:
    """The applied learning rates: ``0 - table`` (0.0, not -0.0, for a zero rate)."""
    return 0.0 - np.asarray(ops.convert_to_numpy(model.table), dtype=np.float64)


def step_data(first: int, count: int) -> tuple[Any, Any]:
    """One sample per update: the step index, and a dummy target."""
    return np.arange(first, first + count, dtype="int32"), np.zeros((count,), dtype="float32")


class _EpochRecorder(keras.callbacks.Callback):
    """The learning rate variable as set for each epoch (runs after lrcore's callback)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.values.append(float(ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def _execution(per_epoch: int) -> int:
    chunk = _EXECUTION.get(keras.backend.backend(), 1)
    return math.gcd(per_epoch, chunk) if chunk > 1 else 1


def run(config: dict[str, Any], steps: int, *, steps_per_epoch: int | None = None) -> dict[str, list[float]]:
    """Train for ``steps`` updates; return the applied learning rates and their witness."""
    schedule = lrcore.from_config(config)
    if steps < 1:
        return {"applied": [], "witness": []}
    if steps_per_epoch is None:
        adapter = lrk.schedule(schedule)
        model = probe(steps, keras.optimizers.SGD(learning_rate=adapter), _execution(steps))
        x, y = step_data(0, steps)
        start = int(ops.convert_to_numpy(model.optimizer.iterations))
        model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0)
        done = int(ops.convert_to_numpy(model.optimizer.iterations)) - start
        iterations = ops.convert_to_tensor(
            np.arange(start, start + done), dtype=model.optimizer.iterations.dtype
        )
        applied = np.asarray(ops.convert_to_numpy(adapter(iterations)), dtype=np.float64)
    else:
        epochs = -(-steps // steps_per_epoch)
        rows = epochs * steps_per_epoch
        recorder = _EpochRecorder()
        model = probe(rows, keras.optimizers.SGD(learning_rate=0.0), _execution(steps_per_epoch))
        x, y = step_data(0, rows)
        model.fit(
            x,
            y,
            batch_size=1,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            shuffle=False,
            verbose=0,
            callbacks=[lrk.callback(schedule, interval="epoch"), recorder],
        )
        done = int(ops.convert_to_numpy(model.optimizer.iterations))
        applied = np.repeat(np.asarray(recorder.values, dtype=np.float64), steps_per_epoch)
    if done < steps:
        raise RuntimeError(f"Keras applied {done} updates, expected {steps}")
    return {"applied": applied[:steps].tolist(), "witness": witness(model)[:steps].tolist()}


def main() -> None:
    """Read ``{"config", "steps", "steps_per_epoch"}`` JSON on stdin, write the result."""
    serve(run)


if __name__ == "__main__":
    main()
