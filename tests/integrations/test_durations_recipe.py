"""The durations recipe of examples/durations.py: one config written with "5%" and "90ep",
bound for two dataset sizes, applies in PyTorch, optax and Keras exactly the learning rates
of the integer configs worked out by hand, at every update."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrcore
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.integrations

SCRIPT = Path(__file__).parents[2] / "examples" / "durations.py"


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("durations_example", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


example = load_script()


def by_hand(warmup: int, cosine: int) -> lrcore.Schedule:
    return lrcore.warmup(lrcore.cosine(start=0.1, end=1e-4, steps=cosine), steps=warmup)


# 4 and 10 updates per epoch, 95 epochs: 5% of 380 is 19, of 950 is 47.5 (halves up: 48);
# 90 epochs are 360 and 900 updates.
HAND = {"small": by_hand(19, 90 * 4), "large": by_hand(48, 90 * 10)}
DATASETS = {ds.name: ds for ds in example.DATASETS}


def test_the_recipe_is_written_once_in_durations_and_binds_to_the_hand_configs() -> None:
    assert example.RECIPE.to_config() == {
        "type": "warmup",
        "schedule": {"type": "cosine", "start": 0.1, "end": 0.0001, "steps": "90ep"},
        "steps": "5%",
    }
    for name, ds in DATASETS.items():
        assert (ds.total_steps, ds.steps_per_epoch) == {"small": (380, 4), "large": (950, 10)}[name]
        assert ds.plan() == HAND[name]
    assert HAND["small"].values(np.arange(380)).tolist() != HAND["large"].values(np.arange(380)).tolist()


@pytest.mark.parametrize("name", list(HAND))
def test_torch_applies_the_hand_config_bit_for_bit(name: str) -> None:
    require("torch")
    applied = example.train_torch(DATASETS[name])
    reference = HAND[name].values(np.arange(DATASETS[name].total_steps))
    assert applied.tolist() == reference.tolist()


@pytest.mark.parametrize("name", list(HAND))
def test_optax_under_jit_applies_the_hand_config(name: str) -> None:
    jax = require("jax")
    require("optax")
    applied = example.train_optax(DATASETS[name])
    reference = HAND[name].values(np.arange(DATASETS[name].total_steps))
    assert applied.shape == reference.shape
    assert_float32_reference(applied, reference, name, near_ties=not jax.config.read("jax_enable_x64"))


@pytest.mark.parametrize("name", list(HAND))
def test_keras_fit_applies_the_hand_config(name: str) -> None:
    keras = require("keras")
    applied = example.train_keras(DATASETS[name])
    reference = HAND[name].values(np.arange(DATASETS[name].total_steps))
    assert applied.shape == reference.shape
    # float32-only evaluation (Keras on JAX without x64): 1 ulp allowed at near ties only
    float32_only = keras.backend.backend() == "jax" and not require("jax").config.read("jax_enable_x64")
    assert_float32_reference(applied, reference, name, near_ties=float32_only)


def test_the_script_runs_and_prints_both_bindings() -> None:
    require("torch")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--frameworks", "torch"],
        cwd=SCRIPT.parents[1],
        env={**os.environ, "PYTHONPATH": ""},  # as a user runs it: lrcore from the installed package
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert f"steps_per_epoch=4, total_steps=380 -> {HAND['small']!r}" in done.stdout
    assert f"steps_per_epoch=10, total_steps=950 -> {HAND['large']!r}" in done.stdout
    assert done.stdout.count("torch: ") == 2 and "MISMATCH" not in done.stdout
