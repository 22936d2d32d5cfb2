"""The scripts in examples/ run, and print the rate each framework applied: the shared
schedule file's, in all three."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcore
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.integrations

EXAMPLES = Path(__file__).parents[2] / "examples"
PLAN = lrcore.load(EXAMPLES / "conf" / "schedule" / "warmup_cosine.yaml")


def run(script: str, *args: str) -> tuple[np.ndarray, np.ndarray]:
    """The (update, lr) pairs a script printed."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=EXAMPLES.parent,
        env={**os.environ, "PYTHONPATH": ""},  # as a user runs it: lrcore from the installed package
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.findall(r"^update (\d+) lr (\S+) loss (\S+)$", done.stdout, flags=re.MULTILINE)
    assert len(found) >= 3, done.stdout
    assert all(np.isfinite(float(loss)) for *_, loss in found)
    return np.array([int(t) for t, _, _ in found]), np.array([float(lr) for _, lr, _ in found])


def test_train_torch():
    require("torch")
    steps, lrs = run("train_torch.py", "--updates", "120")
    assert lrs.tolist() == [PLAN(int(t)) for t in steps]  # float64, bit for bit
    assert steps[-1] == 119


def test_train_jax():
    jax = require("jax")
    require("optax")
    steps, lrs = run("train_jax.py", "--updates", "120")
    assert_float32_reference(lrs, PLAN.values(steps), "train_jax", near_ties=not jax.config.jax_enable_x64)
    assert steps[-1] == 119


def test_train_keras():
    require("keras")
    steps, lrs = run("train_keras.py", "--epochs", "4")
    np.testing.assert_array_equal(np.float32(lrs), PLAN.values(steps).astype(np.float32))
    assert steps.tolist() == [29, 59, 89, 119]
