"""Skipped updates in optax (SPEC 9): ``optax.apply_if_finite`` rejects an update with
non-finite gradients without advancing the wrapped optimizer's count, so a schedule inside it
stays aligned with the updates applied. Real NaN gradients on chosen steps, in jitted scans.

Also pinned here, as documented: more than ``max_consecutive_errors`` non-finite updates in a
row are applied by optax (and advance the schedule); a schedule placed outside the
``apply_if_finite`` (``chain(apply_if_finite(...), scale_by_learning_rate(s))``) advances on
every rejected step; inside ``MultiSteps`` one NaN micro-batch poisons the accumulator for
good (optax 0.2.8), where ``should_skip_update_fn=optax.skip_not_finite`` drops just it.
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

STEPS = 400
NAN_AT = [2, 7, 8, 30, 31, 32, 150, 151, 399]  # single, pairs and a run of three


def probe_gradients(nan_at, steps=STEPS):
    g = np.ones(steps, np.float32)
    g[list(nan_at)] = np.nan
    return jnp.asarray(g)


def run(opt, s, gradients):
    """One update per gradient (a probe parameter, reset to 0 before each update), in a
    jitted scan. Per update: the probe's move, :func:`update_count` and :func:`current_rate`."""
    params = {"probe": jnp.zeros((), jnp.float32)}

    def step(state, g):
        moves, state = opt.update({"probe": g}, state, params)
        return state, (-moves["probe"], update_count(state), current_rate(state, s))

    _, out = jax.jit(lambda st, gs: jax.lax.scan(step, st, gs))(opt.init(params), gradients)
    return tuple(np.asarray(a) for a in out)


@pytest.mark.parametrize("name", ["cosine", "warmup", "step", "one_cycle", "cosine_restarts"])
def test_a_rejected_update_does_not_advance_the_schedule(name):
    s = CASES[name]
    opt = optax.apply_if_finite(optimizer(optax.sgd, learning_rate=s), max_consecutive_errors=3)
    moved, counts, current = run(opt, s, probe_gradients(NAN_AT))
    finite = np.ones(STEPS, bool)
    finite[NAN_AT] = False
    applied = np.cumsum(finite)  # updates applied after each step
    np.testing.assert_array_equal(moved[~finite], 0.0)  # rejected: nothing moved
    # The k-th applied update uses s(k - 1): the schedule saw applied updates only.
    assert_meets_contract(moved[finite], s.values(np.arange(finite.sum())), name)
    np.testing.assert_array_equal(counts, applied)
    assert_meets_contract(current, s.values(applied), f"{name}: current_rate")


def test_more_than_max_consecutive_errors_are_applied_and_advance_the_schedule():
    s = CASES["linear"]
    opt = optax.apply_if_finite(optimizer(optax.sgd, learning_rate=s), max_consecutive_errors=1)
    moved, counts, _ = run(opt, s, probe_gradients([5, 6, 7], steps=12))
    # Step 5 is rejected; steps 6 and 7 exceed one consecutive error: optax applies them (NaN).
    assert moved[5] == 0.0 and np.isnan(moved[6]) and np.isnan(moved[7])
    np.testing.assert_array_equal(counts, [1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11])


def test_a_schedule_outside_apply_if_finite_advances_on_rejected_steps():
    """The composition to avoid: the schedule's own count is outside the wrapper."""
    s = CASES["linear"]
    opt = optax.chain(
        optax.apply_if_finite(optax.identity(), max_consecutive_errors=3),
        optax.scale_by_learning_rate(schedule(s), flip_sign=False),
    )
    moved, counts, _ = run(opt, s, probe_gradients(NAN_AT))
    finite = np.ones(STEPS, bool)
    finite[NAN_AT] = False
    # Each applied update uses s(step), skipped steps included: not s(applied so far).
    assert_meets_contract(-moved[finite], s.values(np.flatnonzero(finite)), "outside")
    np.testing.assert_array_equal(counts, np.arange(1, STEPS + 1))


def test_apply_if_finite_inside_multisteps_never_recovers_from_a_nan_micro_batch():
    """Pinned on optax 0.2.8: MultiSteps resets its accumulator by multiplying it by 0, and
    NaN * 0 is NaN, so after one NaN micro-batch every later window is non-finite:
    ``apply_if_finite`` rejects them (the schedule does not advance) until it has seen
    ``max_consecutive_errors`` in a row, then applies NaN. With accumulation, skip the
    micro-batch instead (``should_skip_update_fn=optax.skip_not_finite``, next test)."""
    s = CASES["cosine"]
    k = 2
    inner = optax.apply_if_finite(optimizer(optax.sgd, learning_rate=s), max_consecutive_errors=3)
    opt = optax.MultiSteps(inner, every_k_schedule=k)
    moved, counts, current = run(opt, s, probe_gradients([3], steps=20))
    emitted = moved[k - 1 :: k]
    assert_meets_contract(emitted[:1], s.values([0]), "the window before the NaN")
    # Window 1 holds the NaN; windows 1, 2 and 3 are rejected, window 4 on is applied as NaN.
    np.testing.assert_array_equal(emitted[1:4], 0.0)
    assert np.all(np.isnan(emitted[4:]))
    # While rejected, the schedule stays at one applied update (the schedule's count, not
    # MultiSteps' gradient_step, is what update_count reads).
    np.testing.assert_array_equal(counts[k - 1 :: k][:4], [1, 1, 1, 1])
    assert_meets_contract(current[1:8], s.values([1] * 7), "current_rate while rejected")


def test_multisteps_skip_not_finite_drops_the_micro_batch_only():
    s = CASES["cosine"]
    opt = optax.MultiSteps(
        optimizer(optax.sgd, learning_rate=s), every_k_schedule=2, should_skip_update_fn=optax.skip_not_finite
    )
    moved, counts, _ = run(opt, s, probe_gradients([3, 40, 41], steps=60))
    # Micro-batches 3, 40 and 41 are dropped; every other pair of finite ones is one update.
    finite = [i for i in range(60) if i not in (3, 40, 41)]
    emits = finite[1::2]
    assert_meets_contract(moved[emits], s.values(np.arange(len(emits))), "skip_not_finite")
    np.testing.assert_array_equal(np.delete(moved, emits), 0.0)
    assert int(counts[-1]) == len(emits)
