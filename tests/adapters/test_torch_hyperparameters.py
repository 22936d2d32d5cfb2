"""Momentum, beta1 and weight decay driven by lrcore schedules in real torch training (SPEC
section 9): torch's own OneCycleLR and CyclicLR momentum (SGD) and beta1 (Adam) curves,
ported by lrcore.compat.torch / from_torch, are applied by the adapter as the core's float64
reference exactly (``==``, read from the param groups before every update) and equal torch's
within the parity bounds of tests/compat; a weight-decay schedule is what AdamW applies; the schedules resume from a
``weights_only`` checkpoint; a group without the key, or two sources for one value, fail
clearly.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import lrcore
import lrcore.compat.torch as T
from lrcore.porting import from_torch
from tests.compat._parity import assert_close
from tests.compat.test_momentum import ULPS, cyclic_bound, ulps
from tests.conftest import require

torch = require("torch")
adapter = require("lrcore.adapters.torch")

pytestmark = pytest.mark.torch


def model_and_optimizer(make, **kw):
    """A two-parameter regression (fixed data and initial weights) and its optimizer."""
    generator = torch.Generator().manual_seed(0)
    weights = torch.nn.Parameter(torch.randn(4, generator=generator))
    data = torch.randn(8, 4, generator=generator)
    target = torch.randn(8, generator=generator)
    optimizer = make([weights], **kw)

    def update():
        optimizer.zero_grad()
        (data @ weights - target).square().mean().backward()
        optimizer.step()

    return weights, optimizer, update


def read(group, key):
    """The value a param group holds for a hyperparameter name ("beta1" is betas[0])."""
    return group["betas"][0] if key == "beta1" else group[key]


def train(make, make_scheduler, updates, keys, **kw):
    """Real updates; ``seen[t]`` holds lr and ``keys`` read from the group before update t."""
    weights, optimizer, update = model_and_optimizer(make, **kw)
    sched = make_scheduler(optimizer)
    seen = []
    for _ in range(updates):
        seen.append(tuple(read(optimizer.param_groups[0], k) for k in ("lr", *keys)))
        update()
        sched.step()
    return seen, weights.detach().clone()


def sgd(params, **kw):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, **kw)


def adam(params, **kw):
    return torch.optim.Adam(params, lr=0.1, **kw)


# torch's own arguments: OneCycleLR over 240 updates, CyclicLR over 230 (several cycles).
NATIVE = [
    pytest.param("OneCycleLR", {"max_lr": 0.1, "total_steps": 240}, id="OneCycleLR-cos"),
    pytest.param(
        "OneCycleLR", {"max_lr": 0.1, "total_steps": 240, "anneal_strategy": "linear"}, id="OneCycleLR-linear"
    ),
    pytest.param(
        "OneCycleLR",
        {"max_lr": 0.1, "total_steps": 240, "three_phase": True, "pct_start": 0.2305},
        id="OneCycleLR-three_phase",
    ),
    pytest.param(
        "OneCycleLR",
        {"max_lr": 0.05, "total_steps": 240, "base_momentum": 0.6, "max_momentum": 0.99, "div_factor": 10.0},
        id="OneCycleLR-momentum_range",
    ),
    pytest.param("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20}, id="CyclicLR-triangular"),
    pytest.param(
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20, "step_size_down": 31, "mode": "triangular2"},
        id="CyclicLR-triangular2",
    ),
    pytest.param(
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20, "mode": "exp_range", "gamma": 0.995},
        id="CyclicLR-exp_range",
    ),
]


def one_cycle_with_momentum(total):
    return lrcore.one_cycle(peak=0.1, total=total, cycle_momentum=True)


@pytest.mark.parametrize(("native", "kwargs"), NATIVE)
@pytest.mark.parametrize(("make", "key"), [(sgd, "momentum"), (adam, "beta1")])
def test_torchs_momentum_and_beta1_cycles_through_the_adapter(native, kwargs, make, key):
    """torch's scheduler and the adapter running its port (``lrcore.compat.torch``, equal to
    ``from_torch`` of the live scheduler) train the same model: the adapter applies the
    core's float64 learning rate and momentum (or beta1) bit for bit, and these are torch's
    within the parity bounds of tests/compat (lrcore evaluates its own stable formula, not
    torch's operation order: a rounding apart at some steps)."""
    updates = kwargs.get("total_steps", 230)
    natives = []

    def make_native(opt):
        natives.append(getattr(torch.optim.lr_scheduler, native)(opt, **kwargs))
        return natives[0]

    expected, expected_weights = train(make, make_native, updates, [key])
    ported = getattr(T, native)(**kwargs)
    assert from_torch(natives[0]) == ported
    side = ported.hyperparameters()["momentum"]
    seen, weights = train(make, lambda opt: adapter.scheduler(opt, ported), updates, [key])

    steps = np.arange(updates)
    assert seen == list(zip(ported.values(steps).tolist(), side.values(steps).tolist(), strict=True))
    lrs, momenta = np.array(seen).T
    native_lrs, native_momenta = np.array(expected).T
    assert_close(lrs, native_lrs, what=f"{native} lr")
    top = ported.max_momentum
    if native == "OneCycleLR":
        assert ulps(momenta, native_momenta, top) <= ULPS
    else:
        bound = cyclic_bound(
            steps, kwargs["step_size_up"], kwargs.get("step_size_down"), ported.base_momentum, top
        )
        assert np.all(np.abs(momenta - native_momenta) <= bound)
    assert momenta[0] == native_momenta[0] == top and momenta.min() < top - 0.5 * (top - ported.base_momentum)
    assert torch.allclose(weights, expected_weights, rtol=1e-9, atol=0.0)


def test_weight_decay_schedule_in_adamw_training():
    """AdamW applies the scheduled weight decay: the group holds wd(t) before update t and
    the weights equal a run that sets lr and weight_decay by hand."""
    updates = 300
    lr = lrcore.warmup(lrcore.cosine(start=0.05, end=0.0, steps=250), steps=50)
    wd = lrcore.cosine(start=0.0, end=0.3, steps=300)

    def make(opt):
        return adapter.scheduler(opt, lr, weight_decay=wd)

    seen, weights = train(torch.optim.AdamW, make, updates, ["weight_decay"], lr=1.0)
    assert seen == [(lr(t), wd(t)) for t in range(updates)]

    by_hand, optimizer, update = model_and_optimizer(torch.optim.AdamW, lr=1.0)
    for t in range(updates):
        optimizer.param_groups[0]["lr"] = lr(t)
        optimizer.param_groups[0]["weight_decay"] = wd(t)
        update()
    assert torch.equal(weights, by_hand.detach())
    _, without = train(torch.optim.AdamW, lambda opt: adapter.scheduler(opt, lr), updates, [], lr=1.0)
    assert not torch.equal(weights, without)  # the decay schedule changed the training


def test_explicit_momentum_beta1_and_per_group_lists():
    """momentum= on SGD, beta1= on Adam (betas[1] kept), a list per group with None."""
    m = lrcore.linear(start=0.95, end=0.85, steps=20)
    b1 = lrcore.cosine(start=0.9, end=0.5, steps=20)
    lr = lrcore.constant(value=0.01)
    seen, _ = train(sgd, lambda opt: adapter.scheduler(opt, lr, momentum=m), 25, ["momentum"])
    assert seen == [(0.01, m(t)) for t in range(25)]
    seen, _ = train(adam, lambda opt: adapter.scheduler(opt, lr, beta1=b1), 25, ["beta1"])
    assert seen == [(0.01, b1(t)) for t in range(25)]
    seen, _ = train(adam, lambda opt: adapter.scheduler(opt, lr, momentum=b1), 25, ["beta1"])
    assert seen == [(0.01, b1(t)) for t in range(25)]  # momentum means beta1 on Adam, as torch

    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([{"params": [a]}, {"params": [b], "betas": (0.8, 0.99)}], lr=0.1)
    sched = adapter.scheduler(opt, lr, beta1=[b1.to_config(), None])
    for t in range(5):
        assert opt.param_groups[0]["betas"] == (b1(t), 0.999)
        assert opt.param_groups[1]["betas"] == (0.8, 0.99)
        opt.step()
        sched.step()


def test_tensor_betas_are_filled_in_place():
    w = torch.nn.Parameter(torch.zeros(2))
    betas = (torch.tensor(0.9), torch.tensor(0.999))
    opt = torch.optim.Adam([w], lr=torch.tensor(0.1), betas=betas)
    b1 = lrcore.linear(start=0.9, end=0.5, steps=4)
    sched = adapter.scheduler(opt, lrcore.constant(value=0.1), beta1=b1)
    for t in range(6):
        assert opt.param_groups[0]["betas"][0] is betas[0]
        assert betas[0].item() == torch.tensor(b1(t)).item()
        w.grad = torch.ones(2)
        opt.step()
        sched.step()


def checkpointed(state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("paired", [True, False])
def test_hyperparameters_resume_exactly_from_a_weights_only_checkpoint(paired):
    total, cut = 200, 77
    schedule = one_cycle_with_momentum(total)
    if paired:
        kwargs, momentum = {}, schedule.hyperparameters()["momentum"]
    else:
        schedule = lrcore.one_cycle(peak=0.1, total=total)
        momentum = lrcore.linear(start=0.95, end=0.85, steps=150)
        kwargs = {"momentum": momentum}
    wd = lrcore.step(start=1e-2, gamma=0.5, step_size=40)

    def make(opt):
        return adapter.scheduler(opt, schedule, weight_decay=wd, **kwargs)

    expected, final = train(sgd, make, total, ["momentum", "weight_decay"])
    assert expected == [(schedule(t), momentum(t), wd(t)) for t in range(total)]

    weights, optimizer, update = model_and_optimizer(sgd)
    sched = make(optimizer)
    for _ in range(cut):
        update()
        sched.step()
    state = checkpointed(
        {"weights": weights.detach(), "optimizer": optimizer.state_dict(), "scheduler": sched.state_dict()}
    )
    assert state["scheduler"]["hyperparameters"]["weight_decay"] == [wd.to_config()]

    fresh, fresh_opt, fresh_update = model_and_optimizer(sgd)
    fresh_sched = adapter.scheduler(fresh_opt, schedule, weight_decay=wd, **kwargs)
    fresh_opt.load_state_dict(state["optimizer"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same plan resumes silently
        fresh_sched.load_state_dict(state["scheduler"])
    with torch.no_grad():
        fresh.copy_(state["weights"])
    rest = []
    for _ in range(total - cut):
        group = fresh_opt.param_groups[0]
        rest.append((group["lr"], group["momentum"], group["weight_decay"]))
        fresh_update()
        fresh_sched.step()
    assert rest == expected[cut:]
    assert torch.equal(fresh.detach(), final)


# -- errors ---------------------------------------------------------------------------------


class Plain(torch.optim.Optimizer):
    """An optimizer whose groups hold only ``lr``."""

    def __init__(self, params):
        super().__init__(params, {"lr": 0.1})

    def step(self, closure=None):
        return None


def test_a_group_without_the_key_is_a_config_error_naming_it():
    w = [torch.nn.Parameter(torch.zeros(1))]
    lr = lrcore.constant(value=0.1)
    m = lrcore.constant(value=0.9)
    with pytest.raises(
        lrcore.ConfigError, match=r"^momentum: expected a param group with 'momentum' or 'betas'"
    ):
        adapter.scheduler(torch.optim.Adagrad(w), lr, momentum=m)
    with pytest.raises(lrcore.ConfigError, match=r"^beta1: expected a param group with 'betas' \(SGD's"):
        adapter.scheduler(torch.optim.SGD(w, lr=0.1), lr, beta1=m)
    with pytest.raises(
        lrcore.ConfigError, match=r"^weight_decay: expected a param group with 'weight_decay'"
    ):
        adapter.scheduler(Plain(w), lr, weight_decay=m)
    paired = one_cycle_with_momentum(100)
    with pytest.raises(lrcore.ConfigError, match=r"^momentum: .*one_cycle with cycle_momentum"):
        adapter.scheduler(torch.optim.Adagrad(w), paired)
    two = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}, {"params": w}], lr=0.1)
    with pytest.raises(lrcore.ConfigError, match=r"^beta1\[0\]: "):
        adapter.scheduler(two, lr, beta1=m)
    with pytest.raises(
        lrcore.ConfigError, match=r"^momentum: expected one schedule \(or None\) per param group"
    ):
        adapter.scheduler(two, lr, momentum=[m])
    with pytest.raises(lrcore.ConfigError, match=r"^weight_decay: expected an lrcore schedule"):
        adapter.scheduler(two, lr, weight_decay=0.01)
    with pytest.raises(lrcore.ConfigError, match=r"^momentum\[1\]\.steps"):
        adapter.scheduler(two, lr, momentum=[m, {"type": "linear", "start": 0.9, "end": 0.8, "steps": 0}])


def test_momentum_given_twice_is_an_error():
    w = [torch.nn.Parameter(torch.zeros(1))]
    paired = one_cycle_with_momentum(100)
    with pytest.raises(
        lrcore.ConfigError, match=r"^momentum: expected no momentum schedule where .*cycle_momentum"
    ):
        adapter.scheduler(
            torch.optim.SGD(w, lr=0.1, momentum=0.9), paired, momentum=lrcore.constant(value=0.9)
        )
    adam = torch.optim.Adam(w)
    with pytest.raises(lrcore.ConfigError, match=r"betas is set twice"):
        adapter.scheduler(adam, lrcore.constant(value=0.1), momentum=paired, beta1=paired)


def test_no_hyperparameters_means_no_other_key_is_touched():
    w = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(w, lr=0.1, momentum=0.7, weight_decay=0.01)
    sched = adapter.scheduler(opt, lrcore.one_cycle(peak=0.1, total=50))  # cycle_momentum off
    for _ in range(10):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["momentum"] == 0.7 and opt.param_groups[0]["weight_decay"] == 0.01
    assert sched._targets == ()
