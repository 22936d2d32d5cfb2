"""Keras data parallelism over 2 CPU devices with an lrcore Keras schedule.

Run by tests/reliability/test_distributed.py in a fresh process, on the backend named by
``KERAS_BACKEND``:

- ``jax``: ``keras.distribution.DataParallel`` over 2 host devices
  (``XLA_FLAGS=--xla_force_host_platform_device_count=2`` set by the test);
- ``tensorflow``: ``tf.distribute.MirroredStrategy`` over 2 logical CPU devices
  (``tf.config.set_logical_device_configuration``, before anything else touches TF).

The model is the conformance probe (``lrcore.adapters.keras.runner.Probe``) with SGD
and ``lrcore.adapters.keras.schedule``. Update ``t`` reads the global batch of rows
``2t`` and ``2t + 1``, one per replica; the loss is their mean, so each row's gradient is
exactly 1/2 and after the fit ``-2 * table[2t]`` is the learning rate applied at update
``t``, exactly. Each replica's own copy of the table (a device shard under JAX, a
mirrored component under TensorFlow, each updated by its replica's optimizer step) is
read separately.

Usage: ``python keras_parallel.py REQUEST.json RESULT.json`` with ``{"configs": [...],
"updates": n}``; the result holds ``{"backend", "replicas", "float64", "applied": [per
config: [per replica: [lr of each update, from row 2t], [the same from row 2t + 1]]]}``.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BACKEND = os.environ["KERAS_BACKEND"]
REPLICAS = 2

if BACKEND == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import lrcore  # noqa: E402
from lrcore.adapters import keras as lrk  # noqa: E402
from lrcore.adapters.keras.runner import Probe, entry_loss, step_data  # noqa: E402


class IndexProbe(Probe):
    """The probe, reading its rows at indices given as any number type: under
    MirroredStrategy Keras builds the model symbolically with float32 inputs."""

    def call(self, t):
        return keras.ops.take(self.table, keras.ops.cast(keras.ops.reshape(t, (-1,)), "int32"))


def strategy():
    """A context manager factory for building models (the strategy's scope), and how to
    read a variable's per-replica copies."""
    if BACKEND == "jax":
        devices = keras.distribution.list_devices("cpu")
        assert len(devices) == REPLICAS, devices
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))

        def copies(variable):
            return [np.asarray(shard.data) for shard in variable.value.addressable_shards]

        import contextlib

        return contextlib.nullcontext, copies
    if BACKEND == "tensorflow":
        mirrored = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(REPLICAS)])
        assert mirrored.num_replicas_in_sync == REPLICAS

        def copies(variable):
            return [np.asarray(v.numpy()) for v in mirrored.experimental_local_results(variable.value)]

        return mirrored.scope, copies
    raise SystemExit(f"unsupported KERAS_BACKEND {BACKEND!r}")


def train(config: dict, updates: int, scope, copies) -> list[list[list[float]]]:
    with scope():
        model = IndexProbe(REPLICAS * updates)
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=lrk.schedule(lrcore.from_config(config))),
            loss=entry_loss,
        )
    x, y = step_data(0, REPLICAS * updates)
    model.fit(x, y, batch_size=REPLICAS, epochs=1, shuffle=False, verbose=0)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == updates
    result = []
    for table in copies(model.table):
        applied = 0.0 - REPLICAS * np.asarray(table, dtype=np.float64).reshape(updates, REPLICAS)
        result.append(applied.T.tolist())
    return result


def main() -> None:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    scope, copies = strategy()
    result: dict = {
        "backend": BACKEND,
        "replicas": REPLICAS,
        "float64": lrk.namespace().bits == 64,
        "applied": [],
    }
    for config in request["configs"]:
        result["applied"].append(train(config, request["updates"], scope, copies))
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
