"""Conformance runner for optax: train a tiny model and record the applied learning rate.

``run(config, steps)`` builds ``optax.inject_hyperparams(optax.sgd)`` with the lrcore
schedule, trains a 4-feature linear regression for ``steps`` updates in one jitted
``lax.scan`` (one compile; 100,000 updates take about a second on a CPU) and returns,
per update ``t``:

- ``applied[t]``: ``opt_state.hyperparams["learning_rate"]`` after update ``t``, the
  rate optax applied to it (float32 by default, float64 with ``JAX_ENABLE_X64=1``),
  converted to a Python float exactly.
- ``witness[t]``: the rate implied by a parameter update, ``probe_before - probe_after``
  for a probe parameter whose gradient is exactly 1 (the loss adds ``probe``). The
  probe is reset to 0 before each update, so the difference is ``lr * 1`` with no
  rounding: the witness equals ``applied`` rounded to the parameters' float type
  (exactly ``applied`` in float32 mode). A probe left to accumulate would lose
  ``log2(sum of rates / rate)`` bits of the rate to float32 rounding instead.

Run as ``python -m lrcore.adapters.optax.runner`` with
``{"config": ..., "steps": ..., "steps_per_epoch": ...}`` as JSON on stdin.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrcore
from lrcore.adapters.optax import namespace, schedule
from lrcore.compare.protocol import serve


def run(config: dict[str, Any], steps: int, *, steps_per_epoch: int | None = None) -> dict[str, list[float]]:
    """Train for ``steps`` updates; return ``{"applied": [...], "witness": [...]}``."""
    s = lrcore.from_config(config)
    if steps_per_epoch is not None:
        s = lrcore.per_epoch(s, steps_per_epoch)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(s))

    dtype = namespace().float  # float64 parameters under x64, so nothing rounds the rate
    x = jnp.linspace(-1.0, 1.0, 64, dtype=dtype).reshape(16, 4)
    y = x @ jnp.asarray([0.5, -1.0, 2.0, 0.25], dtype) + 0.3
    params = {"w": jnp.zeros(4, dtype), "b": jnp.zeros((), dtype), "probe": jnp.zeros((), dtype)}

    def loss(p: dict[str, Any]) -> Any:
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2) + p["probe"]

    def step(carry: Any, _: Any) -> Any:
        p, state = carry
        p = {**p, "probe": jnp.zeros_like(p["probe"])}
        grads = jax.grad(loss)(p)
        moves, state = opt.update(grads, state, p)
        new = optax.apply_updates(p, moves)
        return (new, state), (state.hyperparams["learning_rate"], p["probe"] - new["probe"])

    @jax.jit
    def train(p: Any, state: Any) -> Any:
        return jax.lax.scan(step, (p, state), None, length=steps)[1]

    applied, witness = train(params, opt.init(params))
    return {
        "applied": np.asarray(applied, dtype=np.float64).tolist(),
        "witness": np.asarray(witness, dtype=np.float64).tolist(),
    }


def main() -> None:
    """Read ``{"config", "steps", "steps_per_epoch"}`` JSON on stdin, write the result."""
    serve(run)


if __name__ == "__main__":
    main()
