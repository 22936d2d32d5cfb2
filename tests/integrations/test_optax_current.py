"""``lrcore.adapters.optax.current_rate``: the update count found in any optax state tree, and
the schedule's rate there, concretely and inside ``jax.jit``."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import require
from tests.integrations import PLAN, assert_float32_contract

pytestmark = pytest.mark.integrations

jax = require("jax")
optax = require("optax")
lro = require("lrcore.adapters.optax")
jnp = jax.numpy

UPDATES = 240
X64 = bool(jax.config.jax_enable_x64)


def optimizers():
    lr = lro.schedule(PLAN)
    return {
        "adamw": (optax.adamw(lr), 1),
        "chain(clip, adamw)": (optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(lr)), 1),
        "MultiSteps": (optax.MultiSteps(optax.adamw(lr), every_k_schedule=2), 2),
        # Its own count only: the inner adamw gets a float learning rate, so no scale_by_schedule.
        "inject_hyperparams": (optax.inject_hyperparams(optax.adamw)(learning_rate=lr), 1),
    }


@pytest.mark.parametrize("name", ["adamw", "chain(clip, adamw)", "MultiSteps", "inject_hyperparams"])
def test_current_rate_in_a_jitted_loop(name):
    opt, micro = optimizers()[name]
    params = {"w": jnp.ones(3)}

    @jax.jit
    def step(params, state, x):
        grads = jax.grad(lambda p: jnp.sum((p["w"] * x - 1.0) ** 2))(params)
        updates, state = opt.update(grads, state, params)
        return (
            optax.apply_updates(params, updates),
            state,
            lro.update_count(state),
            lro.current_rate(state, PLAN),
        )

    state = opt.init(params)
    assert int(lro.update_count(state)) == 0
    counts, rates = [], []
    for i in range(UPDATES * micro):
        params, state, count, rate = step(params, state, jnp.full(3, 0.5 + i % 3))
        counts.append(int(count))
        rates.append(np.asarray(rate))
    # MultiSteps counts applied updates, not micro-batches (SPEC section 3).
    assert counts == [(i + 1) // micro for i in range(UPDATES * micro)]
    assert_float32_contract(rates, counts, float64=X64)
    # The same value outside jit, on the final state, from an optax schedule instead of the plan.
    assert lro.current_rate(state, lro.schedule(PLAN)) == rates[-1]


def test_inject_hyperparams_holds_the_previous_rate():
    # Why the helper exists: inject_hyperparams' hyperparams lag the count by one update.
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lro.schedule(PLAN))
    params = {"w": jnp.ones(3)}
    state = opt.init(params)
    for _ in range(45):
        _, state = opt.update({"w": jnp.ones(3)}, state, params)
    lr = lro.schedule(PLAN)
    assert state.hyperparams["learning_rate"] == lr(44)
    assert lro.current_rate(state, PLAN) == lr(45)


def test_apply_if_finite_counts_only_applied_updates():
    opt = optax.apply_if_finite(optax.adamw(lro.schedule(PLAN)), max_consecutive_errors=5)
    params = {"w": jnp.ones(3)}
    state = opt.init(params)
    for grad in (1.0, jnp.nan, 1.0, jnp.inf, 1.0):
        _, state = opt.update({"w": jnp.full(3, grad)}, state, params)
    assert int(lro.update_count(state)) == 3


def test_a_state_without_a_count_is_an_error():
    state = optax.sgd(0.1).init({"w": jnp.ones(3)})
    with pytest.raises(ValueError, match="no update count"):
        lro.update_count(state)
