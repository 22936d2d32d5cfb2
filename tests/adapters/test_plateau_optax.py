"""The optax plateau transformation in a jitted training loop, against the float64 host
reference (which tests/adapters/test_plateau_torch.py pins to torch's ReduceLROnPlateau).

The same grid metric sequences as the core and Keras tests. SPEC 7: float32 equality
with x64; at most 4 float32 ulps in JAX's default float32 (the plain case is exact: its
levels come from the float64 chain).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import require
from tests.contract import assert_float32_reference
from tests.core.test_plateau import INNERS, grid_cases, reference_lrs

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
from lrcore._plateau import Plateau  # noqa: E402
from lrcore.adapters.optax import core_state, plateau_transform, with_core_state  # noqa: E402

X64 = bool(jax.config.jax_enable_x64)
PER_EPOCH = 6


def assert_meets_contract(applied, reference, plain: bool) -> None:
    """SPEC 7: float32(reference) at every update. A plain plateau's rate is its level, looked
    up from the float64 chain: exact; a schedule scaled by the level is computed in float32
    pairs without x64 (1 ulp allowed at near ties)."""
    assert_float32_reference(applied, reference, "plateau", near_ties=not (X64 or plain))


def inputs(metrics, per_epoch: int = PER_EPOCH):
    """Per update: the metric of the previous epoch, reported with the epoch's first
    update (report, then apply), as a validation loop feeding optax would."""
    values = np.zeros(len(metrics) * per_epoch, dtype=np.float64)
    report = np.zeros(len(metrics) * per_epoch, dtype=bool)
    for e, m in enumerate(metrics[:-1]):
        values[(e + 1) * per_epoch] = m
        report[(e + 1) * per_epoch] = True
    return values, report


def train(plateau: Plateau, metrics, state=None, start: int = 0, stop: int | None = None):
    """SGD on a quadratic in one jitted ``lax.scan``; returns the applied learning rates
    and the final optimizer state."""
    tx = optax.chain(optax.identity(), plateau_transform(plateau))
    params = jnp.ones(3)
    opt_state = tx.init(params) if state is None else state
    values, report = inputs(metrics)
    values, report = values[start:stop], report[start:stop]
    float_dtype = jnp.float64 if X64 else jnp.float32

    def body(carry, x):
        params, opt_state = carry
        value, rep = x
        grads = jax.grad(lambda p: jnp.sum((p - 2.0) ** 2))(params)
        updates, opt_state = tx.update(grads, opt_state, params, value=value, report=rep)
        return (optax.apply_updates(params, updates), opt_state), opt_state[1].learning_rate

    run = jax.jit(lambda c, xs: jax.lax.scan(body, c, xs))
    (_, opt_state), lrs = run((params, opt_state), (jnp.asarray(values, float_dtype), jnp.asarray(report)))
    return np.asarray(lrs), opt_state


@settings(max_examples=30, deadline=None)
@given(grid_cases(max_reports=16), st.sampled_from(sorted(INNERS)))
def test_same_curve_as_the_reference(case, inner) -> None:
    params, metrics = case
    plateau = Plateau(INNERS[inner], **params)
    applied, _ = train(plateau, metrics)
    assert_meets_contract(applied, reference_lrs(plateau, metrics, PER_EPOCH), plateau.plain)


def test_cooldown_and_min_lr_edges() -> None:
    plateau = Plateau(0.1, patience=1, factor=0.3, cooldown=2, min_lr=0.004)
    metrics = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    applied, state = train(plateau, metrics)
    reference = reference_lrs(plateau, metrics, PER_EPOCH)
    assert_meets_contract(applied, reference, True)
    assert sorted(set(reference.tolist()), reverse=True) == [0.1, 0.1 * 0.3, 0.1 * 0.3 * 0.3, 0.004]
    assert core_state(plateau, state).reductions == 3


@pytest.mark.parametrize("split", [3 * PER_EPOCH + 3, 4 * PER_EPOCH, 5 * PER_EPOCH + 2])  # patience, cooldown
def test_checkpoint_resume_continues_exactly(split) -> None:
    plateau = Plateau(INNERS["warmup_cosine"], patience=2, factor=0.5, cooldown=1, min_lr=0.001)
    metrics = [3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    whole, _ = train(plateau, metrics)
    first, mid = train(plateau, metrics, stop=split)
    # 1. the optimizer state as a plain pytree of arrays (what a checkpointer stores)
    saved = jax.tree.map(np.asarray, jax.device_get(mid))
    rest, _ = train(plateau, metrics, state=jax.tree.map(jnp.asarray, saved), start=split)
    np.testing.assert_array_equal(np.concatenate([first, rest]), whole)
    # 2. the plateau state through JSON (the core's format, shared with torch and Keras)
    data = json.loads(json.dumps(plateau.state_to_dict(core_state(plateau, mid[1]))))
    tx = plateau_transform(plateau)
    restored = with_core_state(plateau, tx.init(jnp.ones(3)), plateau.state_from_dict(data), count=split)
    rest, _ = train(plateau, metrics, state=(optax.identity().init(jnp.ones(3)), restored), start=split)
    np.testing.assert_array_equal(np.concatenate([first, rest]), whole)
    assert core_state(plateau, mid[1]).num_bad_epochs > 0 or core_state(plateau, mid[1]).cooldown_counter > 0


def test_jit_compiles_once_and_state_round_trips() -> None:
    plateau = Plateau(0.1, patience=0)
    tx = plateau_transform(plateau)
    traces = []

    @jax.jit
    def step(params, state, value, report):
        traces.append(1)
        return tx.update(params, state, params, value=value, report=report)

    params = jnp.ones(2)
    state = tx.init(params)
    for value, report in [(1.0, True), (5.0, False), (2.0, True), (3.0, True)]:
        updates, state = step(params, state, jnp.float32(value), report)
    assert len(traces) == 1
    host = core_state(plateau, state)
    assert host == plateau.update(plateau.update(plateau.update(plateau.initial_state(), 1.0), 2.0), 3.0)
    assert host.level == 0.0010000000000000002  # the exact float64 level, also from float32
    np.testing.assert_allclose(np.asarray(updates), -np.float32(host.level) * np.ones(2))


def test_no_value_only_steps_and_nonfinite() -> None:
    tx = plateau_transform(Plateau(0.1, patience=0, nonfinite="raise"))
    params = jnp.ones(2)
    state = tx.init(params)
    _, state = tx.update(params, state)
    assert int(state.reports) == 0 and int(state.count) == 1
    with pytest.raises(ValueError, match="finite"):
        tx.update(params, state, value=float("nan"))
    # traced, a non-finite metric cannot raise: it counts as a bad epoch, lr stays finite
    ignore = plateau_transform(Plateau(0.1, patience=0))
    state = ignore.init(params)
    f = jax.jit(lambda s, v: ignore.update(params, s, value=v))
    _, state = f(state, jnp.float32(1.0))
    _, state = f(state, jnp.float32(jnp.nan))
    assert int(state.reductions) == 1 and np.isfinite(float(state.learning_rate))
    assert float(state.best) == 1.0


def test_config_mapping_and_bad_plateau() -> None:
    tx = plateau_transform({"type": "plateau", "schedule": 0.1})
    assert float(tx.init(jnp.ones(1)).learning_rate) == np.float32(0.1)
    with pytest.raises(lrcore.ConfigError):
        plateau_transform(lrcore.constant(value=0.1))


def test_durations_are_bound_by_total_steps_and_steps_per_epoch() -> None:
    def plateau(inner_steps, warmup):
        cosine = lrcore.cosine(start=0.1, end=0.001, steps=inner_steps)
        return Plateau(lrcore.warmup(cosine, steps=warmup), patience=1, factor=0.5, cooldown=1)

    metrics = [3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    total = PER_EPOCH * len(metrics)  # 72 updates
    recipe = plateau("10ep", "5%")
    by_hand = plateau(10 * PER_EPOCH, 4)  # 5% of 72 is 3.6
    tx = optax.chain(
        optax.identity(), plateau_transform(recipe, total_steps=total, steps_per_epoch=PER_EPOCH)
    )
    params = jnp.ones(3)
    values, report = inputs(metrics)
    float_dtype = jnp.float64 if X64 else jnp.float32

    def body(carry, x):
        params, opt_state = carry
        grads = jax.grad(lambda p: jnp.sum((p - 2.0) ** 2))(params)
        updates, opt_state = tx.update(grads, opt_state, params, value=x[0], report=x[1])
        return (optax.apply_updates(params, updates), opt_state), opt_state[1].learning_rate

    run = jax.jit(lambda c, xs: jax.lax.scan(body, c, xs))
    (_, state), applied = run(
        (params, tx.init(params)), (jnp.asarray(values, float_dtype), jnp.asarray(report))
    )
    reference = reference_lrs(by_hand, metrics, PER_EPOCH)
    assert_meets_contract(np.asarray(applied), reference, False)
    assert core_state(by_hand, state).reductions >= 2
    # unbound: refused before anything is traced, naming the parameter and the argument
    with pytest.raises(
        lrcore.ConfigError, match=r"^plateau\.schedule\.schedule\.steps: .*'10ep'.*steps_per_epoch="
    ):
        plateau_transform(recipe.to_config())
    with pytest.raises(lrcore.ConfigError, match=r"^plateau\.schedule\.steps: .*'5%'.*total_steps="):
        plateau_transform(recipe, steps_per_epoch=PER_EPOCH)
