"""Configs from OmegaConf and Hydra: ``lrcore.from_config`` reads a ``DictConfig`` with its
interpolations resolved, a Hydra ``_target_`` builds any schedule or adapter, and one schedule
file of a config group drives a torch run and a JAX run (examples/conf)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import CASES
from tests.conftest import require
from tests.contract import assert_float32_reference
from tests.integrations import PLAN

pytestmark = pytest.mark.integrations

omegaconf = require("omegaconf")
hydra = require("hydra")
from hydra.utils import instantiate  # noqa: E402

OmegaConf = omegaconf.OmegaConf
CONF = Path(__file__).parents[2] / "examples" / "conf"


def test_dictconfig_with_interpolations():
    cfg = OmegaConf.create(
        {
            "trainer": {"max_steps": 1000, "warmup": 50},
            "schedule": {
                "type": "warmup",
                "steps": "${trainer.warmup}",
                "schedule": {"type": "cosine", "start": 0.1, "end": 0.0, "steps": "${trainer.max_steps}"},
            },
        }
    )
    expected = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1000), steps=50)
    assert lrcore.from_config(cfg.schedule) == expected
    assert lrcore.from_config(OmegaConf.create(expected.to_config())) == expected


def test_listconfig_fields_and_join():
    cfg = OmegaConf.create({"type": "multistep", "start": 0.1, "milestones": [10, 20], "gamma": 0.5})
    assert lrcore.from_config(cfg) == lrcore.multistep(start=0.1, milestones=[10, 20], gamma=0.5)


@pytest.mark.parametrize(
    ("node", "path"),
    [({"steps": "${missing}"}, "schedule.steps"), ({"steps": "???"}, "schedule.steps")],
)
def test_unresolved_fields_are_config_errors(node, path):
    cfg = OmegaConf.create({"schedule": {"type": "cosine", "start": 0.1, "end": 0.0, **node}})
    with pytest.raises(lrcore.ConfigError) as error:
        lrcore.from_config(cfg.schedule)
    assert error.value.path == path


def test_a_bad_value_names_its_field():
    cfg = OmegaConf.create(
        {"type": "join", "boundaries": [10], "schedules": [{"type": "constant", "value": 1}]}
    )
    with pytest.raises(lrcore.ConfigError, match=r"schedules"):
        lrcore.from_config(cfg)


def test_plain_configs_never_import_omegaconf():
    code = (
        "import sys, lrcore\n"
        "lrcore.from_config({'type': 'constant', 'value': 0.1})\n"
        "assert 'omegaconf' not in sys.modules, 'omegaconf imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _targets(config):
    """A config as Hydra ``_target_`` nodes: ``{"type": "cosine", ...}`` -> ``lrcore.cosine(...)``."""
    if isinstance(config, dict):
        if "type" in config:
            rest = {k: _targets(v) for k, v in config.items() if k != "type"}
            return {"_target_": f"lrcore.{config['type']}", **rest}
        return {k: _targets(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_targets(v) for v in config]
    return config


@pytest.mark.parametrize("name", list(CASES))
def test_hydra_target_builds_every_schedule(name):
    schedule = CASES[name]
    built = instantiate(OmegaConf.create(_targets(schedule.to_config())), _convert_="all")
    assert built == schedule


def test_hydra_target_through_from_config():
    schedule = CASES["warmup_join_nested"]
    cfg = OmegaConf.create({"_target_": "lrcore.from_config", "config": schedule.to_config()})
    assert instantiate(cfg) == schedule


def test_one_schedule_file_for_a_torch_run_and_a_jax_run():
    torch = require("torch")
    lro = require("lrcore.adapters.optax")
    jax = require("jax")
    with hydra.initialize_config_dir(config_dir=str(CONF), version_base=None):
        cfg = hydra.compose(config_name="config")
    plan = lrcore.load(CONF / "schedule" / "warmup_cosine.yaml")
    assert lrcore.from_config(cfg.schedule) == plan

    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = instantiate(cfg.torch_scheduler)(optimizer)
    applied = []
    for _ in range(cfg.updates):
        applied.append(optimizer.param_groups[0]["lr"])
        model(torch.ones(2, 3)).sum().backward()
        optimizer.step()
        scheduler.step()
    assert applied == [plan(t) for t in range(cfg.updates)]

    lr = instantiate(cfg.optax_schedule, _convert_="all")
    assert lr == lro.schedule(plan)
    counts = jax.numpy.arange(cfg.updates)
    values = np.asarray(jax.jit(jax.vmap(lr))(counts))
    assert_float32_reference(
        values, plan.values(np.arange(cfg.updates)), "optax", near_ties=not jax.config.jax_enable_x64
    )


def test_hydra_target_builds_a_plateau_and_the_adapters():
    torch = require("torch")
    require("keras")
    lrk = require("lrcore.adapters.keras")
    plateau = lrcore.plateau(PLAN, patience=2, factor=0.5)
    cfg = OmegaConf.create(
        {
            "plateau": _targets(plateau.to_config()),
            "on_plateau": {
                "_target_": "lrcore.adapters.torch.plateau_scheduler",
                "_partial_": True,
                "plateau": "${plateau}",
            },
            "keras": {"_target_": "lrcore.adapters.keras.schedule", "schedule": _targets(PLAN.to_config())},
        }
    )
    assert instantiate(cfg.plateau, _convert_="all") == plateau
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    assert instantiate(cfg.on_plateau, _convert_="all")(optimizer).plateau == plateau
    assert instantiate(cfg.keras, _convert_="all") == lrk.schedule(PLAN)
