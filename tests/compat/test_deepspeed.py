"""lrcore.compat.deepspeed against DeepSpeed's own scheduler classes, stepped for real.

DeepSpeed installs on the CPU without its dependencies and without building its ops
(``DS_BUILD_OPS=0 pip install --no-deps deepspeed`` plus the few modules its import needs);
``deepspeed.runtime.lr_schedules`` then imports. Each case builds the class the way
DeepSpeed's engine does (``getattr(lr_schedules, type)(optimizer, **params)``), runs a real
SGD optimizer with ``scheduler.step()`` after every update for at least 10,000 updates, and
compares the lr of every update with ``from_config`` of the same config.
"""

from __future__ import annotations

import json
import logging
import math
import pathlib
import warnings

import numpy as np
import pytest

import lrcore
import lrcore.compat.deepspeed as DS
from tests.compat._parity import N, assert_close
from tests.conftest import require

pytestmark = pytest.mark.torch
torch = require("torch")
lr_schedules = require("deepspeed.runtime.lr_schedules")
logging.getLogger("DeepSpeed").setLevel(logging.ERROR)

BASE_LR = 3e-4


def config(kind: str, **params: object) -> dict[str, object]:
    return {
        "optimizer": {"type": "SGD", "params": {"lr": BASE_LR}},
        "scheduler": {"type": kind, "params": params},
    }


def applied(ds_config: dict[str, object], n: int) -> np.ndarray:
    """The lr of each of ``n`` updates of a real optimizer under DeepSpeed's scheduler."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=BASE_LR)
    section = ds_config["scheduler"]
    sched = getattr(lr_schedules, section["type"])(opt, **section["params"])
    out = np.empty(n)
    for t in range(n):
        out[t] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out


CASES = {
    "WarmupLR_log": (config("WarmupLR", warmup_num_steps=1000), N),
    "WarmupLR_linear": (
        config("WarmupLR", warmup_min_lr=1e-6, warmup_num_steps=700, warmup_type="linear"),
        N,
    ),
    "WarmupLR_one_step": (config("WarmupLR", warmup_max_lr=1e-3, warmup_num_steps=1), 100),
    "WarmupDecayLR_log": (config("WarmupDecayLR", total_num_steps=9000, warmup_max_lr=1e-3), N),
    "WarmupDecayLR_linear": (
        config(
            "WarmupDecayLR",
            total_num_steps=N,
            warmup_min_lr=1e-5,
            warmup_max_lr=1e-3,
            warmup_num_steps=500,
            warmup_type="linear",
        ),
        N + 10,
    ),
    "WarmupDecayLR_total_below_warmup": (
        config("WarmupDecayLR", total_num_steps=50, warmup_max_lr=1e-3, warmup_num_steps=100),
        500,
    ),
    "WarmupCosineLR_log": (config("WarmupCosineLR", total_num_steps=9000, warmup_num_steps=800), N),
    "WarmupCosineLR_linear": (
        config(
            "WarmupCosineLR",
            total_num_steps=N,
            warmup_min_ratio=0.01,
            warmup_num_steps=300,
            cos_min_ratio=0.05,
            warmup_type="linear",
        ),
        N + 10,
    ),
    "OneCycle": (
        config(
            "OneCycle", cycle_min_lr=1e-5, cycle_max_lr=1e-3, cycle_first_step_size=3000, cycle_momentum=False
        ),
        N,
    ),
    "OneCycle_asymmetric_decay": (
        config(
            "OneCycle",
            cycle_min_lr=1e-5,
            cycle_max_lr=1e-3,
            cycle_first_step_size=2000,
            cycle_second_step_size=4000,
            decay_lr_rate=0.5,
            decay_step_size=100,
            cycle_momentum=False,
        ),
        N,
    ),
    "OneCycle_stairs": (
        config(
            "OneCycle",
            cycle_min_lr=1e-5,
            cycle_max_lr=1e-3,
            cycle_first_step_size=3000,
            cycle_second_step_size=5000,
            cycle_first_stair_count=6,
            cycle_second_stair_count=4,
            decay_lr_rate=0.01,
            decay_step_size=10,
            cycle_momentum=False,
        ),
        N,
    ),
    "OneCycle_no_way_down": (
        config(
            "OneCycle",
            cycle_min_lr=1e-5,
            cycle_max_lr=1e-3,
            cycle_first_step_size=6000,
            cycle_second_step_size=0,
            cycle_momentum=False,
        ),
        N,
    ),
    "LRRangeTest": (config("LRRangeTest", lr_range_test_min_lr=1e-5, lr_range_test_step_size=100), N),
    "LRRangeTest_staircase": (
        config(
            "LRRangeTest",
            lr_range_test_min_lr=1e-5,
            lr_range_test_step_size=300,
            lr_range_test_step_rate=0.5,
            lr_range_test_staircase=True,
        ),
        N,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity_stepped(name: str) -> None:
    ds_config, n = CASES[name]
    ours = DS.from_config(ds_config, horizon=n)
    assert_close(ours.values(np.arange(n)), applied(ds_config, n), what=name)
    assert lrcore.from_config(ours.to_config()) == ours


def test_warmup_runs_one_update_late() -> None:
    """Updates 0 and 1 both run at the start of DeepSpeed's warmup."""
    s = DS.WarmupLR(0.0, 1.0, warmup_num_steps=10, warmup_type="linear")
    assert s(0) == s(1) == 0.0 and math.isclose(s(2), 0.1) and s(11) == 1.0


def test_from_config_reads_a_json_file(tmp_path: pathlib.Path) -> None:
    ds_config, _ = CASES["WarmupCosineLR_linear"]
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps(ds_config))
    assert DS.from_config(path) == DS.from_config(ds_config)
    assert DS.from_config(str(path), base_lr=1.0) != DS.from_config(ds_config)


def test_one_cycle_momentum_is_not_dropped_silently() -> None:
    with pytest.warns(UserWarning, match="beta1"):
        DS.OneCycle(1e-5, 1e-3)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        (("WarmupLR", {"warmup_num_steps": 0}), "WarmupLR.warmup_num_steps"),
        (("WarmupLR", {"warmup_num_steps": 100.0}), "WarmupLR.warmup_num_steps"),
        (
            ("WarmupCosineLR", {"total_num_steps": 100, "warmup_num_steps": -5}),
            "WarmupCosineLR.warmup_num_steps",
        ),
        (
            ("OneCycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_first_step_size": 0}),
            "OneCycle.cycle_first_step_size",
        ),
        (
            ("OneCycle", {"cycle_min_lr": 0.0, "cycle_max_lr": 1.0, "cycle_second_step_size": -1}),
            "OneCycle.cycle_second_step_size",
        ),
        (("LRRangeTest", {"lr_range_test_step_size": 0}), "LRRangeTest.lr_range_test_step_size"),
        (("LRRangeTest", {"lr_range_test_step_size": 2.5}), "LRRangeTest.lr_range_test_step_size"),
    ],
)
def test_refuses_what_deepspeed_refuses(params: tuple[str, dict[str, object]], path: str) -> None:
    kind, kwargs = params
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
    with pytest.raises(ValueError):
        getattr(lr_schedules, kind)(opt, **kwargs)
    with pytest.raises(lrcore.ConfigError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DS.from_config(config(kind, **kwargs), horizon=100)
    assert info.value.path == path


@pytest.mark.parametrize(
    ("ds_config", "path"),
    [
        (config("WarmupLR", warmup_type="exp"), "WarmupLR.warmup_type"),
        (config("LRRangeTest"), "LRRangeTest.horizon"),
        (config("WarmupCosineLR", total_num_steps=100, cos_min_ratio=-0.1), "WarmupCosineLR.cos_min_ratio"),
        (config("WarmupDecayLR", total_num_steps="auto"), "scheduler.params.total_num_steps"),
        (config("WarmupCosine", total_num_steps=100), "scheduler.type"),
        ({"scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 10}}}, "optimizer.params.lr"),
        (config("WarmupLR", warmup_num_stepz=10), "scheduler.params"),
    ],
)
def test_refuses_more_and_says_why(ds_config: dict[str, object], path: str) -> None:
    """Where lrcore refuses what DeepSpeed accepts (docs/porting.md lists these)."""
    with pytest.raises(lrcore.ConfigError) as info:
        DS.from_config(ds_config)
    assert info.value.path == path


def test_per_group_lists_port_one_group() -> None:
    ds_config = config("OneCycle", cycle_min_lr=[1e-5, 2e-5], cycle_max_lr=[1e-3, 3e-3], cycle_momentum=False)
    param = [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [p]} for p in param], lr=BASE_LR)
    sched = lr_schedules.OneCycle(opt, **ds_config["scheduler"]["params"])
    native = np.empty((N, 2))
    for t in range(N):
        native[t] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    for i in range(2):
        assert_close(DS.from_config(ds_config, group=i).values(np.arange(N)), native[:, i])
    with pytest.raises(lrcore.ConfigError, match="group=i"):
        DS.from_config(ds_config)


# -- OneCycle's beta1 side -------------------------------------------------------------------

BETA1_CASES = {
    "symmetric": {"cycle_min_lr": 1e-5, "cycle_max_lr": 1e-3, "cycle_first_step_size": 300},
    "asymmetric_lr_decay": {
        "cycle_min_lr": 1e-5,
        "cycle_max_lr": 1e-3,
        "cycle_first_step_size": 170,
        "cycle_second_step_size": 430,
        "decay_lr_rate": 0.01,
        "decay_step_size": 50,
        "cycle_min_mom": 0.7,
        "cycle_max_mom": 0.95,
    },
    "stairs": {
        "cycle_min_lr": 1e-5,
        "cycle_max_lr": 1e-3,
        "cycle_first_step_size": 300,
        "cycle_second_step_size": 500,
        "cycle_first_stair_count": 4,
        "cycle_second_stair_count": 7,
    },
    "no_way_down": {
        "cycle_min_lr": 1e-5,
        "cycle_max_lr": 1e-3,
        "cycle_first_step_size": 400,
        "cycle_second_step_size": 0,
    },
}


def applied_betas(params: dict[str, object], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lr, betas[0] and betas[1] of each of ``n`` real Adam updates under DeepSpeed's OneCycle."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=BASE_LR)
    sched = lr_schedules.OneCycle(opt, **params)
    x, y = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64)
    out = np.empty((3, n))
    for t in range(n):
        group = opt.param_groups[0]
        out[:, t] = group["lr"], group["betas"][0], group["betas"][1]
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    return out[0], out[1], out[2]


@pytest.mark.parametrize("name", list(BETA1_CASES))
def test_one_cycle_beta1_follows_deepspeed(name: str) -> None:
    """Measured over 2,000 Adam updates: within 2 ulps of cycle_max_mom (DeepSpeed's float
    cycle phase against lrcore's integer one), bit for bit with stairs (a transcribed table)."""
    params = BETA1_CASES[name]
    ds_config = {
        "optimizer": {"type": "Adam", "params": {"lr": BASE_LR}},
        "scheduler": {"type": "OneCycle", "params": params},
    }
    n = 2000
    lrs, beta1, beta2 = applied_betas(params, n)
    with pytest.warns(UserWarning, match="hyperparameters"):
        ours = DS.from_config(ds_config)
    assert_close(ours.values(np.arange(n)), lrs, what=f"{name} lr")
    sides = DS.hyperparameters(ds_config)
    assert list(sides) == ["beta1"]
    side = sides["beta1"]
    top = float(params.get("cycle_max_mom", 0.9))  # type: ignore[arg-type]
    diff = np.abs(side.values(np.arange(n)) - beta1)
    assert float(diff.max()) <= 2 * np.spacing(top), f"{name}: {diff.max() / np.spacing(top)} ulps"
    assert beta1[0] == side(0) == params.get("cycle_min_mom", 0.8)  # the constructor's betas
    assert side == DS.OneCycleBeta1(**params)  # type: ignore[arg-type]
    assert lrcore.from_config(side.to_config()) == side
    # DeepSpeed also sets beta2 to 0.99, which no beta1 schedule carries (docs/porting.md)
    assert set(beta2) == {0.99}


def test_one_cycle_without_momentum_has_no_side() -> None:
    off = config("OneCycle", cycle_min_lr=1e-5, cycle_max_lr=1e-3, cycle_momentum=False)
    assert DS.hyperparameters(off) == {}
    assert DS.hyperparameters(CASES["WarmupLR_log"][0]) == {}
    with pytest.raises(lrcore.ConfigError, match="cycle_momentum"):
        DS.OneCycleBeta1(cycle_momentum=False)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"decay_mom_rate": 0.1, "decay_step_size": 100}, "OneCycle.decay_mom_rate"),
        ({"cycle_min_mom": 0.95, "cycle_max_mom": 0.9}, "OneCycle.cycle_min_mom"),
        ({"cycle_max_mom": 1.0}, "OneCycle.cycle_max_mom"),
        ({"cycle_min_mom": -0.1}, "OneCycle.cycle_min_mom"),
    ],
)
def test_beta1_side_refuses_what_it_cannot_carry(params: dict[str, object], path: str) -> None:
    ds_config = config("OneCycle", cycle_min_lr=1e-5, cycle_max_lr=1e-3, **params)
    with pytest.raises(lrcore.ConfigError) as info:
        DS.hyperparameters(ds_config)
    assert info.value.path == path


def test_beta1_per_group_lists() -> None:
    ds_config = config("OneCycle", cycle_min_lr=1e-5, cycle_max_lr=1e-3, cycle_min_mom=[0.8, 0.6])
    assert DS.hyperparameters(ds_config, group=1)["beta1"](0) == 0.6
    with pytest.raises(lrcore.ConfigError, match="group=i"):
        DS.hyperparameters(ds_config)
