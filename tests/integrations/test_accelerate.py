"""accelerate with 2 processes on the CPU (torchrun, ``Accelerator(cpu=True)``).

``accelerator.prepare(scheduler)`` steps the scheduler once per process on every update
unless ``split_batches=True``: accelerate's convention for schedules written in per-process
batches. lrcore's ``t`` counts applied updates, and its torch scheduler holds a step that
follows no applied update, so a prepared one still advances once per update. The pattern
the README recommends does not rely on that: keep the scheduler out of ``prepare``, step it
when ``accelerator.sync_gradients`` and checkpoint it with ``register_for_checkpointing``.
This test runs that pattern with gradient accumulation 2 and a resume, and both prepared
forms.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integrations import PLAN

pytestmark = pytest.mark.integrations

require("torch")
require("accelerate")

ROOT = Path(__file__).parents[2]
UPDATES = 120  # accelerate_worker.UPDATES


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Each rank's record of one 2-process launch (every test below reads its own part)."""
    out = tmp_path_factory.mktemp("accelerate")
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # torchrun, not `accelerate launch --cpu`: accelerate starts several CPU processes only
    # through MPI; under torchrun, Accelerator(cpu=True) joins the gloo group it finds.
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_addr", "127.0.0.1", "--master_port", str(port),
        str(Path(__file__).with_name("accelerate_worker.py")), str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads((out / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["world"] for r in records] == [2, 2]
    return records


@pytest.mark.parametrize("rank", [0, 1])
def test_stepped_once_per_applied_update(ranks, rank):
    applied = ranks[rank]["stepped_after_sync"]
    last_epoch, resumed_lr = applied[-2:]
    assert applied[:-2] == [PLAN(t) for t in range(UPDATES)]
    assert (last_epoch, resumed_lr) == (UPDATES // 2, PLAN(UPDATES // 2))


@pytest.mark.parametrize("rank", [0, 1])
def test_prepared_with_split_batches_counts_updates(ranks, rank):
    assert ranks[rank]["prepared_split_batches"] == [PLAN(t) for t in range(UPDATES // 2)]


@pytest.mark.parametrize("rank", [0, 1])
def test_prepared_still_counts_applied_updates(ranks, rank):
    # accelerate steps a prepared scheduler once per process on every update; lrcore's holds
    # the steps that follow no applied update (skipped="hold"), so t still counts updates.
    assert ranks[rank]["prepared"] == [PLAN(t) for t in range(UPDATES // 2)]
