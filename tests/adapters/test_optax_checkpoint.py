"""Resuming an optax run with a changed plan (SPEC section 8, issue 15): a real jitted run is
saved after 300 updates (pickle of the state and the plan), restored, and continued; the
learning rate applied after the resume is checked against the plan it should follow.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from tests.adapters.test_optax import assert_meets_contract
from tests.conftest import require

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
from lrcore.adapters.optax import checkpoint, optimizer  # noqa: E402
from lrcore.checkpoint import PlanChangedWarning  # noqa: E402

BEFORE, AFTER = 300, 200
OLD = lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=1000), steps=50)
NEW = lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=2000), steps=50)
PARAMS = {"w": jnp.zeros(3, jnp.float32)}


def train(opt, state, updates):
    """``updates`` jitted adamw updates from ``state``; the final state and, per update, the
    hyperparameters it applied."""

    def step(carry, _):
        p, st = carry
        moves, st = opt.update({"w": jnp.ones(3, jnp.float32)}, st, p)
        return (optax.apply_updates(p, moves), st), st.hyperparams

    (_, state), hyper = jax.jit(lambda st: jax.lax.scan(step, (PARAMS, st), None, length=updates))(state)
    return state, jax.tree.map(np.asarray, hyper)


def saved_run(plan, **binding):
    """Train ``BEFORE`` updates with ``plan`` (a mapping of optimizer arguments), then pickle
    the checkpoint as a training script would."""
    opt = optimizer(optax.adamw, **plan, **binding)
    state, _ = train(opt, opt.init(PARAMS), BEFORE)
    return pickle.dumps(checkpoint.save(state, plan, **binding))


def resumed_rates(blob, plan, *, prefer=None, **binding):
    opt_state, resumed = checkpoint.restore(pickle.loads(blob), plan, prefer=prefer, **binding)
    _, hyper = train(optimizer(optax.adamw, **resumed, **binding), opt_state, AFTER)
    return resumed, hyper


def check(rates, s, what):
    assert_meets_contract(rates, s.values(np.arange(BEFORE, BEFORE + AFTER)), what)


def test_an_equal_plan_resumes_silently_where_it_stopped():
    blob = saved_run({"learning_rate": OLD})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed, hyper = resumed_rates(blob, {"learning_rate": lrcore.from_config(OLD.to_config())})
    assert resumed == {"learning_rate": OLD}
    check(hyper["learning_rate"], OLD, "equal plan")


def test_a_changed_horizon_warns_naming_it_and_resumes_with_the_checkpoints():
    blob = saved_run({"learning_rate": OLD})
    with pytest.warns(PlanChangedWarning, match=r"learning_rate: .*schedule\.steps: 1000 -> 2000") as record:
        resumed, hyper = resumed_rates(blob, {"learning_rate": NEW})
    assert len(record) == 1 and "prefer='current'" in str(record[0].message)
    assert resumed == {"learning_rate": OLD}
    check(hyper["learning_rate"], OLD, "the checkpoint's plan")


def test_prefer_current_switches_the_curve_at_the_resume_step():
    blob = saved_run({"learning_rate": OLD})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed, hyper = resumed_rates(blob, {"learning_rate": NEW}, prefer="current")
        assert checkpoint.restore(pickle.loads(blob), {"learning_rate": NEW}, prefer="checkpoint")[1] == {
            "learning_rate": OLD
        }
    assert resumed == {"learning_rate": NEW}
    check(hyper["learning_rate"], NEW, "the current plan")
    assert OLD(BEFORE) != NEW(BEFORE)  # the curve really changed at the resume step


def test_several_schedules_and_a_single_one():
    decay = lrcore.linear(start=0.0, end=0.1, steps=800)
    blob = saved_run({"learning_rate": OLD, "weight_decay": decay})
    longer = lrcore.linear(start=0.0, end=0.1, steps=1600)
    with pytest.warns(PlanChangedWarning, match=r"weight_decay: .*steps: 800 -> 1600"):
        resumed, hyper = resumed_rates(blob, {"learning_rate": OLD, "weight_decay": longer})
    assert resumed == {"learning_rate": OLD, "weight_decay": decay}
    check(hyper["weight_decay"], decay, "weight decay")
    # One schedule, not a mapping: the same, without names.
    single = checkpoint.save({"count": 3}, OLD)
    with pytest.warns(PlanChangedWarning, match=r"^checkpoint: .*schedule\.steps: 1000 -> 2000"):
        assert checkpoint.restore(single, NEW) == ({"count": 3}, OLD)


def test_a_schedule_added_or_dropped_is_a_change_too():
    blob = pickle.loads(saved_run({"learning_rate": OLD}))
    decay = lrcore.constant(value=0.01)
    with pytest.warns(PlanChangedWarning, match="weight_decay: not in the checkpoint, given now"):
        _, resumed = checkpoint.restore(blob, {"learning_rate": OLD, "weight_decay": decay})
    assert resumed == {"learning_rate": OLD, "weight_decay": decay}
    _, resumed = checkpoint.restore(blob, {"learning_rate": OLD, "weight_decay": decay}, prefer="checkpoint")
    assert resumed == {"learning_rate": OLD}
    two = checkpoint.save({}, {"learning_rate": OLD, "weight_decay": decay})
    with pytest.warns(PlanChangedWarning, match="weight_decay: in the checkpoint, not given now"):
        assert checkpoint.restore(two, {"learning_rate": OLD})[1] == {"learning_rate": OLD}
    assert checkpoint.restore(two, {"learning_rate": OLD}, prefer="checkpoint")[1] == {
        "learning_rate": OLD,
        "weight_decay": decay,
    }


def test_durations_are_recorded_bound_so_a_new_run_length_is_a_change():
    recipe = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps="95%"), steps="5%")
    blob = saved_run({"learning_rate": recipe}, total_steps=1000)
    with pytest.warns(
        PlanChangedWarning, match=r"learning_rate: .*schedule\.steps: 950 -> 1900; steps: 50 -> 100"
    ):
        resumed, hyper = resumed_rates(blob, {"learning_rate": recipe}, total_steps=2000)
    assert resumed == {"learning_rate": recipe.bind(total_steps=1000)}
    check(hyper["learning_rate"], recipe.bind(total_steps=1000), "bound recipe")


def test_the_plan_is_one_pytree_leaf_whatever_the_schedule():
    a = checkpoint.save(PARAMS, {"learning_rate": OLD})
    b = checkpoint.save(PARAMS, {"learning_rate": lrcore.join([OLD, NEW, OLD], boundaries=[10, 20])})
    assert jax.tree.structure(a) == jax.tree.structure(b)
    assert isinstance(a["lrcore"], str)


def test_bad_inputs_are_config_errors():
    with pytest.raises(lrcore.ConfigError, match=r"^checkpoint: .*save"):
        checkpoint.restore({"opt_state": 1}, OLD)
    with pytest.raises(lrcore.ConfigError, match=r"^prefer: "):
        checkpoint.restore(checkpoint.save(1, OLD), OLD, prefer="newest")
    with pytest.raises(lrcore.ConfigError, match=r"^checkpoint: .*JSON"):
        checkpoint.resume("{not json", OLD)
    with pytest.raises(lrcore.ConfigError, match=r"^checkpoint: .*mapping of schedules"):
        checkpoint.resume(checkpoint.plan(OLD), {"learning_rate": OLD})
    with pytest.raises(lrcore.ConfigError, match=r"^b2: "):
        checkpoint.plan({"learning_rate": OLD, "b2": 0.999})
