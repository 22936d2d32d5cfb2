"""Data-parallel JAX training over 2 host devices with an lrcore optax schedule.

Run by tests/reliability/test_distributed.py with
``XLA_FLAGS=--xla_force_host_platform_device_count=2`` set before JAX starts (and
``JAX_ENABLE_X64`` as the test asks). A ``Mesh`` over the devices shards each batch along
``data``; parameters and the optimizer state are replicated (``NamedSharding`` with
``P()``); one jitted step runs ``optax.inject_hyperparams(optax.sgd)`` with the lrcore
schedule. After every update the replicated ``hyperparams["learning_rate"]`` is read
from *each device's shard*: what each replica applied.

Usage: ``python jax_sharded.py REQUEST.json RESULT.json`` with ``{"configs": [...],
"updates": n}``; the result holds ``{"devices", "x64", "lrs": [per config: [per update:
[one value per device]]], "replicated": [per config: bool]}``.
"""

from __future__ import annotations

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import lrcore
from lrcore.adapters.optax import namespace, schedule


def train(config: dict, updates: int, mesh: Mesh) -> tuple[list[list[float]], bool]:
    replicated = NamedSharding(mesh, P())
    by_batch = NamedSharding(mesh, P("data"))
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(lrcore.from_config(config)))
    dtype = namespace().float
    params = jax.device_put({"w": jnp.zeros((4,), dtype), "b": jnp.zeros((), dtype)}, replicated)
    state = jax.device_put(opt.init(params), replicated)

    def loss(p, x, y):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    def step(p, s, x, y):
        grads = jax.grad(loss)(p, x, y)  # the mean over the global batch: XLA all-reduces
        moves, s = opt.update(grads, s, p)
        return optax.apply_updates(p, moves), s

    step = jax.jit(
        step,
        in_shardings=(replicated, replicated, by_batch, by_batch),
        out_shardings=(replicated, replicated),
    )
    rng = np.random.default_rng(0)
    lrs = []
    for _ in range(updates):
        x = rng.standard_normal((16, 4)).astype(dtype)
        y = x.sum(axis=1) + 0.3
        params, state = step(params, state, jax.device_put(x, by_batch), jax.device_put(y, by_batch))
        lr = state.hyperparams["learning_rate"]
        lrs.append([float(np.asarray(shard.data)) for shard in lr.addressable_shards])
    shards = [np.asarray(shard.data) for shard in params["w"].addressable_shards]
    same = lr.sharding.is_fully_replicated and all(np.array_equal(shards[0], s) for s in shards)
    return lrs, bool(same)


def main() -> None:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    devices = jax.devices()
    mesh = Mesh(np.asarray(devices), ("data",))
    result: dict = {
        "devices": len(devices),
        "x64": bool(jax.config.jax_enable_x64),
        "lrs": [],
        "replicated": [],
    }
    for config in request["configs"]:
        lrs, same = train(config, request["updates"], mesh)
        result["lrs"].append(lrs)
        result["replicated"].append(same)
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
