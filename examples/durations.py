"""One recipe written once in durations, bound for two dataset sizes, run in PyTorch,
JAX/optax and Keras.

    python examples/durations.py [--frameworks torch,optax,keras]

The recipe is lrcore's bundled example ``warmup-cosine-durations``: warm up to 0.1 for 5% of
the run, then a cosine to 1e-4 over 90 epochs. It names no step count. Each run binds it with
its own ``total_steps`` and ``steps_per_epoch`` (5% rounds to the nearest step, halves up):

    dataset  samples  batch  steps/epoch  epochs  total_steps  warmup  cosine
    small        128     32            4      95          380      19     360
    large        320     32           10      95          950      48     900

Each framework trains on each dataset, records the learning rate every update applied, and
compares it with the float64 reference of the bound recipe (``lrcore show
warmup-cosine-durations --total-steps 950 --steps-per-epoch 10`` prints the same curve): torch
bit for bit, optax and Keras as float32(reference) (SPEC 7; JAX without x64 computes it in
double-float pairs: 1 ulp only at a near tie). The script exits 1 if any update differs.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

import lrcore
from lrcore.config_args import EXAMPLES_DIR
from lrcore.precision import float32_misses, ulps

RECIPE = lrcore.load(EXAMPLES_DIR / "warmup-cosine-durations.yaml")  # shipped with lrcore
FRAMEWORKS = ("torch", "optax", "keras")


@dataclass(frozen=True)
class Dataset:
    name: str
    samples: int
    batch: int = 32
    epochs: int = 95

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.samples / self.batch)

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def plan(self) -> lrcore.Schedule:
        """The recipe bound to this run: what every adapter below binds it to."""
        return RECIPE.bind(total_steps=self.total_steps, steps_per_epoch=self.steps_per_epoch)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.samples)
        x = rng.standard_normal((self.samples, 8)).astype("float32")
        y = (x @ rng.standard_normal(8) + 0.1 * rng.standard_normal(self.samples)).astype("float32")
        return x, y


DATASETS = (Dataset("small", 128), Dataset("large", 320))


def train_torch(ds: Dataset) -> np.ndarray:
    """A PyTorch loop; the scheduler binds the recipe. The rate each update applied."""
    import torch

    from lrcore.adapters.torch import scheduler

    torch.manual_seed(0)
    x, y = (torch.from_numpy(a) for a in ds.data())
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    sched = scheduler(optimizer, RECIPE, total_steps=ds.total_steps, steps_per_epoch=ds.steps_per_epoch)
    applied = []
    for _ in range(ds.epochs):
        for start in range(0, ds.samples, ds.batch):
            xb, yb = x[start : start + ds.batch], y[start : start + ds.batch]
            loss = (model(xb).squeeze(-1) - yb).square().mean()
            optimizer.zero_grad()
            loss.backward()
            applied.append(optimizer.param_groups[0]["lr"])  # the rate this step applies
            optimizer.step()
            sched.step()  # once per update
    return np.asarray(applied, dtype=np.float64)


def train_optax(ds: Dataset) -> np.ndarray:
    """A jitted optax step; ``schedule`` binds the recipe, ``inject_hyperparams`` records the
    rate each update applied."""
    import jax
    import jax.numpy as jnp
    import optax

    from lrcore.adapters.optax import schedule

    lr = schedule(RECIPE, total_steps=ds.total_steps, steps_per_epoch=ds.steps_per_epoch)
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    x, y = (jnp.asarray(a) for a in ds.data())
    k1, k2 = jax.random.split(jax.random.key(0))
    params = {"w1": 0.3 * jax.random.normal(k1, (8, 16)), "w2": 0.3 * jax.random.normal(k2, (16,))}
    state = optimizer.init(params)

    def loss_fn(params: Any, xb: Any, yb: Any) -> Any:
        return jnp.mean((jnp.tanh(xb @ params["w1"]) @ params["w2"] - yb) ** 2)

    @jax.jit
    def step(params: Any, state: Any, xb: Any, yb: Any) -> Any:
        grads = jax.grad(loss_fn)(params, xb, yb)
        updates, state = optimizer.update(grads, state, params)
        # the rate this update used: inject_hyperparams evaluated lr(count) before updating
        return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"]

    applied = []
    for _ in range(ds.epochs):
        for start in range(0, ds.samples, ds.batch):
            params, state, rate = step(
                params, state, x[start : start + ds.batch], y[start : start + ds.batch]
            )
            applied.append(rate)
    return np.asarray(jax.device_get(applied), dtype=np.float64)


def train_keras(ds: Dataset) -> np.ndarray:
    """Keras ``model.fit`` with the recipe as the optimizer's learning-rate schedule
    (evaluated inside the train step at ``optimizer.iterations``); the rate each update
    applied is read from the optimizer before every batch."""
    import keras

    from lrcore.adapters.keras import schedule

    x, y = ds.data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)]
    )
    lr = schedule(RECIPE, total_steps=ds.total_steps, steps_per_epoch=ds.steps_per_epoch)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    applied: list[float] = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            optimizer = self.model.optimizer
            applied.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))

    model.fit(x, y, batch_size=ds.batch, epochs=ds.epochs, shuffle=False, verbose=0, callbacks=[Record()])
    return np.asarray(applied, dtype=np.float64)


TRAIN = {"torch": train_torch, "optax": train_optax, "keras": train_keras}


def float32_only(framework: str) -> bool:
    """Whether the framework evaluates in float32 only here (JAX without x64)."""
    if framework == "torch":
        return False
    if framework == "keras":
        import keras

        if keras.backend.backend() != "jax":
            return False
    import jax

    return not bool(jax.config.read("jax_enable_x64"))


def check(framework: str, ds: Dataset, applied: np.ndarray) -> int:
    """The largest float32 ulp distance from the bound recipe's reference; raises if the
    precision contract (SPEC 7) is broken."""
    plan = ds.plan()
    reference = plan.values(np.arange(ds.total_steps))
    if applied.shape != reference.shape:
        raise AssertionError(f"{framework} {ds.name}: {applied.size} updates, expected {reference.size}")
    if framework == "torch":
        if not np.array_equal(applied, reference):
            raise AssertionError(f"{framework} {ds.name}: not the float64 reference bit for bit")
        return 0
    distance = int(ulps(reference, applied).max())
    if float32_only(framework):
        # double-float evaluation: float32(reference), but 1 ulp at a near tie
        over, _ = float32_misses(reference, applied)
    else:
        over = ulps(reference, applied) > 0
    if over.any():
        step = int(np.flatnonzero(over)[0])
        raise AssertionError(
            f"{framework} {ds.name}: {distance} ulps from float32(reference) (first at update {step})"
        )
    return distance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One duration recipe, two dataset sizes, three frameworks.")
    parser.add_argument(
        "--frameworks", default=",".join(FRAMEWORKS), help="comma-separated: torch,optax,keras"
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    print(f"recipe {RECIPE!r}")
    failed = False
    for ds in DATASETS:
        plan = ds.plan()
        print(
            f"{ds.name}: {ds.samples} samples, batch {ds.batch}: steps_per_epoch={ds.steps_per_epoch}, "
            f"total_steps={ds.total_steps} -> {plan!r}"
        )
        for framework in chosen:
            applied = TRAIN[framework](ds)
            try:
                distance = check(framework, ds, applied)
            except AssertionError as error:
                print(f"  {framework}: MISMATCH: {error}")
                failed = True
                continue
            peak = int(np.argmax(applied))
            how = "float64 bit for bit" if framework == "torch" else f"float32, at most {distance} ulps"
            print(
                f"  {framework}: {applied.size} updates match the reference ({how}); "
                f"peak {float(applied[peak]):.6g} at update {peak}, last {float(applied[-1]):.6g}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
