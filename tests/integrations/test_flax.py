"""Flax: an lrcore optax schedule in ``nnx.Optimizer`` under ``nnx.jit``, and in a linen
``TrainState`` (with ``optax.MultiSteps`` accumulating 2 micro-batches per update).

The probe model is a table of zeros whose loss at update ``t`` is its own entry ``t``: SGD
then leaves ``-lr_t`` in entry ``t`` (``0 - lr_t * 1`` is exact), so the trained parameters
witness every learning rate the optimizer applied. It meets SPEC 7 for JAX (float32(reference);
without x64, 1 ulp allowed at near ties only), and ``current_rate`` reads the same schedule
from the optimizer's state.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import require
from tests.integrations import PLAN, assert_float32_contract

pytestmark = pytest.mark.integrations

jax = require("jax")
optax = require("optax")
flax = require("flax")
lro = require("lrcore.adapters.optax")
from flax import nnx  # noqa: E402
from flax.training import train_state  # noqa: E402

jnp = jax.numpy
UPDATES = 300
X64 = bool(jax.config.jax_enable_x64)


class Table(nnx.Module):
    def __init__(self) -> None:
        self.w = nnx.Param(jnp.zeros(UPDATES, jnp.float32))


def test_nnx_optimizer_under_nnx_jit():
    model = Table()
    optimizer = nnx.Optimizer(model, optax.sgd(lro.schedule(PLAN)), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, t):
        rate = lro.current_rate(optimizer.opt_state, PLAN)  # the rate this update applies
        optimizer.update(model, nnx.grad(lambda m: m.w[t])(model))
        return rate

    rates = [float(step(model, optimizer, jnp.int32(t))) for t in range(UPDATES)]
    applied = -np.asarray(model.w[...])
    assert int(optimizer.step[...]) == UPDATES
    assert_float32_contract(applied, range(UPDATES), float64=X64)
    assert_float32_contract(rates, range(UPDATES), float64=X64)
    assert int(lro.update_count(optimizer.opt_state)) == UPDATES


def test_linen_train_state_with_multisteps():
    tx = optax.MultiSteps(optax.sgd(lro.schedule(PLAN)), every_k_schedule=2)
    state = train_state.TrainState.create(
        apply_fn=lambda params, t: params["w"][t], params={"w": jnp.zeros(UPDATES, jnp.float32)}, tx=tx
    )

    @jax.jit
    def step(state, t):
        grads = jax.grad(state.apply_fn)(state.params, t)
        return state.apply_gradients(grads=grads)

    for t in range(UPDATES):
        for _ in range(2):  # two micro-batches of the same entry: their mean gradient is 1
            state = step(state, jnp.int32(t))
    applied = -np.asarray(state.params["w"])
    assert_float32_contract(applied, range(UPDATES), float64=X64)
    # TrainState.step counts micro-batches; the schedule saw applied updates.
    assert (int(state.step), int(lro.update_count(state.opt_state))) == (2 * UPDATES, UPDATES)
    assert lro.current_rate(state.opt_state, PLAN) == lro.schedule(PLAN)(UPDATES)
