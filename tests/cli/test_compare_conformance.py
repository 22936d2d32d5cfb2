"""``lrcore compare`` for real: every framework's runner on the default example."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRED

pytestmark = pytest.mark.conformance

BACKENDS = ("torch", "optax", "keras-tensorflow", "keras-jax", "keras-torch")


def test_lrcore_compare_default_example_all_backends(tmp_path: Path) -> None:
    for module in ("torch", "jax", "optax", "keras", "tensorflow"):
        if importlib.util.find_spec(module) is None and module not in REQUIRED:
            pytest.skip(f"{module} is not installed; run nox -s conformance")
    env = {k: v for k, v in os.environ.items() if k not in ("LRCORE_COMPARE_RUNNER", "KERAS_BACKEND")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrcore",
            "compare",
            "--steps",
            "1200",
            "--backends",
            ",".join(BACKENDS),
            "--json",
            "report.json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for backend in BACKENDS:
        (row,) = [line for line in done.stdout.splitlines() if line.startswith(backend + " ")]
        assert row.rstrip().endswith("ok"), row
    assert (tmp_path / "report.json").is_file()
