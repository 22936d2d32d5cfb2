"""SPEC 9 in optax: schedules driving momentum, beta1 and weight decay beside the learning
rate, through :func:`lrcore.adapters.optax.optimizer` (``optax.inject_hyperparams``).

Every run is a jitted ``lax.scan`` of real updates; the values applied are read from the
state (``state.hyperparams``) and, where the update exposes them, from what the parameters
did. SPEC 7: float32(reference) at every step (in float32 but 1 ulp at near ties).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.adapters.test_optax import assert_meets_contract
from tests.conftest import require

pytestmark = pytest.mark.optax

jax = require("jax")
optax = require("optax")
jnp = jax.numpy

import lrcore  # noqa: E402
import lrcore.compat.torch as compat  # noqa: E402
from lrcore.adapters.optax import optimizer  # noqa: E402

UPDATES = 600
# torch's CyclicLR with its default cycle_momentum: momentum 0.9 -> 0.8 as the rate rises.
LR = compat.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=100, step_size_down=150)
MOMENTUM = LR.hyperparameters()["momentum"]


def scan(opt, params, grads, updates, reset):
    """``updates`` real updates in one jitted scan with constant ``grads``; the parameters
    named in ``reset`` go back to their initial value before each update. Returns per update
    the state's hyperparams and the update's moves (negated: the step each parameter took
    down)."""

    def step(carry, _):
        p, state = carry
        p = {**p, **{k: params[k] for k in reset}}
        moves, state = opt.update(grads, state, p)
        new = optax.apply_updates(p, moves)
        return (new, state), (state.hyperparams, jax.tree.map(jnp.negative, moves))

    run = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), None, length=updates))
    _, (hyper, moved) = run(params, opt.init(params))
    return jax.tree.map(np.asarray, hyper), jax.tree.map(np.asarray, moved)


def test_the_paired_momentum_drives_sgd_momentum():
    opt = optimizer(optax.sgd, learning_rate=LR)
    params = {"probe": jnp.zeros((), jnp.float32)}
    hyper, moved = scan(opt, params, {"probe": jnp.float32(1.0)}, UPDATES, reset=["probe"])
    steps = np.arange(UPDATES)
    assert set(hyper) == {"learning_rate", "momentum"}
    # The parameters' dtype, also under x64 (evaluated in float64, applied as float32).
    assert hyper["learning_rate"].dtype == hyper["momentum"].dtype == np.float32
    assert_meets_contract(hyper["learning_rate"], LR.values(steps), "lr")
    assert_meets_contract(hyper["momentum"], MOMENTUM.values(steps), "momentum")
    # The update used them: optax's trace is buf = momentum * buf + g, the move lr * buf.
    lr, momentum = hyper["learning_rate"].astype(np.float64), hyper["momentum"].astype(np.float64)
    buf, expected = 0.0, []
    for t in steps:
        buf = momentum[t] * buf + 1.0
        expected.append(lr[t] * buf)
    np.testing.assert_allclose(moved["probe"], expected, rtol=1e-5)


@pytest.mark.parametrize("transform", [optax.adam, optax.adamw, optax.nadamw, optax.lamb])
def test_the_paired_momentum_drives_b1_of_the_adam_family(transform):
    opt = optimizer(transform, learning_rate=LR)
    params = {"w": jnp.zeros(3, jnp.float32)}
    hyper, _ = scan(opt, params, {"w": jnp.ones(3, jnp.float32)}, 300, reset=[])
    assert "b1" in hyper and "momentum" not in hyper
    assert_meets_contract(hyper["b1"], MOMENTUM.values(np.arange(300)), "b1")


def test_a_weight_decay_schedule_and_an_explicit_b1_schedule_in_adamw():
    lr = lrcore.warmup(lrcore.cosine(start=1e-2, end=1e-4, steps=300), steps=50)
    decay = lrcore.linear(start=0.0, end=0.1, steps=250)
    b1 = lrcore.step(start=0.9, gamma=0.9, step_size=100)
    opt = optimizer(optax.adamw, learning_rate=lr, weight_decay=decay, b1=b1, b2=0.99)
    # "decayed" has zero gradient, so adamw moves it by lr * weight_decay * param, param = 1.
    params = {"w": jnp.zeros(3, jnp.float32), "decayed": jnp.ones((), jnp.float32)}
    grads = {"w": jnp.ones(3, jnp.float32), "decayed": jnp.zeros((), jnp.float32)}
    hyper, moved = scan(opt, params, grads, 400, reset=["decayed"])
    steps = np.arange(400)
    for name, s in (("learning_rate", lr), ("weight_decay", decay), ("b1", b1)):
        assert_meets_contract(hyper[name], s.values(steps), name)
    np.testing.assert_array_equal(hyper["b2"], np.float32(0.99))
    applied = hyper["learning_rate"].astype(np.float32) * hyper["weight_decay"].astype(np.float32)
    np.testing.assert_allclose(moved["decayed"], applied, rtol=2e-7, atol=1e-12)


def test_configs_durations_numbers_and_optax_schedules_pass_through():
    lr = lrcore.warmup(lrcore.linear(start=0.1, end=0.0, steps="90%"), steps="10%")
    plain = optax.linear_schedule(0.0, 0.05, 100)
    opt = optimizer(optax.adamw, learning_rate=lr.to_config(), weight_decay=plain, b2=0.95, total_steps=100)
    hyper, _ = scan(opt, {"w": jnp.zeros(2, jnp.float32)}, {"w": jnp.ones(2, jnp.float32)}, 120, reset=[])
    bound = lr.bind(total_steps=100)
    assert_meets_contract(hyper["learning_rate"], bound.values(np.arange(120)), "lr")
    # optax's own float32 formula, untouched (XLA's fusion moves it by a few ulps).
    np.testing.assert_allclose(hyper["weight_decay"], [float(plain(t)) for t in range(120)], rtol=1e-5)
    with pytest.raises(lrcore.ConfigError, match=r"^learning_rate\.schedule\.steps: .*total_steps"):
        optimizer(optax.adamw, learning_rate=lr)


def test_a_name_the_transform_does_not_take_lists_its_arguments():
    with pytest.raises(lrcore.ConfigError, match="optax calls it 'b1'") as error:
        optimizer(optax.adamw, learning_rate=0.1, beta1=lrcore.constant(value=0.9))
    assert error.value.path == "beta1"
    assert "learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay" in str(error.value)
    with pytest.raises(lrcore.ConfigError, match=r"^momentum: .*optax\.adam ") as error:
        optimizer(optax.adam, learning_rate=0.1, momentum=0.9)


def test_a_paired_momentum_the_transform_cannot_take_is_an_error():
    with pytest.raises(lrcore.ConfigError, match=r"^learning_rate: .*'momentum'.*momentum or b1") as error:
        optimizer(optax.adagrad, learning_rate=LR)
    assert "cycle_momentum=False" in str(error.value)


@pytest.mark.parametrize(("transform", "target"), [(optax.sgd, "momentum"), (optax.adamw, "b1")])
def test_a_paired_momentum_given_explicitly_as_well_is_an_error(transform, target):
    with pytest.raises(lrcore.ConfigError, match=rf"^{target}: expected no {target} beside") as error:
        optimizer(transform, learning_rate=LR, **{target: 0.9})
    assert error.value.got == 0.9
    # Without the pairing the same arguments build.
    unpaired = compat.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=100, cycle_momentum=False)
    optimizer(transform, learning_rate=unpaired, **{target: 0.9})


PORTED = {
    "OneCycleLR": lambda **kw: compat.OneCycleLR(max_lr=0.1, total_steps=500, **kw),
    "OneCycleLR three_phase linear": lambda **kw: compat.OneCycleLR(
        max_lr=0.1, total_steps=500, three_phase=True, anneal_strategy="linear", **kw
    ),
    "CyclicLR": lambda **kw: compat.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=100, **kw),
    "CyclicLR triangular2": lambda **kw: compat.CyclicLR(
        base_lr=0.01, max_lr=0.1, step_size_up=100, step_size_down=50, mode="triangular2", **kw
    ),
}


@pytest.mark.parametrize("name", list(PORTED))
@pytest.mark.parametrize(("transform", "target"), [(optax.sgd, "momentum"), (optax.adamw, "b1")])
def test_torch_ports_cycle_momentum_or_b1_in_optax(name, transform, target):
    s = PORTED[name]()
    momentum = s.hyperparameters()["momentum"]  # torch's default: cycle_momentum=True
    opt = optimizer(transform, learning_rate=s)
    hyper, _ = scan(opt, {"w": jnp.zeros(2, jnp.float32)}, {"w": jnp.ones(2, jnp.float32)}, 600, reset=[])
    steps = np.arange(600)
    assert_meets_contract(hyper["learning_rate"], s.values(steps), "lr")
    assert_meets_contract(hyper[target], momentum.values(steps), target)
    # torch's defaults: momentum from max_momentum (0.95 / 0.9) down at the peak of the rate
    # (the applied value is float32 of that, checked above; jax 0.4.27's XLA gave 0.9 + 1 ulp
    # at step 0 of CyclicLR on the plain float32 path, before the double-float pairs).
    assert momentum(0) == (0.95 if name.startswith("OneCycle") else 0.9)
    assert hyper[target][0] > hyper[target][len(steps) // 10]


@pytest.mark.parametrize("name", list(PORTED))
def test_without_cycle_momentum_the_user_sets_momentum(name):
    s = PORTED[name](cycle_momentum=False)
    assert s.hyperparameters() == {}
    opt = optimizer(optax.sgd, learning_rate=s, momentum=0.9)
    hyper, _ = scan(opt, {"w": jnp.zeros(2, jnp.float32)}, {"w": jnp.ones(2, jnp.float32)}, 50, reset=[])
    np.testing.assert_array_equal(hyper["momentum"], np.float32(0.9))
