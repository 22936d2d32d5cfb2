"""Distributed training applies the same learning rate on every replica, equal to the reference.

Each case runs its framework in fresh subprocesses (``sys.executable``, an explicit
environment, a timeout) with the scripts in ``tests/reliability/dist_workers/``, over the
schedules of ``SCHEDULES`` for ``UPDATES`` updates each, and records per replica the
learning rate every update applied:

- torch ``DistributedDataParallel``, 2 CPU processes on gloo (torchrun's environment
  variables, ``MASTER_ADDR=127.0.0.1`` and a free port): both ranks equal each other and
  the float64 reference bit for bit (SPEC 7), and end with identical parameters.
- JAX over 2 host devices (``--xla_force_host_platform_device_count=2``), a jitted step
  with ``NamedSharding`` (batch sharded, parameters and optimizer state replicated) and
  ``optax.inject_hyperparams`` with the lrcore schedule: every device's shard of the
  learning rate is the same, float32(reference) in float32 (double-float pairs: 1 ulp
  allowed at near ties only) and under x64.
- Keras on JAX with ``keras.distribution.DataParallel`` and Keras on TensorFlow with
  ``tf.distribute.MirroredStrategy`` over 2 logical CPUs: each replica's own copy of the
  probe's weights witnesses the rates it applied: float32(reference) on both (on JAX
  in float32, 1 ulp allowed at near ties only).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrcore
from tests.conftest import require
from tests.contract import assert_float32_reference

pytestmark = pytest.mark.distributed

UPDATES = 300
SCRIPTS = Path(__file__).parent / "dist_workers"  # not "dist/": .gitignore drops that name
ROOT = Path(__file__).parents[2]
TIMEOUT = 180  # seconds per subprocess; every case here takes a few seconds
SCHEDULES = {
    "warmup_cosine": lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=250), steps=50),
    "multistep": lrcore.multistep(start=0.1, milestones=[100, 200], gamma=0.1),
    "one_cycle": lrcore.one_cycle(peak=0.1, total=280),
    "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=60, cycle_mult=2),
}
TWO_HOST_DEVICES = "--xla_force_host_platform_device_count=2"


def environment(**extra: str) -> dict[str, str]:
    """A child's environment: this one's basics (PATH, HOME, the virtualenv), nothing
    that would change a framework's behaviour unless named here."""
    keep = ("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH", "SYSTEMROOT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2",
        TF_ENABLE_ONEDNN_OPTS="0",
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1",  # two ranks share two cores
        JAX_PLATFORMS="cpu",
        **extra,
    )
    return env


def request(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"configs": [s.to_config() for s in SCHEDULES.values()], "updates": UPDATES}))
    return path


def run_script(script: str, tmp_path: Path, env: dict[str, str], name: str = "result") -> dict:
    """Run one script to completion and return its JSON result."""
    out = tmp_path / f"{name}.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script), str(request(tmp_path)), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(out.read_text())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference(schedule: lrcore.Schedule) -> np.ndarray:
    return schedule.values(np.arange(UPDATES))


def assert_float32_reference_of(applied, schedule: lrcore.Schedule, what: str, *, float32_only: bool) -> None:
    """SPEC 7: float32(reference) at every update; float32-only evaluation (JAX without
    x64, Keras on JAX) may miss a near tie by 1 ulp."""
    assert_float32_reference(applied, reference(schedule), what, near_ties=float32_only)


# -- torch DistributedDataParallel ----------------------------------------------------------


def test_torch_ddp_ranks_apply_the_reference_bit_for_bit(tmp_path) -> None:
    require("torch")
    world = 2
    env = environment(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE=str(world))
    req = request(tmp_path)
    ranks = [
        subprocess.Popen(
            [sys.executable, str(SCRIPTS / "torch_ddp.py"), str(req), str(tmp_path / f"rank{r}.json")],
            cwd=ROOT,
            env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in range(world)
    ]
    try:
        logs = [rank.communicate(timeout=TIMEOUT)[0] for rank in ranks]
    finally:
        for rank in ranks:  # a rank left waiting for a failed peer
            if rank.poll() is None:
                rank.kill()
                rank.wait()
    for r, rank in enumerate(ranks):
        assert rank.returncode == 0, f"rank {r} failed:\n{logs[r][-5000:]}"
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(world)]
    assert [res["rank"] for res in results] == [0, 1] and {res["world_size"] for res in results} == {world}

    for i, (name, schedule) in enumerate(SCHEDULES.items()):
        expected = reference(schedule).tolist()
        for r, res in enumerate(results):
            lrs = res["lrs"][i]
            first_bad = next((t for t, (a, b) in enumerate(zip(lrs, expected, strict=True)) if a != b), None)
            assert first_bad is None, f"{name}, rank {r}: update {first_bad} applied {lrs[first_bad]!r}"
        # DDP kept the replicas in sync: the same rates gave the same weights.
        assert results[0]["params"][i] == results[1]["params"][i], name


# -- JAX: one jitted step over two host devices ---------------------------------------------


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "x64"])
def test_jax_sharded_step_applies_the_same_rate_on_each_device(tmp_path, x64) -> None:
    require("jax")
    require("optax")
    env = environment(XLA_FLAGS=TWO_HOST_DEVICES, JAX_ENABLE_X64="1" if x64 else "0")
    result = run_script("jax_sharded.py", tmp_path, env)
    assert result["devices"] == 2 and result["x64"] == x64
    for i, (name, schedule) in enumerate(SCHEDULES.items()):
        per_device = np.asarray(result["lrs"][i])  # (updates, devices)
        assert per_device.shape == (UPDATES, 2)
        assert np.array_equal(per_device[:, 0], per_device[:, 1]), f"{name}: the devices' rates differ"
        assert result["replicated"][i], f"{name}: parameters are not replicated identically"
        assert_float32_reference_of(per_device[:, 0], schedule, name, float32_only=not x64)


# -- Keras data parallelism -----------------------------------------------------------------


def check_keras_replicas(result: dict, *, float64: bool) -> None:
    assert result["replicas"] == 2 and result["float64"] == float64
    for i, (name, schedule) in enumerate(SCHEDULES.items()):
        copies = np.asarray(result["applied"][i])  # (replica copy, row in the pair, update)
        assert copies.shape == (2, 2, UPDATES)
        assert (copies == copies[0, 0]).all(), f"{name}: the replicas applied different rates"
        assert_float32_reference_of(copies[0, 0], schedule, name, float32_only=not float64)


def test_keras_data_parallel_on_jax(tmp_path) -> None:
    require("keras")
    require("jax")
    env = environment(KERAS_BACKEND="jax", XLA_FLAGS=TWO_HOST_DEVICES)
    check_keras_replicas(run_script("keras_parallel.py", tmp_path, env), float64=False)


def test_keras_mirrored_strategy_on_tensorflow(tmp_path) -> None:
    require("keras")
    require("tensorflow")
    env = environment(KERAS_BACKEND="tensorflow")
    check_keras_replicas(run_script("keras_parallel.py", tmp_path, env), float64=True)
