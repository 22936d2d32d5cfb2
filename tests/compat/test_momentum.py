"""torch's OneCycleLR and CyclicLR momentum (SGD) and beta1 (Adam, AdamW) cycles, ported.

Each case trains a small model for real (loss, backward, ``optimizer.step()``, then
``scheduler.step()``), records the group's ``lr`` and ``momentum`` (or ``betas[0]``) before
every update, and compares them with the lrcore schedule built by ``lrcore.compat.torch`` and
by ``from_torch`` on the live scheduler: the learning rate as in tests/compat/test_torch.py,
the momentum side (``schedule.hyperparameters()["momentum"]``) to a bound in ulps of
``max_momentum``. Measured over 300 updates: OneCycleLR within 1 ulp (asserted: 2), CyclicLR
within 3 ulps (asserted: 2 ulps plus the rounding of torch's float cycle phase
``1 + t / total - cycle``, which grows about one ulp of 1 per cycle; lrcore counts the phase
in integers).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lrcore
import lrcore.compat.torch as T
from lrcore.porting import from_torch
from tests.compat._parity import assert_close
from tests.conftest import require

pytestmark = pytest.mark.torch
torch = require("torch")
L = torch.optim.lr_scheduler

STEPS = 300
ULPS = 2  # the largest measured difference, in ulps of max_momentum (see the module docstring)

OPTIMIZERS: dict[str, Callable[[Any], Any]] = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "SGD_nesterov": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=0.1, betas=(0.9, 0.98)),
}


def one_cycle_cases() -> dict[str, tuple[dict[str, Any], Any]]:
    cases = {}
    for anneal in ("cos", "linear"):
        for three in (False, True):
            # fractional phase ends (68.15, 136.3): lrcore evaluates torch's float phases
            kwargs = dict(
                max_lr=0.2, total_steps=STEPS, pct_start=0.2305, anneal_strategy=anneal, three_phase=three
            )
            cases[f"OneCycleLR-{anneal}{'-three_phase' if three else ''}"] = (kwargs, T.OneCycleLR(**kwargs))
    custom = dict(max_lr=0.05, total_steps=STEPS, base_momentum=0.6, max_momentum=0.99, div_factor=10.0)
    cases["OneCycleLR-custom-momentum"] = (custom, T.OneCycleLR(**custom))
    return cases


def cyclic_cases() -> dict[str, tuple[dict[str, Any], Any]]:
    cases = {}
    for mode in ("triangular", "triangular2", "exp_range"):
        kwargs = dict(base_lr=1e-3, max_lr=0.1, step_size_up=37, step_size_down=23, mode=mode, gamma=0.995)
        cases[f"CyclicLR-{mode}"] = (kwargs, T.CyclicLR(**kwargs))
    custom = dict(base_lr=1e-3, max_lr=0.1, step_size_up=50, base_momentum=0.5, max_momentum=0.95)
    cases["CyclicLR-custom-momentum"] = (custom, T.CyclicLR(**custom))
    return cases


CASES = {
    **{k: ("OneCycleLR", *v) for k, v in one_cycle_cases().items()},
    **{k: ("CyclicLR", *v) for k, v in cyclic_cases().items()},
}


def train(optimizer: str, scheduler: str, kwargs: dict[str, Any], steps: int = STEPS) -> tuple[Any, ...]:
    """A real training run: returns the scheduler and the lr and momentum (or beta1) every
    update used."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1, dtype=torch.float64)
    opt = OPTIMIZERS[optimizer](model.parameters())
    sched = getattr(L, scheduler)(opt, **kwargs)
    x, y = torch.randn(16, 4, dtype=torch.float64), torch.randn(16, 1, dtype=torch.float64)
    lrs, momenta = np.empty(steps), np.empty(steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(steps):
            group = opt.param_groups[0]
            lrs[t] = group["lr"]
            momenta[t] = group["betas"][0] if "betas" in group else group["momentum"]
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            if t < steps - 1 or scheduler != "OneCycleLR":  # OneCycleLR allows total_steps steps
                sched.step()
    return sched, opt, lrs, momenta


def cyclic_bound(t: np.ndarray, up: int, down: int | None, base: float, top: float) -> np.ndarray:
    """CyclicLR's momentum ``top - (top - base) * factor``: 2 ulps of ``top``, plus the
    rounding of torch's float phase ``x = 1 + t / total - cycle`` (about one ulp of 1 per cycle,
    divided by the shorter half's share), times ``top - base``. Measured over 300 updates: at
    most 3 ulps of ``top`` (base 0.5, top 0.95)."""
    down = up if down is None else down
    ratio = min(up, down) / (up + down)
    eps = np.finfo(np.float64).eps
    return ULPS * np.spacing(top) + 2 * (top - base) * eps * (1 + t / (up + down)) / ratio


def ulps(ours: np.ndarray, native: np.ndarray, top: float) -> float:
    return float(np.max(np.abs(ours - native)) / np.spacing(top))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(CASES))
def test_momentum_and_beta1_follow_torch_in_training(name: str, optimizer: str) -> None:
    scheduler, kwargs, ported = CASES[name]
    sched, _, lrs, momenta = train(optimizer, scheduler, kwargs)
    live = from_torch(sched)
    assert live == ported  # from_torch reads the same momentum fields the constructor took
    side = ported.hyperparameters()["momentum"]
    steps = np.arange(STEPS)
    assert_close(ported.values(steps), lrs, what=f"{name} lr")
    top, base = ported.max_momentum, ported.base_momentum
    ours = side.values(steps)
    if scheduler == "OneCycleLR":
        measured = ulps(ours, momenta, top)
        assert measured <= ULPS, f"{name} on {optimizer}: momentum {measured} ulps of {top} from torch's"
    else:
        bound = cyclic_bound(steps, kwargs["step_size_up"], kwargs.get("step_size_down"), base, top)
        worst = int(np.argmax(np.abs(ours - momenta) - bound))
        assert np.all(np.abs(ours - momenta) <= bound), (
            f"{name} on {optimizer}: momentum at t={worst}: lrcore {ours[worst]!r}, torch {momenta[worst]!r}"
        )
    # the curve really cycles: it reaches base_momentum (or near it, exp_range) and comes back
    assert momenta.min() < top - 0.5 * (top - ported.base_momentum) and momenta[0] == top


def test_three_phase_middle_step_with_straddling_phase_ends() -> None:
    # frac(69.35) + frac(138.7) > 1: near the middle phase's midpoint the integer distances
    # order the other way than the true ones (t=104 was once evaluated one step off).
    kwargs = dict(max_lr=0.2, total_steps=STEPS, pct_start=0.2345, three_phase=True)  # ends 69.35, 138.7
    sched, _, lrs, momenta = train("SGD", "OneCycleLR", kwargs)
    ported = from_torch(sched)
    steps = np.arange(STEPS)
    assert_close(ported.values(steps), lrs, what="lr")
    assert ulps(ported.hyperparameters()["momentum"].values(steps), momenta, ported.max_momentum) <= ULPS


def test_measured_bound_is_tight() -> None:
    """The bound is what torch does, not slack: some steps differ by a rounding, most agree."""
    scheduler, kwargs, ported = CASES["CyclicLR-triangular"]
    _, _, _, momenta = train("SGD", scheduler, kwargs)
    ours = ported.hyperparameters()["momentum"].values(np.arange(STEPS))
    assert np.mean(ours == momenta) > 0.5
    assert ulps(ours, momenta, ported.max_momentum) >= 1


def test_adam_beta2_is_left_alone() -> None:
    _, opt, _, _ = train("AdamW", "OneCycleLR", CASES["OneCycleLR-cos"][1])
    assert opt.param_groups[0]["betas"][1] == 0.98


@pytest.mark.parametrize("scheduler", ["OneCycleLR", "CyclicLR"])
def test_cycle_momentum_false_ports_no_side(scheduler: str) -> None:
    kwargs = {**CASES[f"{scheduler}-{'cos' if scheduler == 'OneCycleLR' else 'triangular'}"][1]}
    kwargs["cycle_momentum"] = False
    sched, _, _, momenta = train("SGD", scheduler, kwargs)
    assert np.all(momenta == 0.9)  # torch leaves the optimizer's momentum alone
    assert from_torch(sched).hyperparameters() == {}
    assert getattr(T, scheduler)(**kwargs).hyperparameters() == {}


def test_param_groups_with_different_momenta() -> None:
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1, momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=100, base_momentum=[0.8, 0.7], max_momentum=0.95)
    with pytest.raises(lrcore.ConfigError, match="group"):
        from_torch(sched)
    assert from_torch(sched, group=1) == T.OneCycleLR(0.1, total_steps=100, base_momentum=0.7)


def test_sequential_lr_refuses_a_momentum_cycle() -> None:
    """lrcore's join carries the learning rate alone: porting it would drop the momentum cycle."""
    opt = OPTIMIZERS["SGD"]([torch.nn.Parameter(torch.zeros(1))])
    sched = L.SequentialLR(
        opt, [L.LinearLR(opt, total_iters=5), L.OneCycleLR(opt, max_lr=0.1, total_steps=100)], milestones=[5]
    )
    with pytest.raises(lrcore.ConfigError, match=r"SequentialLR\.schedulers\[1\]"):
        from_torch(sched)
    with pytest.raises(lrcore.ConfigError, match="momentum"):
        T.SequentialLR([T.LinearLR(0.1), T.CyclicLR(0.01, 0.1)], milestones=[5])
    # without the momentum cycle it ports as before
    assert T.SequentialLR([T.LinearLR(0.1), T.CyclicLR(0.01, 0.1, cycle_momentum=False)], milestones=[5])


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: T.OneCycleLR(0.1, total_steps=100, base_momentum=0.96), "OneCycleLR.base_momentum"),
        (lambda: T.OneCycleLR(0.1, total_steps=100, max_momentum=1.0), "OneCycleLR.max_momentum"),
        (lambda: T.CyclicLR(0.01, 0.1, base_momentum=-0.1), "CyclicLR.base_momentum"),
        (lambda: T.CyclicLR(0.01, 0.1, cycle_momentum="yes"), "CyclicLR.cycle_momentum"),
    ],
)
def test_bad_momentum_is_named(build: Callable[[], Any], path: str) -> None:
    with pytest.raises(lrcore.ConfigError) as caught:
        build()
    assert caught.value.path == path


def test_from_torch_refuses_momentum_torch_accepts_but_lrcore_cannot_carry() -> None:
    """torch does not check base <= max; lrcore says so instead of porting a different curve."""
    opt = OPTIMIZERS["SGD"]([torch.nn.Parameter(torch.zeros(1))])
    sched = L.CyclicLR(opt, 0.01, 0.1, base_momentum=0.95, max_momentum=0.9)
    with pytest.raises(lrcore.ConfigError, match="base_momentum"):
        from_torch(sched)
