"""lrcore.compat.timm and from_timm against timm.scheduler, stepped for real.

timm's top-level ``__init__`` imports its models, which need torchvision (whose index build
does not load against the CPU torch here); ``timm.scheduler`` needs only torch, so the test
session installs timm without its dependencies and loads the subpackage alone.

Each case drives a real SGD optimizer: ``scheduler.step(t)`` (or ``step_update(t)``) sets the
lr, the optimizer steps with it, and the lr is recorded, for at least 10,000 values of ``t``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings

import numpy as np
import pytest

import lrcore
import lrcore.compat.timm as TM
from lrcore.porting import from_timm
from tests.compat._parity import N, assert_close
from tests.conftest import require

pytestmark = pytest.mark.torch
torch = require("torch")


def _timm_scheduler() -> types.ModuleType:
    """``timm.scheduler`` without running ``timm/__init__.py`` (torchvision)."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    spec = importlib.util.find_spec("timm")
    if spec is None or spec.submodule_search_locations is None:
        require("timm")  # skips, or fails when the session requires timm
        raise ImportError("timm")
    if "timm" not in sys.modules:
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


S = _timm_scheduler()


def optimizer(lr: float = 0.1, groups: int = 1) -> torch.optim.Optimizer:
    params = [
        {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], "lr": lr * (i + 1)}
        for i in range(groups)
    ]
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def applied(opt: torch.optim.Optimizer, sched: object, n: int, on_updates: bool) -> np.ndarray:
    """The lr of each of ``n`` real updates, ``step(t)``/``step_update(t)`` setting update t's."""
    out = np.empty(n)
    for t in range(n):
        if on_updates:
            sched.step_update(t)
        else:
            sched.step(t)
        out[t] = opt.param_groups[0]["lr"]
        opt.step()
    return out


# name -> (class name, kwargs, steps); lrcore.compat.timm takes the same kwargs plus base_lr=0.1
CASES: dict[str, tuple[str, dict[str, object], int]] = {
    "cosine": ("CosineLRScheduler", {"t_initial": 9000, "lr_min": 1e-5}, N),
    "cosine_prefix_warmup": (
        "CosineLRScheduler",
        {"t_initial": 9000, "lr_min": 1e-5, "warmup_t": 500, "warmup_lr_init": 1e-4, "warmup_prefix": True},
        N,
    ),
    "cosine_warmup_in_run": (
        "CosineLRScheduler",
        {"t_initial": N, "warmup_t": 700, "warmup_lr_init": 1e-5, "t_in_epochs": False},
        N + 10,
    ),
    "cosine_restarts": (
        "CosineLRScheduler",
        {"t_initial": 1500, "lr_min": 1e-4, "cycle_limit": 5, "warmup_t": 100, "warmup_prefix": True},
        N,
    ),
    "cosine_restarts_decay_mul2": (
        "CosineLRScheduler",
        {"t_initial": 300, "cycle_mul": 2.0, "cycle_decay": 0.5, "cycle_limit": 5},
        N,
    ),
    "cosine_tabulated_k_decay": (
        "CosineLRScheduler",
        {"t_initial": 8000, "lr_min": 1e-5, "k_decay": 1.5, "warmup_t": 300, "warmup_lr_init": 1e-5},
        N,
    ),
    "cosine_tabulated_fractional_mul": (
        "CosineLRScheduler",
        {"t_initial": 1000, "lr_min": 1e-5, "cycle_mul": 1.5, "cycle_decay": 0.8, "cycle_limit": 4},
        N,
    ),
    "poly": ("PolyLRScheduler", {"t_initial": 9000, "power": 0.5, "lr_min": 1e-5}, N),
    "poly_warmup_cycles": (
        "PolyLRScheduler",
        {"t_initial": 3000, "power": 2.0, "cycle_limit": 3, "warmup_t": 200, "warmup_lr_init": 1e-4},
        N,
    ),
    "tanh": ("TanhLRScheduler", {"t_initial": 9000, "lr_min": 1e-5}, N),
    "tanh_warmup_in_run": (
        "TanhLRScheduler",
        {"t_initial": 9000, "lb": -6.0, "ub": 4.0, "warmup_t": 400, "warmup_lr_init": 1e-4},
        N,
    ),
    "tanh_prefix_warmup": (
        "TanhLRScheduler",
        {"t_initial": 9000, "warmup_t": 400, "warmup_lr_init": 1e-4, "warmup_prefix": True},
        N,
    ),
    "step": (
        "StepLRScheduler",
        {"decay_t": 700, "decay_rate": 0.7, "warmup_t": 300, "warmup_lr_init": 1e-4},
        N,
    ),
    "step_warmup_in_run": (
        "StepLRScheduler",
        {"decay_t": 700, "decay_rate": 0.7, "warmup_t": 300, "warmup_lr_init": 1e-4, "warmup_prefix": False},
        N,
    ),
    "multistep": ("MultiStepLRScheduler", {"decay_t": [1, 3000, 3000, 8000], "decay_rate": 0.5}, N),
    "wsd": (
        "WSDLRScheduler",
        {"t_initial": 9000, "decay_t": 2000, "lr_min": 1e-5, "warmup_t": 500, "warmup_lr_init": 1e-5},
        N + 10,
    ),
    "wsd_cosine_per_update": (
        "WSDLRScheduler",
        {"t_initial": 9500, "decay_t": 3000, "decay_fn": "cosine", "warmup_t": 400, "t_in_epochs": False},
        N,
    ),
    "wsd_tabulated_rsqrt_power": (
        "WSDLRScheduler",
        {
            "t_initial": 9000,
            "decay_t": 2500,
            "stable_fn": "rsqrt",
            "decay_fn": "power",
            "decay_power": 2.0,
            "warmup_t": 300,
        },
        N,
    ),
    "wsd_tabulated_power_exp": (
        "WSDLRScheduler",
        {
            "t_initial": 9500,
            "decay_t": 1500,
            "lr_min": 1e-5,
            "stable_fn": "power",
            "stable_timescale": 1000.0,
            "stable_power": 0.3,
            "decay_fn": "exp",
            "decay_ratio": 0.05,
        },
        N,
    ),
    "multistep_warmup": (
        "MultiStepLRScheduler",
        {"decay_t": [2000, 6000], "decay_rate": 0.1, "warmup_t": 500, "warmup_lr_init": 1e-3},
        N,
    ),
}


def native(name: str, opt: torch.optim.Optimizer) -> object:
    cls, kwargs, _ = CASES[name]
    return getattr(S, cls)(opt, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_parity_stepped(name: str) -> None:
    cls, kwargs, n = CASES[name]
    ours = getattr(TM, cls)(0.1, **kwargs)
    opt = optimizer()
    sched = native(name, opt)
    on_updates = not kwargs.get("t_in_epochs", True)
    got = applied(opt, sched, n, on_updates)
    assert_close(ours.values(np.arange(n)), got, what=name)
    assert from_timm(native(name, optimizer())) == ours
    assert lrcore.from_config(ours.to_config()) == ours


def test_multistep_applies_one_step_before_torch() -> None:
    timm_style = TM.MultiStepLRScheduler(0.1, decay_t=[100], decay_rate=0.5)
    assert timm_style(98) == 0.1 and timm_style(99) == 0.05


def test_param_groups_and_lr_scale() -> None:
    opt = optimizer(groups=2)
    opt.param_groups[1]["lr_scale"] = 0.5
    sched = S.CosineLRScheduler(opt, t_initial=100)
    with pytest.raises(lrcore.ConfigError, match="group"):
        from_timm(sched)
    ours = from_timm(sched, group=1)
    for t in range(100):
        sched.step(t)
        assert abs(ours(t) - opt.param_groups[1]["lr"]) <= 1e-15


@pytest.mark.parametrize("decreasing", [True, False])
def test_plateau_follows_timm(decreasing: bool) -> None:
    rng = np.random.default_rng(0)
    metrics = np.cumsum(rng.normal(0.0, 1.0, 400)) * (1 if decreasing else -1)
    mode = "min" if decreasing else "max"
    opt = optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # timm deprecates its plateau scheduler
        sched = S.PlateauLRScheduler(opt, decay_rate=0.5, patience_t=3, cooldown_t=2, lr_min=1e-4, mode=mode)
    ours = TM.PlateauLRScheduler(0.1, decay_rate=0.5, patience_t=3, cooldown_t=2, lr_min=1e-4, mode=mode)
    assert from_timm(sched) == ours
    state = ours.initial_state()
    for epoch, metric in enumerate(metrics, start=1):
        sched.step(epoch, float(metric))
        state = ours.update(state, float(metric))
        assert ours.lr(epoch, state) == opt.param_groups[0]["lr"]
    assert state.reductions > 2


@pytest.mark.parametrize(
    ("kwargs", "updates_per_epoch"),
    [
        (
            {"sched": "cosine", "num_epochs": 100, "warmup_epochs": 5, "min_lr": 1e-5, "cooldown_epochs": 10},
            0,
        ),
        (
            {
                "sched": "cosine",
                "num_epochs": 30,
                "cycle_limit": 3,
                "cycle_decay": 0.5,
                "warmup_prefix": True,
            },
            0,
        ),
        ({"sched": "tanh", "num_epochs": 50, "warmup_epochs": 3}, 200),
        ({"sched": "step", "decay_epochs": 3, "decay_rate": 0.5, "warmup_epochs": 1}, 100),
        ({"sched": "multistep", "decay_milestones": [10, 20], "num_epochs": 30}, 400),
        (
            {"sched": "poly", "num_epochs": 40, "decay_rate": 2.0, "warmup_prefix": True, "warmup_epochs": 2},
            0,
        ),
        ({"sched": "constant", "warmup_epochs": 5}, 0),
        ({"sched": "wsd", "num_epochs": 100, "warmup_epochs": 5, "min_lr": 1e-5, "cooldown_epochs": 3}, 0),
        (
            {"sched": "wsd", "num_epochs": 20, "warmup_epochs": 2, "decay_epochs": 4, "warmup_prefix": True},
            500,
        ),
        ({"sched": "rsqrt", "num_epochs": 30, "warmup_epochs": 3}, 400),
    ],
)
def test_create_scheduler_v2(kwargs: dict[str, object], updates_per_epoch: int) -> None:
    on_updates = updates_per_epoch > 0
    extra = {"step_on_epochs": not on_updates, "updates_per_epoch": updates_per_epoch}
    opt = optimizer()
    sched, epochs = S.create_scheduler_v2(opt, **kwargs, **extra)
    ours, our_epochs = TM.create_scheduler_v2(0.1, **kwargs, **extra)
    assert our_epochs == epochs
    n = max(N, (epochs + 1) * max(1, updates_per_epoch))
    assert_close(ours.values(np.arange(n)), applied(opt, sched, n, on_updates), what=str(kwargs))


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: TM.CosineLRScheduler(0.1, t_initial=0), "CosineLRScheduler.t_initial"),
        (lambda: TM.CosineLRScheduler(0.1, t_initial=10, lr_min=-1e-3), "CosineLRScheduler.lr_min"),
        (lambda: TM.CosineLRScheduler(0.1, 10, noise_range_t=5), "CosineLRScheduler.noise_range_t"),
        (lambda: TM.CosineLRScheduler(0.1, 10, cycle_mul=0.5), "CosineLRScheduler.cycle_mul"),
        (lambda: TM.CosineLRScheduler(0.1, 10**6, cycle_limit=100, k_decay=2.0), "CosineLRScheduler.k_decay"),
        (lambda: TM.PolyLRScheduler(0.1, 10, power=0.0), "PolyLRScheduler.power"),
        (lambda: TM.TanhLRScheduler(0.1, 10, lb=3.0, ub=3.0), "TanhLRScheduler.ub"),
        (lambda: TM.TanhLRScheduler(0.1, 10, warmup_t=-1), "TanhLRScheduler.warmup_t"),
        (lambda: TM.TanhLRScheduler(0.1, 10, warmup_lr_init=-1.0), "TanhLRScheduler.warmup_lr_init"),
        (lambda: TM.TanhLRScheduler(0.1, 10, cycle_limit=-1), "TanhLRScheduler.cycle_limit"),
        (lambda: TM.StepLRScheduler(0.1, decay_t=0), "StepLRScheduler.decay_t"),
        (lambda: TM.StepLRScheduler(0.1, decay_t=10, decay_rate=1.5), "StepLRScheduler.decay_rate"),
        (lambda: TM.MultiStepLRScheduler(0.1, decay_t=[20, 10]), "MultiStepLRScheduler.decay_t[1]"),
        (lambda: TM.PlateauLRScheduler(0.1, warmup_t=3), "PlateauLRScheduler.warmup_t"),
        (lambda: TM.WSDLRScheduler(0.1, 100, decay_t=200), "WSDLRScheduler.decay_t"),
        (lambda: TM.WSDLRScheduler(0.1, 100, 20, stable_fn="rsqrt"), "WSDLRScheduler.stable_timescale"),
        (lambda: TM.WSDLRScheduler(0.1, 100, 20, decay_fn="sqrt"), "WSDLRScheduler.decay_fn"),
        (lambda: TM.WSDLRScheduler(0.1, 100, 20, decay_ratio=1.0), "WSDLRScheduler.decay_ratio"),
        (
            lambda: TM.create_scheduler_v2(0.1, sched="wsd", num_epochs=10, decay_epochs=20),
            "create_scheduler_v2.decay_epochs",
        ),
        (lambda: TM.PlateauLRScheduler(0.1, mode="maximum"), "PlateauLRScheduler.mode"),
        (lambda: TM.create_scheduler_v2(0.1, sched="cosine_annealing"), "create_scheduler_v2.sched"),
        (lambda: TM.create_scheduler_v2(0.1, noise=[0.4, 0.9]), "create_scheduler_v2.noise_range_t"),
        (lambda: TM.create_scheduler_v2(0.1, step_on_epochs=False), "create_scheduler_v2.updates_per_epoch"),
    ],
)
def test_refusals_name_the_native_field(build: object, path: str) -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        build()
    assert info.value.path == path


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        ("CosineLRScheduler", {"t_initial": 0}),
        ("CosineLRScheduler", {"t_initial": 10, "lr_min": -1e-3}),
        ("TanhLRScheduler", {"t_initial": 10, "lb": 3.0, "ub": 3.0}),
        ("TanhLRScheduler", {"t_initial": 10, "cycle_limit": -1}),
        ("TanhLRScheduler", {"t_initial": 10, "warmup_t": -1}),
        ("TanhLRScheduler", {"t_initial": 10, "warmup_lr_init": -1.0}),
        ("WSDLRScheduler", {"t_initial": 100, "decay_t": 200}),
        ("WSDLRScheduler", {"t_initial": 100, "decay_t": 20, "stable_fn": "rsqrt"}),
        ("WSDLRScheduler", {"t_initial": 100, "decay_t": 20, "decay_fn": "sqrt"}),
        ("WSDLRScheduler", {"t_initial": 100, "decay_t": 20, "decay_ratio": 1.0}),
    ],
)
def test_native_refuses_too(cls: str, kwargs: dict[str, object]) -> None:
    """The refusals above that timm shares: timm asserts (WSD raises ValueError)."""
    with pytest.raises((AssertionError, ValueError)):
        getattr(S, cls)(optimizer(), **kwargs)
    with pytest.raises(lrcore.ConfigError):
        getattr(TM, cls)(0.1, **kwargs)


def test_noise_is_refused_by_from_timm() -> None:
    sched = S.CosineLRScheduler(optimizer(), t_initial=100, noise_range_t=50)
    with pytest.raises(lrcore.ConfigError, match="noise_range_t"):
        from_timm(sched)
