"""Tiny runs through the optax adapter (SPEC section 8, issue 15): every catalog case with each
duration set to 1, 2 and 3 (tests/core/test_durations.py's generator), each also under a
warmup as long as the whole run, evaluated inside ``jax.jit`` in real updates. Each applies
float32(reference) (SPEC 7), or is a ``ConfigError`` at build; never a NaN (optax#1403).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.adapters.test_optax import assert_meets_contract
from tests.catalog_cases import CASES
from tests.conftest import require
from tests.core.test_durations import tiny

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
from lrcore.adapters.optax import optimizer  # noqa: E402

UPDATES = 20  # past 4n + 8 for n <= 3: every tiny horizon and its hold


def variants(name):
    """(label, schedule config builder) for the tiny runs of one case."""
    for n in (1, 2, 3):
        config = tiny(CASES[name].to_config(), n)
        yield f"n={n}", lambda config=config: lrcore.from_config(config)
        yield (
            f"n={n}, warmup=100%",
            lambda config=config, n=n: lrcore.warmup(lrcore.from_config(config), steps="100%").bind(
                total_steps=n
            ),
        )


def build(name):
    """The schedules that build and their optimizers; the ConfigErrors of those that do not."""
    built, refused = {}, {}
    for label, make in variants(name):
        try:
            s = make()
            built[label] = (s, optimizer(optax.sgd, learning_rate=s))
        except lrcore.ConfigError as error:
            refused[label] = error
    return built, refused


@pytest.mark.parametrize("name", list(CASES))
def test_tiny_runs_apply_the_reference_or_refuse_at_build(name):
    built, refused = build(name)
    for label, error in refused.items():
        assert error.path and "expected" in str(error), (label, error)
    run_tiny(name, built)


def run_tiny(name, built):
    """Every built schedule in real sgd updates inside one jit: the probe (gradient 1) moves by
    the applied rate, which must be finite, the logged one, and the reference."""
    probe = jnp.zeros((), jnp.float32)

    @jax.jit
    def run():
        out = {}
        for label, (_, opt) in built.items():

            def step(state, _, opt=opt):
                moves, state = opt.update(jnp.float32(1.0), state, probe)  # gradient 1: moves by -lr
                return state, (-moves, state.hyperparams["learning_rate"])

            out[label] = jax.lax.scan(step, opt.init(probe), None, length=UPDATES)[1]
        return out

    steps = np.arange(UPDATES)
    for label, (moved, logged) in run().items():
        s = built[label][0]
        what = f"{name}, {label}"
        assert np.all(np.isfinite(moved)) and np.all(np.isfinite(logged)), what
        assert_meets_contract(moved, s.values(steps), what)
        np.testing.assert_array_equal(moved, np.asarray(logged, np.float32), what)


# The types whose every duration cannot be n at once (one_cycle's total >= 2 with both phases
# at least one step; warmup_stable_decay's warmup + decay <= total): tiny runs that build.
TINY_BUILDS = {
    "one_cycle total=2": lrcore.one_cycle(peak=0.1, total=2, warmup_fraction=0.6),
    "one_cycle total=2 three_phase": lrcore.one_cycle(
        peak=0.1, total=2, warmup_fraction=0.6, three_phase=True
    ),
    "one_cycle total=3": lrcore.one_cycle(peak=0.1, total=3, warmup_fraction=0.5, anneal="linear"),
    "one_cycle total=3 momentum": lrcore.one_cycle(peak=0.1, total=3, warmup_fraction=0.4, curve="momentum"),
    "wsd 1+0+1": lrcore.warmup_stable_decay(peak=0.1, warmup=1, decay=1, total=2),
    "wsd 1+1+1": lrcore.warmup_stable_decay(peak=0.1, warmup=1, decay=1, total=3),
    "wsd 0+0+1": lrcore.warmup_stable_decay(peak=0.1, warmup=0, decay=1, total=1),
    "wsd 1+0+0": lrcore.warmup_stable_decay(peak=0.1, warmup=1, decay=0, total=1),
}


def test_tiny_one_cycle_and_warmup_stable_decay():
    run_tiny(
        "tiny builds", {label: (s, optimizer(optax.sgd, learning_rate=s)) for label, s in TINY_BUILDS.items()}
    )


@pytest.mark.parametrize("total", [1, 2, 3])
def test_warmup_stable_decay_with_warmup_the_whole_run(total):
    s = lrcore.warmup_stable_decay(peak=0.1, warmup="100%", decay=0, total="100%")
    opt = optimizer(optax.sgd, learning_rate=s, total_steps=total)
    bound = s.bind(total_steps=total)
    probe = jnp.zeros((), jnp.float32)

    def step(state, _):
        moves, state = opt.update(jnp.float32(1.0), state, probe)
        return state, -moves

    moved = jax.jit(lambda: jax.lax.scan(step, opt.init(probe), None, length=total + 4)[1])()
    assert_meets_contract(np.asarray(moved), bound.values(np.arange(total + 4)), f"total={total}")
