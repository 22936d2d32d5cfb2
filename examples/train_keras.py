"""Train a small regression with Keras ``fit`` (any backend) and the shared schedule file.

    KERAS_BACKEND=jax python examples/train_keras.py [--schedule examples/conf/schedule/warmup_cosine.yaml]

The lrcore callback sets the learning rate before every update and writes ``learning_rate``
into the logs, so ``History`` (and ``CSVLogger``, ``TensorBoard``) record it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np

import lrcore
from lrcore.adapters.keras import callback

SCHEDULE = Path(__file__).parent / "conf" / "schedule" / "warmup_cosine.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description="Train a small model with Keras fit and an lrcore schedule.")
    parser.add_argument("--schedule", type=Path, default=SCHEDULE, help="a .json/.yaml/.toml schedule config")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps-per-epoch", type=int, default=30)
    args = parser.parse_args()
    plan = lrcore.load(args.schedule)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32 * args.steps_per_epoch, 8)).astype("float32")
    y = (x @ rng.standard_normal(8) + 0.1 * rng.standard_normal(len(x))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)]
    )
    # The callback sets the rate from optimizer.iterations; pass lrcore.adapters.keras.schedule(plan)
    # as learning_rate instead to evaluate it inside the compiled train step.
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=0.0), loss="mse")
    history = model.fit(
        x, y, batch_size=32, epochs=args.epochs, verbose=0, callbacks=[callback(plan, interval="step")]
    )
    for epoch, (lr, loss) in enumerate(
        zip(history.history["learning_rate"], history.history["loss"], strict=True)
    ):
        last = (epoch + 1) * args.steps_per_epoch - 1
        print(f"update {last} lr {lr!r} loss {loss:.4f}")


if __name__ == "__main__":
    main()
