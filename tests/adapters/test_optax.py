"""The optax adapter in real optax training loops, checked against the float64 reference.

Every catalog case trains a tiny model for 10,000 updates in one jitted ``lax.scan`` with
``optax.inject_hyperparams(optax.sgd)``, and the learning rate it applied at each update
must meet SPEC 7: float32(reference) at every step, in JAX's default float32 (double-float
pairs: 1 ulp allowed at near ties only) and with x64 (nox runs this file a second time with
``JAX_ENABLE_X64=1``).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference
from tests.core.test_precision import RISING_PAIRS, probe_steps

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
from lrcore.adapters.optax import JaxNamespace, namespace, runner, schedule  # noqa: E402
from lrcore.precision import ulps  # noqa: E402

X64 = bool(jax.config.jax_enable_x64)
UPDATES = 10_000
INT32_MAX = 2**31 - 1


def assert_meets_contract(applied, reference, what=""):
    """SPEC 7 for the optax adapter's default evaluation: float32(reference), but 1 ulp at
    near ties in float32 (``tests.contract``)."""
    assert_float32_reference(applied, reference, what, near_ties=not X64)


def primitives(jaxpr):
    """Every primitive in a jaxpr, nested jaxprs (jit, scan, cond) included."""
    found = set()
    for eqn in jaxpr.eqns:
        found.add(eqn.primitive.name)
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else (param,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    found |= primitives(inner)
    return found


def tiny_problem():
    """A 4-feature linear regression, plus a probe parameter whose gradient is exactly 1."""
    x = jnp.linspace(-1.0, 1.0, 64, dtype=jnp.float32).reshape(16, 4)
    y = x @ jnp.asarray([0.5, -1.0, 2.0, 0.25], jnp.float32) + 0.3
    params = {
        "w": jnp.zeros(4, jnp.float32),
        "b": jnp.zeros((), jnp.float32),
        "probe": jnp.zeros((), jnp.float32),
    }

    def loss(p):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2) + p["probe"]

    return params, loss


def train(opt, updates, lr_of=lambda state: state.hyperparams["learning_rate"]):
    """Run ``updates`` optimizer updates in one jitted scan; per update return the
    logged learning rate, the probe's change (lr times gradient 1) and the loss."""
    params, loss = tiny_problem()

    def step(carry, _):
        p, state = carry
        # The probe restarts at 0 so its change, -lr * 1, is exact in float32.
        p = {**p, "probe": jnp.zeros_like(p["probe"])}
        value, grads = jax.value_and_grad(loss)(p)
        moves, state = opt.update(grads, state, p)
        new = optax.apply_updates(p, moves)
        return (new, state), (lr_of(state), p["probe"] - new["probe"], value)

    run = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), None, length=updates))
    _, (lrs, witness, losses) = run(params, opt.init(params))
    return np.asarray(lrs), np.asarray(witness), np.asarray(losses)


# -- every catalog case, in a real training loop --------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_training_loop_applies_the_reference(name):
    s = CASES[name]
    lr = schedule(s)
    steps = np.arange(UPDATES)
    reference = s.values(steps)

    applied, witness, losses = train(optax.inject_hyperparams(optax.sgd)(learning_rate=lr), UPDATES)
    assert applied.dtype == (np.float64 if X64 else np.float32)
    assert_meets_contract(applied, reference, name)
    # The update really used that rate: the probe moved by exactly float32(lr).
    np.testing.assert_array_equal(witness, applied.astype(np.float32))
    assert losses[-1] < losses[0]  # it trained

    # vmap over all counts at once gives the values the scalar loop applied, bit for bit;
    # optax's count is int32, so its last values must hold too (no wrap, no NaN).
    last = [INT32_MAX - 2, INT32_MAX - 1, INT32_MAX]
    counts = jnp.concatenate([jnp.arange(UPDATES, dtype=jnp.int32), jnp.asarray(last, jnp.int32)])
    batched = np.asarray(jax.jit(jax.vmap(lr))(counts))
    np.testing.assert_array_equal(batched[:UPDATES], applied)
    assert_meets_contract(batched[UPDATES:], s.values(last), f"{name} near 2**31")


@pytest.mark.parametrize("name", list(CASES))
def test_traces_to_jax_ops_without_callbacks(name):
    lr = schedule(CASES[name])
    jaxpr = jax.make_jaxpr(lr)(jnp.int32(7))
    used = primitives(jaxpr.jaxpr)
    assert not any("callback" in p for p in used), used
    assert jaxpr.out_avals[0].dtype == namespace().float


def test_optax_count_saturates_at_the_int32_limit():
    s = lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=1000, peak_decay=0.9)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(s))
    params, loss = tiny_problem()
    near = jnp.asarray(INT32_MAX - 2, jnp.int32)
    state = opt.init(params)
    wrapped = state.hyperparams_states["learning_rate"]
    state = state._replace(count=near, hyperparams_states={"learning_rate": wrapped._replace(count=near)})
    step = jax.jit(lambda p, st: opt.update(jax.grad(loss)(p), st, p)[1])
    logged = []
    for _ in range(4):
        state = step(params, state)
        logged.append(float(state.hyperparams["learning_rate"]))
    assert int(state.hyperparams_states["learning_rate"].count) == INT32_MAX
    assert_meets_contract(logged, s.values([INT32_MAX - 2, INT32_MAX - 1, INT32_MAX, INT32_MAX]))


# -- compile once, inside optax's combinators -------------------------------------------


def test_one_compile_for_many_updates():
    s = CASES["warmup_join_nested"]
    lr = schedule(s)
    traces = []

    def counting(count):
        traces.append(type(count).__name__)
        return lr(count)

    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=counting, weight_decay=1e-4)
    params, loss = tiny_problem()
    state = opt.init(params)  # evaluates the schedule once, eagerly, at count 0

    @jax.jit
    def step(p, st):
        moves, st = opt.update(jax.grad(loss)(p), st, p)
        return optax.apply_updates(p, moves), st

    before = len(traces)
    logged = []
    for _ in range(300):
        params, state = step(params, state)
        logged.append(state.hyperparams["learning_rate"])
    assert step._cache_size() == 1
    assert len(traces) - before == 1  # traced once, never called from Python again
    assert_meets_contract(np.asarray(logged), s.values(np.arange(300)), "adamw")


def test_multi_transform_runs_two_schedules_on_two_groups():
    first, second = CASES["warmup"], CASES["cyclic_triangular2"]
    opt = optax.multi_transform(
        {
            "a": optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(first)),
            "b": optax.inject_hyperparams(optax.sgd)(learning_rate=schedule(second)),
        },
        {"x": "a", "y": "b"},
    )
    params = {"x": jnp.zeros(3, jnp.float32), "y": jnp.zeros(2, jnp.float32)}

    def step(carry, _):
        state = carry
        grads = jax.tree.map(jnp.ones_like, params)  # gradient 1: the update is -lr
        moves, state = opt.update(grads, state, params)
        logged = {k: state.inner_states[k].inner_state.hyperparams["learning_rate"] for k in ("a", "b")}
        return state, (-moves["x"][0], -moves["y"][0], logged["a"], logged["b"])

    run = jax.jit(lambda st: jax.lax.scan(step, st, None, length=2000))
    _, (moved_x, moved_y, logged_a, logged_b) = run(opt.init(params))
    steps = np.arange(2000)
    assert_meets_contract(logged_a, first.values(steps), "group a")
    assert_meets_contract(logged_b, second.values(steps), "group b")
    np.testing.assert_array_equal(
        np.asarray(moved_x).astype(np.float32), np.asarray(logged_a).astype(np.float32)
    )
    np.testing.assert_array_equal(
        np.asarray(moved_y).astype(np.float32), np.asarray(logged_b).astype(np.float32)
    )


def test_chain_clip_then_scale_by_schedule():
    s = CASES["one_cycle"]
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.scale_by_schedule(schedule(s)))
    params = jnp.zeros((), jnp.float32)

    def step(state, _):
        moves, state = opt.update(jnp.float32(3.0), state, params)  # clipped to exactly 1
        return state, moves

    _, moves = jax.jit(lambda st: jax.lax.scan(step, st, None, length=2000))(opt.init(params))
    assert_meets_contract(np.asarray(moves), s.values(np.arange(2000)), "chain")


# -- inputs, dtypes and errors ------------------------------------------------------------


def test_counts_of_any_integer_type_give_the_same_value():
    s = CASES["piecewise_linear"]
    lr = schedule(s)
    expected = lr(700)
    assert expected.dtype == namespace().float and expected.shape == ()
    counts = [700, np.int64(700), np.uint16(700), np.asarray(700, np.int32)]
    counts += [jnp.asarray(700, dtype) for dtype in (jnp.int16, jnp.int32, jnp.uint32, jnp.uint16)]
    for count in counts:
        value = lr(count)
        assert value.dtype == expected.dtype, type(count)
        assert value == expected, type(count)
        if isinstance(count, jax.Array):  # traced as well (each dtype compiles once)
            assert jax.jit(lr)(count) == expected, count.dtype
    batch = lr(np.asarray([[0, 700], [1499, 5000]]))
    assert batch.shape == (2, 2) and batch[0, 1] == expected


def test_wide_traced_counts_saturate_instead_of_wrapping():
    s = CASES["cosine_restarts"]
    lr = jax.jit(schedule(s, bits=32))
    at_max = lr(jnp.int32(INT32_MAX))
    assert lr(jnp.asarray(2**32 - 1, jnp.uint32)) == at_max
    assert lr(jnp.asarray(2**31, jnp.uint32)) == at_max


def test_bad_host_counts_raise_config_errors():
    lr = schedule(CASES["linear"])
    for bad in (-1, np.int64(-5), 2.5, np.asarray([1.0, 2.0])):
        with pytest.raises(lrcore.ConfigError, match=r"^t:"):
            lr(bad)
    if not X64:
        with pytest.raises(lrcore.ConfigError, match="2147483647"):
            lr(INT32_MAX + 1)
    with pytest.raises(lrcore.ConfigError, match=r"^t:"):
        jax.jit(lr)(jnp.float32(3.0))


def test_negative_traced_counts_read_as_zero():
    s = CASES["warmup"]
    lr = jax.jit(schedule(s))
    assert lr(jnp.int32(-5)) == lr(jnp.int32(0))


# A step parameter beyond int32: refused with the field's path unless x64 gives int64 steps.
TOO_WIDE = [
    (lrcore.linear(start=0.1, end=0.0, steps=3_000_000_000), "steps"),
    (lrcore.piecewise_linear(boundaries=[0, 10, 3_000_000_000], values=[0.0, 0.1, 0.01]), "boundaries[2]"),
    (
        lrcore.warmup(lrcore.step(start=0.1, gamma=0.5, step_size=3_000_000_000), steps=10),
        "schedule.step_size",
    ),
    (
        lrcore.join([lrcore.constant(value=0.1), lrcore.constant(value=0.2)], boundaries=[2**31]),
        "boundaries[0]",
    ),
    # Each fits, their sum (the cycle length) does not.
    (lrcore.cyclic(low=0.01, high=0.1, up=2**30, down=2**30 + 1), "down"),
]


@pytest.mark.parametrize(("s", "path"), TOO_WIDE, ids=[p for _, p in TOO_WIDE])
def test_parameters_beyond_the_step_type(s, path):
    if not X64:
        with pytest.raises(lrcore.ConfigError, match="int32") as error:
            schedule(s)
        assert error.value.path == path
        return
    counts = [0, 5, 2**31 - 1, 2**31 + 5, 3_000_000_001, 2**40]
    values = np.asarray(jax.jit(jax.vmap(schedule(s)))(jnp.asarray(counts, jnp.int64)))
    assert_meets_contract(values, s.values(counts), path)


def test_largest_int32_parameters_work():
    for s in (
        lrcore.linear(start=0.1, end=0.0, steps=INT32_MAX - 1),
        lrcore.piecewise_constant(boundaries=[10, INT32_MAX], values=[0.1, 0.05, 0.01]),
        lrcore.exponential(start=0.1, rate=0.5, steps=10, begin=INT32_MAX),
    ):
        counts = [0, 1, 2**24 + 1, INT32_MAX - 1, INT32_MAX]
        values = np.asarray(jax.jit(jax.vmap(schedule(s, bits=32)))(jnp.asarray(counts, jnp.int32)))
        assert_float32_reference(values, s.values(counts), repr(s), near_ties=True)


@pytest.mark.parametrize(("first_cycle", "cycle_mult"), [(2**30, 4), (1000, 4), (2**29, 2), (10, 2)])
def test_restarts_with_a_cycle_longer_than_int32(first_cycle, cycle_mult):
    # The last cycle an int32 step reaches is longer than int32 steps: evaluated from its
    # true length, at its start, its middle reached and the last int32 step.
    s = lrcore.cosine_restarts(start=0.1, end=0.0, first_cycle=first_cycle, cycle_mult=cycle_mult)
    starts = [b for b in s._starts() if b <= INT32_MAX]
    assert any(b + first_cycle * cycle_mult**i > INT32_MAX for i, b in enumerate(starts))
    counts = sorted({c for b in starts for c in (b - 1, b, b + 1, b + (INT32_MAX - b) // 2)} | {INT32_MAX})
    counts = [c for c in counts if 0 <= c <= INT32_MAX]
    values = np.asarray(jax.jit(jax.vmap(schedule(s, bits=32)))(jnp.asarray(counts, jnp.int32)))
    assert_float32_reference(
        values, s.values(counts), f"{first_cycle}, {cycle_mult}", steps=counts, near_ties=True
    )


def test_restarts_refused_where_int32_steps_cross_a_long_cycle_middle():
    # Cycle 1 starts at 2**29 and lasts 5 * 2**29 steps: int32 steps reach past its middle,
    # where remaining steps no longer fit. Refused when built, naming the field and value.
    s = lrcore.cosine_restarts(start=0.1, end=0.0, first_cycle=2**29, cycle_mult=5)
    with pytest.raises(lrcore.ConfigError, match="jax_enable_x64") as error:
        schedule(s, bits=32)
    assert error.value.path == "cycle_mult" and error.value.got == 5
    assert "cycle 1 starts at step 536870912" in str(error.value)


# -- rising curves (start < end) in float32 under jit (issue 20) ---------------------------

RISING = {
    "cosine": lrcore.cosine(start=1e-6, end=0.1, steps=1000),
    "cosine_exponent_2": lrcore.cosine(start=1e-6, end=0.1, steps=1000, exponent=2.0),
    "cosine_exponent_0.3": lrcore.cosine(start=1e-5, end=0.1, steps=1000, exponent=0.3),
    "polynomial_power_2": lrcore.polynomial(start=1e-6, end=0.1, steps=1000, power=2.0),
    "polynomial_power_0.37_cycle": lrcore.polynomial(start=1e-5, end=0.1, steps=300, power=0.37, cycle=True),
    "tanh": lrcore.tanh(start=1e-6, end=0.1, steps=1000),
    "cosine_restarts": lrcore.cosine_restarts(start=1e-6, end=0.1, first_cycle=300, peak_decay=0.7),
    "cosine_restarts_mult": lrcore.cosine_restarts(start=1e-5, end=0.1, first_cycle=50, cycle_mult=2),
    "wsd_1-sqrt": lrcore.warmup_stable_decay(
        peak=1e-5, end=0.1, warmup=100, decay=500, total=1000, decay_shape="1-sqrt"
    ),
    "rex": lrcore.rex(start=1e-6, end=0.1, steps=1000),
}


@pytest.mark.parametrize("name", list(RISING))
def test_rising_curves_meet_the_contract_under_jit(name):
    """``end + (start - end) * w`` cancels in float32 near a small ``start``; jit (with XLA's
    rewrites) must keep what the host float32 path keeps."""
    s = RISING[name]
    counts = np.concatenate([np.arange(2_000), [INT32_MAX - 1, INT32_MAX]])
    applied = np.asarray(jax.jit(jax.vmap(schedule(s)))(jnp.asarray(counts, jnp.int32)))
    assert_meets_contract(applied, s.values(counts), name)


# -- double-float evaluation in float32 (SPEC 7: float32(reference) at every step) -------

# Shapes the extended namespace evaluates end to end in float pairs: float32(reference) at
# every step (measured: no step differs on these cases).
EXACT_IN_PAIRS = [
    "constant", "linear", "polynomial", "polynomial_cycle", "cosine", "cosine_exponent", "exponential",
    "exponential_staircase", "step", "multistep", "piecewise_constant", "piecewise_linear",
    "inverse_time", "inverse_sqrt", "cosine_restarts", "cosine_restarts_mult", "cyclic",
    "cyclic_triangular2", "cyclic_momentum", "one_cycle", "one_cycle_three_phase",
    "warmup_stable_decay", "warmup_stable_decay_cosine", "warmup_stable_decay_sqrt", "tanh", "rex",
    "warmup", "warmup_cosine_shape", "warmup_join_nested", "join", "scale", "clip", "per_epoch",
]  # fmt: skip


def extended_fn(s):
    xp = JaxNamespace(32, extended=True)
    return jax.jit(jax.vmap(lambda t: s.evaluate(xp.as_int(t), xp).astype(jnp.float32)))


@pytest.mark.parametrize("name", EXACT_IN_PAIRS)
def test_extended_float32_is_the_rounded_reference(name):
    s = CASES[name]
    s = getattr(s, "schedule", s)
    counts = np.arange((s.horizon or 20_000) + 50)
    applied = np.asarray(extended_fn(s)(jnp.asarray(counts, jnp.int32)))
    reference = s.values(counts)
    bad = np.flatnonzero(applied != reference.astype(np.float32))
    assert bad.size == 0, (
        f"{name}: {bad.size} steps differ, first {bad[:5]}, {ulps(reference[bad], applied[bad])[:5]} ulps"
    )


@pytest.mark.parametrize(
    "s",
    [
        lrcore.linear(start=3e-4, end=0.0, steps=10**7),
        lrcore.cosine(start=0.1, end=1e-5, steps=10**7),
        lrcore.cosine(start=1e-6, end=0.1, steps=10**7),  # rising: cancelled to 15,000 ulps in numpy float32
    ],
    ids=["linear", "cosine", "cosine_rising"],
)
def test_extended_over_a_ten_million_step_horizon(s):
    # Every step of a 10**7 horizon, under jit: a step that differs is a near-tie, and
    # none is more than 1 ulp off (measured: 0-1 such steps per curve).
    counts = np.arange(10**7 + 1)
    applied = np.asarray(extended_fn(s)(jnp.asarray(counts, jnp.int32)))
    assert_float32_reference(applied, s.values(counts), repr(s), near_ties=True)


@pytest.mark.parametrize("name", list(RISING_PAIRS))
def test_extended_rising_curves_are_the_rounded_reference(name):
    """Rising curves in pairs are evaluated from their nearer end too (from the far end the
    pairs keep ~2**-48 of ``end``, not of the value near a small ``start``): the host's
    probe steps, under jit."""
    s = RISING_PAIRS[name]
    counts = np.concatenate([probe_steps(s), [INT32_MAX - 1, INT32_MAX]])
    applied = np.asarray(extended_fn(s)(jnp.asarray(counts, jnp.int32)))
    assert_float32_reference(applied, s.values(counts), name, steps=counts, near_ties=True)


def test_extended_is_the_default_and_stays_in_the_trace():
    xp = JaxNamespace(32, extended=True)
    assert namespace(32).extended and not namespace(32, extended=False).extended
    with pytest.raises(lrcore.ConfigError, match="extended"):
        JaxNamespace(64, extended=True)
    used = primitives(
        jax.make_jaxpr(lambda t: CASES["cosine"].evaluate(t, xp).astype(jnp.float32))(jnp.int32(3)).jaxpr
    )
    assert "optimization_barrier" in used and not any("callback" in p for p in used), used


def test_table_is_a_constant_lookup():
    s = CASES["table"]
    used = primitives(jax.make_jaxpr(schedule(s))(jnp.int32(3)).jaxpr)
    assert "gather" in used and not any("callback" in p for p in used), used
    values = np.asarray(jax.jit(jax.vmap(schedule(s)))(jnp.arange(1300)))
    np.testing.assert_array_equal(values.astype(np.float32), s.values(np.arange(1300)).astype(np.float32))


def test_config_mapping_and_bits():
    s = CASES["warmup"]
    assert schedule(s.to_config())(17) == schedule(s)(17)
    assert "lrcore.warmup" in repr(schedule(s))
    with pytest.raises(lrcore.ConfigError, match="bits"):
        JaxNamespace(16)
    if not X64:
        with pytest.raises(lrcore.ConfigError, match="x64"):
            schedule(s, bits=64)
    else:
        assert schedule(s, bits=32)(17).dtype == jnp.float32


# -- the conformance runner ---------------------------------------------------------------


def test_runner_records_applied_and_witness():
    s = CASES["per_epoch"].schedule
    result = runner.run(s.to_config(), 1000, steps_per_epoch=97)
    applied, witness = np.asarray(result["applied"]), np.asarray(result["witness"])
    reference = lrcore.per_epoch(s, steps_per_epoch=97).values(np.arange(1000))
    assert applied.shape == witness.shape == (1000,)
    assert_meets_contract(applied, reference, "runner")
    np.testing.assert_array_equal(witness.astype(np.float32), applied.astype(np.float32))


def test_runner_main_speaks_json(monkeypatch, capsys):
    config = CASES["cosine"].to_config()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"config": config, "steps": 50})))
    runner.main()
    result = json.loads(capsys.readouterr().out)
    assert len(result["applied"]) == len(result["witness"]) == 50
    assert_meets_contract(result["applied"], CASES["cosine"].values(np.arange(50)), "main")


@pytest.mark.parametrize("as_config", [False, True])
def test_a_plateau_is_refused_at_construction_pointing_to_plateau_transform(as_config):
    plateau = lrcore.plateau(CASES["cosine"], patience=2)
    with pytest.raises(lrcore.ConfigError, match=r"^schedule: .*lrcore\.adapters\.optax\.plateau_transform"):
        schedule(plateau.to_config() if as_config else plateau)


# -- durations (SPEC section 8) -------------------------------------------------------

RECIPE = lrcore.warmup(
    lrcore.join(
        [lrcore.cosine(start=0.1, end=0.001, steps="8ep"), lrcore.constant(value=0.001)], boundaries=["8ep"]
    ),
    steps="5%",
)


@pytest.mark.parametrize(("steps_per_epoch", "total"), [(13, 13 * 10), (40, 40 * 10)])
def test_a_recipe_with_durations_is_bound_by_the_adapter(steps_per_epoch, total):
    lr = schedule(RECIPE, total_steps=total, steps_per_epoch=steps_per_epoch)
    bound = RECIPE.bind(total_steps=total, steps_per_epoch=steps_per_epoch)
    assert lr.schedule == bound
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = jnp.zeros(3)
    state = tx.init(params)

    @jax.jit
    def step(params, state):
        updates, state = tx.update(jnp.ones(3), state, params)
        return optax.apply_updates(params, updates), state

    applied = []
    for _ in range(total + 5):
        params, state = step(params, state)
        applied.append(float(state.hyperparams["learning_rate"]))  # what the update applied
    assert_meets_contract(applied, bound.values(np.arange(total + 5)), "recipe")


def test_an_unbound_recipe_is_refused_when_the_adapter_is_built():
    with pytest.raises(lrcore.ConfigError, match="steps_per_epoch"):
        schedule(RECIPE, total_steps=100)
    with pytest.raises(lrcore.ConfigError, match="total_steps"):
        schedule(RECIPE, steps_per_epoch=10)


def test_a_schedule_is_compiled_once_per_step_not_once_per_parameter():
    # XLA fuses a copy of a cheap scalar computation into each of its readers: the learning
    # rate is read by every parameter's update, and the double-float schedule was compiled
    # once per parameter array (+230-290 ms on bench_optax's MLP step). Inside a lax.cond
    # branch it is compiled once.
    s = CASES["warmup"]
    lr = schedule(s, bits=32)  # the double-float path (also under x64)
    params = {f"w{i}": jnp.ones((8, 8), jnp.float32) for i in range(4)}
    opt = optax.sgd(lr)

    def step(params, state):
        updates, state = opt.update(jax.tree.map(jnp.ones_like, params), state, params)
        return optax.apply_updates(params, updates), state

    hlo = jax.jit(step).lower(params, opt.init(params)).compile().as_text()
    alone = jax.jit(lr).lower(jnp.int32(3)).compile().as_text()
    # the pair arithmetic's bit masks (split) and table lookups, as often as in the schedule alone
    for op in ("bitcast-convert(", "dynamic-slice("):
        assert hlo.count(op) == alone.count(op) > 0, f"{op} the schedule was copied into several fusions"
