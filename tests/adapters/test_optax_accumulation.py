"""Gradient accumulation in optax (SPEC 3 and 9): with ``optax.MultiSteps`` the schedule sees
applied updates, not micro-batches, without the user stating the accumulation twice.

Every catalog case trains with ``MultiSteps(optimizer(optax.sgd, learning_rate=s), k)`` for
k = 1, 2 and 4 in one jitted function (a ``lax.scan`` per k). A probe parameter whose
gradient is exactly 1 on every micro-batch moves by exactly the learning rate the real
update applied; that rate must be float32 of the reference at the real update's index (SPEC 7),
and :func:`current_rate` must read the real-update count through the wrapper.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.adapters.test_optax import assert_meets_contract
from tests.catalog_cases import CASES
from tests.conftest import require

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

from lrcore.adapters.optax import current_rate, optimizer, schedule, update_count  # noqa: E402

REAL_UPDATES = 1_600  # past every case's horizon (about 1,500 steps), into the hold
KS = (1, 2, 4)


def accumulate(make_inner, s, k, updates=REAL_UPDATES):
    """``updates * k`` micro-batches through ``MultiSteps(make_inner(), k)`` as a scan (to run
    inside a jit). Per micro-batch: the probe's move, the inner count the schedule sees,
    :func:`update_count` and :func:`current_rate` of the whole state, and MultiSteps' mini_step."""
    opt = optax.MultiSteps(make_inner(), every_k_schedule=k)
    params = {"probe": jnp.zeros((), jnp.float32), "w": jnp.zeros(2, jnp.float32)}
    grads = {"probe": jnp.float32(1.0), "w": jnp.ones(2, jnp.float32)}

    def step(state, _):
        moves, state = opt.update(grads, state, params)
        return state, (-moves["probe"], update_count(state), current_rate(state, s), state.mini_step)

    return jax.lax.scan(step, opt.init(params), None, length=updates * k)[1]


def check(s, k, out, what):
    moved, counts, current, mini = (np.asarray(a) for a in out)
    micro = np.arange(REAL_UPDATES * k)
    emitted = (micro + 1) % k == 0
    np.testing.assert_array_equal(mini == 0, emitted, what)  # the k-th micro-batch is a real update
    np.testing.assert_array_equal(moved[~emitted], 0.0, what)  # the others apply nothing
    real = np.arange(REAL_UPDATES)
    assert_meets_contract(moved[emitted], s.values(real), f"{what}: applied rate")
    # After micro-batch i, (i + 1) // k real updates are done: the next applies s(that).
    np.testing.assert_array_equal(counts, (micro + 1) // k, what)
    assert_meets_contract(current, s.values((micro + 1) // k), f"{what}: current_rate")


@pytest.mark.parametrize("name", list(CASES))
def test_multisteps_applies_the_reference_at_every_real_update(name):
    s = CASES[name]

    @jax.jit
    def run():
        return [accumulate(lambda: optimizer(optax.sgd, learning_rate=s), s, k) for k in KS]

    for k, out in zip(KS, run(), strict=True):
        check(s, k, out, f"{name}, k={k}")


@pytest.mark.parametrize("name", ["warmup", "cosine_restarts", "one_cycle", "piecewise_constant"])
def test_a_schedule_given_straight_to_the_optimizer_inside_multisteps(name):
    """``MultiSteps(optax.adamw(schedule(s)), k)``: the schedule's count lives in the inner
    ``scale_by_schedule`` state, which advances only on real updates."""
    s = CASES[name]

    @jax.jit
    def run():
        return [accumulate(lambda: optax.sgd(schedule(s)), s, k) for k in (2, 4)]

    for k, out in zip((2, 4), run(), strict=True):
        check(s, k, out, f"{name}, k={k}")


def test_current_rate_through_multisteps_of_a_constant_rate_counts_real_updates():
    """Without any schedule state inside, the count is MultiSteps' gradient_step."""
    s = CASES["step"]
    opt = optax.MultiSteps(optax.sgd(0.1), every_k_schedule=3)
    params = jnp.zeros(2, jnp.float32)
    state = opt.init(params)
    update = jax.jit(lambda st: opt.update(jnp.ones(2, jnp.float32), st, params)[1])
    for micro in range(1, 10):
        state = update(state)
        assert int(update_count(state)) == micro // 3
        assert float(current_rate(state, s)) == float(schedule(s)(micro // 3))
