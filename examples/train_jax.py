"""Train a small regression in JAX/optax with the shared schedule file.

    python examples/train_jax.py [--schedule examples/conf/schedule/warmup_cosine.yaml] [--updates 300]

``current_rate`` reads the update count from the optimizer's state (no ``inject_hyperparams``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

import lrcore
from lrcore.adapters.optax import current_rate, schedule

SCHEDULE = Path(__file__).parent / "conf" / "schedule" / "warmup_cosine.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description="Train a small model in JAX/optax with an lrcore schedule.")
    parser.add_argument("--schedule", type=Path, default=SCHEDULE, help="a .json/.yaml/.toml schedule config")
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    plan = lrcore.load(args.schedule)

    kx, kw, kn, kp = jax.random.split(jax.random.key(0), 4)
    x = jax.random.normal(kx, (512, 8))
    y = x @ jax.random.normal(kw, (8,)) + 0.1 * jax.random.normal(kn, (512,))
    k1, k2 = jax.random.split(kp)
    params = {"w1": 0.3 * jax.random.normal(k1, (8, 16)), "w2": 0.3 * jax.random.normal(k2, (16,))}
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule(plan)))
    state = optimizer.init(params)

    def loss_fn(params, xb, yb):
        return jnp.mean((jnp.tanh(xb @ params["w1"]) @ params["w2"] - yb) ** 2)

    @jax.jit
    def step(params, state, batch):
        lr = current_rate(state, plan)  # the rate this update applies: plan(t)
        loss, grads = jax.value_and_grad(loss_fn)(params, x[batch], y[batch])
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss, lr

    key = jax.random.key(1)
    for t in range(args.updates):
        key, sub = jax.random.split(key)
        params, state, loss, lr = step(params, state, jax.random.randint(sub, (32,), 0, len(x)))
        if t % 50 == 0 or t == args.updates - 1:
            print(f"update {t} lr {float(lr)!r} loss {float(loss):.4f}")


if __name__ == "__main__":
    main()
