"""The command from a folder that holds an ``lrcore/`` folder (the folder a ``git clone``
runs in holds one): ``python -m`` puts the working directory first on the import path,
where that folder would shadow the installed package in the command and in every runner
process it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import FAKE, ROOT

SCRIPT = Path(sys.executable).with_name("lrcore")
COMPARE = ("compare", "one-cycle", "--steps", "50", "--backends", "torch,optax", "--no-plot")


@pytest.fixture(params=["empty folder", "package"])
def shadowed(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A working directory with an ``lrcore/`` folder: empty (a clone's parent), or a
    package that fails loudly when imported."""
    (tmp_path / "lrcore").mkdir()
    if request.param == "package":
        (tmp_path / "lrcore" / "__init__.py").write_text(
            "raise SystemExit('the shadow lrcore was imported')\n"
        )
    return tmp_path


def run(command: list[str], cwd: Path, *, fake: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LRCORE_COMPARE_RUNNER", "FAKE_RUNNER_MODES")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    if fake:
        env["LRCORE_COMPARE_RUNNER"] = FAKE
        env["FAKE_RUNNER_MODES"] = "{}"
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def assert_compared(done: subprocess.CompletedProcess[str], backends: list[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shadow" not in done.stdout + done.stderr
    for backend in backends:
        (row,) = [line for line in done.stdout.splitlines() if line.startswith(backend + "  ")]
        assert row.rstrip().endswith("ok"), row


def test_the_lrcore_command(shadowed: Path) -> None:
    if not SCRIPT.is_file():
        pytest.skip(f"no lrcore command beside {sys.executable}: lrcore is not installed in this environment")
    assert_compared(run([str(SCRIPT), *COMPARE], shadowed), ["torch", "optax"])
    done = run([str(SCRIPT), "show", "one-cycle", "--steps", "100"], shadowed)
    assert done.returncode == 0 and "lrcore.one_cycle(peak=0.01, total=5000)" in done.stdout, done.stderr


def test_python_m_lrcore_beside_an_empty_lrcore_folder(tmp_path: Path) -> None:
    (tmp_path / "lrcore").mkdir()
    assert_compared(run([sys.executable, "-m", "lrcore", *COMPARE], tmp_path), ["torch", "optax"])
    done = run(
        [sys.executable, "-m", "lrcore", "export", "one-cycle", "--steps", "2", "--format", "json"], tmp_path
    )
    assert done.returncode == 0 and json.loads(done.stdout)["steps"] == 2, done.stderr


@pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P is new in Python 3.11")
def test_python_safe_path_m_lrcore_beside_an_lrcore_package(shadowed: Path) -> None:
    """A package named lrcore in the working directory is what plain ``python -m lrcore``
    runs there (Python's rule); ``-P`` leaves the directory off the path."""
    assert_compared(run([sys.executable, "-P", "-m", "lrcore", *COMPARE], shadowed), ["torch", "optax"])


@pytest.mark.torch
def test_the_real_torch_runner_beside_an_lrcore_package(shadowed: Path) -> None:
    from tests.conftest import require

    require("torch")
    command = [sys.executable, "-P", "-m", "lrcore", *COMPARE[:4], "--backends", "torch", "--no-plot"]
    assert_compared(run(command, shadowed, fake=False), ["torch"])
