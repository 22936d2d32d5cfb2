"""Resuming optax training from a NumPy checkpoint continues the learning-rate curve exactly.

A jitted training loop (``optax.inject_hyperparams(optax.adam)`` with the lrcore schedule,
data a function of the step) runs uninterrupted and, at a few stop steps (a seeded random
one, one inside the first phase, one at a breakpoint), its parameters and optimizer state
are written the way many JAX users checkpoint: ``jax.tree_util.tree_leaves`` ->
``np.savez``. A fresh ``opt.init`` gives the tree structure, ``tree_unflatten`` puts the
loaded leaves back, and training continues: the learning rates applied after the
resume (``opt_state.hyperparams["learning_rate"]``) are the same float32 (float64 under
x64) values as the uninterrupted run's, bit for bit, and those meet SPEC 7 against the
reference. The plateau transformation is resumed the same way, mid-patience. nox runs
this file in float32 and again with ``JAX_ENABLE_X64=1``.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
from lrcore.adapters.optax import core_state, namespace, plateau_transform, schedule  # noqa: E402

X64 = bool(jax.config.jax_enable_x64)
UPDATES = 1600  # past every case's horizon (about 1,500)
AFTER = 100  # updates trained after each resume
EPOCH = 10  # updates between plateau reports


def stop_steps(schedule: lrcore.Schedule, seed: int) -> list[int]:
    """A seeded random step, an early one (inside a warmup or first phase), and the first
    breakpoint (a boundary) when the schedule has one."""
    rng = random.Random(seed)
    stops = {rng.randrange(1, UPDATES - AFTER), rng.randrange(1, 60)}
    points = [b for b in schedule.breakpoints() if 0 < b < UPDATES - AFTER]
    if points:
        stops.add(points[0])
    return sorted(stops)


def initial_params():
    dtype = namespace().float
    return {"w": jnp.zeros((4,), dtype), "b": jnp.zeros((), dtype)}


def loss(params, t):
    """A regression whose batch is a function of the step ``t`` only."""
    dtype = params["w"].dtype
    x = jnp.sin(t.astype(dtype) * 0.37 + jnp.arange(32, dtype=dtype).reshape(8, 4))
    y = x @ jnp.asarray([0.5, -1.0, 2.0, 0.25], dtype) + 0.3
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


def trainer(opt, lr_of, extra=lambda t: {}):
    """A jitted ``run(params, state, lrs, first, last)``: updates ``first .. last - 1``
    (traced bounds, so one compilation serves every segment), writing the learning rate
    of update ``t`` into ``lrs[t]``."""

    def body(t, carry):
        params, state, lrs = carry
        grads = jax.grad(loss)(params, t)
        updates, state = opt.update(grads, state, params, **extra(t))
        return optax.apply_updates(params, updates), state, lrs.at[t].set(lr_of(state))

    @jax.jit
    def run(params, state, lrs, first, last):
        return jax.lax.fori_loop(first, last, body, (params, state, lrs))

    return run


def save(path, params, state) -> None:
    leaves = jax.tree_util.tree_leaves((params, state))
    np.savez(path, *[np.asarray(leaf) for leaf in leaves])


def load(path, opt):
    """Leaves from ``np.savez`` put back into the structure of a fresh ``opt.init``."""
    template = (initial_params(), opt.init(initial_params()))
    treedef = jax.tree_util.tree_structure(template)
    with np.load(path) as data:
        leaves = [jnp.asarray(data[f"arr_{i}"]) for i in range(len(data.files))]
    for leaf, like in zip(leaves, jax.tree_util.tree_leaves(template), strict=True):
        assert leaf.dtype == like.dtype and leaf.shape == like.shape
    return jax.tree_util.tree_unflatten(treedef, leaves)


def check_resumes(tmp_path, opt, run, stops, updates, inspect=None) -> np.ndarray:
    """Run uninterrupted, checkpointing at ``stops``; resume each; return the rates."""
    lrs = jnp.zeros((updates,), namespace().float)
    params, state = initial_params(), opt.init(initial_params())
    done = 0
    for k in stops:  # the uninterrupted run, paused only to write checkpoints
        params, state, lrs = run(params, state, lrs, done, k)
        save(tmp_path / f"step{k}.npz", params, state)
        if inspect is not None:
            inspect(k, state)
        done = k
    params, state, lrs = run(params, state, lrs, done, updates)
    uninterrupted = np.asarray(lrs)
    for k in stops:
        params2, state2 = load(tmp_path / f"step{k}.npz", opt)
        _, _, resumed = run(params2, state2, jnp.zeros_like(lrs), k, k + AFTER)
        resumed = np.asarray(resumed)[k : k + AFTER]
        bad = np.flatnonzero(resumed != uninterrupted[k : k + AFTER])
        assert bad.size == 0, (
            f"stop {k}: update {k + bad[0]} applied {resumed[bad[0]]!r}, expected {uninterrupted[k + bad[0]]!r}"
        )
    return uninterrupted


def assert_meets_contract(applied, reference, what: str, *, exact: bool = False) -> None:
    """SPEC 7: float32(reference) at every update; in float32 (no x64), 1 ulp allowed at
    near ties only, unless ``exact`` (a value looked up from the host, not computed)."""
    assert_float32_reference(applied, reference, what, near_ties=not (X64 or exact))


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_resumes_exactly(tmp_path, name) -> None:
    s = CASES[name]
    opt = optax.inject_hyperparams(optax.adam)(learning_rate=schedule(s))
    run = trainer(opt, lambda state: state.hyperparams["learning_rate"])
    stops = stop_steps(s, seed=sorted(CASES).index(name))
    updates = max(stops) + AFTER
    lrs = check_resumes(tmp_path, opt, run, stops, updates)
    assert_meets_contract(lrs, s.values(np.arange(updates)), name)


# -- the plateau transformation, checkpointed in the middle of a patience window ------


def losses(seed: int) -> np.ndarray:
    """One validation loss per epoch, on a grid of quarters (float32 and float64 judge
    them alike with an absolute threshold of 0.1): improving, then flat stretches."""
    rng = random.Random(seed)
    values, level = [], 40.0
    for epoch in range(UPDATES // EPOCH + 1):
        if epoch % 11 < 4:
            level -= 0.25
        values.append(level + rng.choice([0.0, 0.25, 0.5]))
    return np.asarray(values)


PLATEAUS = {
    "constant_inner": lrcore.plateau(
        0.1, patience=3, factor=0.5, cooldown=1, threshold=0.1, threshold_mode="abs"
    ),
    "schedule_inner": lrcore.plateau(
        lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1300), steps=200),
        patience=2,
        factor=0.3,
        min_lr=1e-4,
        threshold=0.1,
        threshold_mode="abs",
    ),
}


@pytest.mark.parametrize("name", list(PLATEAUS))
def test_plateau_transform_resumes_mid_patience(tmp_path, name) -> None:
    plateau = PLATEAUS[name]
    metrics = losses(seed=len(name))
    table = jnp.asarray(metrics, namespace().float)
    opt = optax.chain(optax.scale_by_adam(), plateau_transform(plateau))

    def extra(t):
        # The loss of the epoch just finished, reported with the first update of the next.
        return {"value": table[jnp.maximum(t // EPOCH - 1, 0)], "report": (t % EPOCH == 0) & (t > 0)}

    run = trainer(opt, lambda state: state[1].learning_rate, extra)
    stops = sorted({15 * EPOCH, 15 * EPOCH + 3, *random.Random(7).sample(range(1, UPDATES - AFTER), 6)})
    seen = []

    def inspect(k, state) -> None:
        seen.append(core_state(plateau, state))

    lrs = check_resumes(tmp_path, opt, run, stops, UPDATES, inspect)
    assert any(s.num_bad_epochs > 0 for s in seen), seen
    assert any(s.reductions > 0 for s in seen), seen

    state = plateau.initial_state()
    reference = []
    for t in range(UPDATES):
        if t % EPOCH == 0 and t > 0:
            state = plateau.update(state, float(metrics[t // EPOCH - 1]))
        reference.append(plateau.lr(t, state))
    # a plain plateau's rate is its level, looked up from the float64 chain: exact
    assert_meets_contract(lrs, np.asarray(reference), name, exact=plateau.plain)
