"""One process of ``test_accelerate.py`` (run under ``torchrun --nproc_per_node 2``).

Writes ``rank<N>.json`` into the folder given as its argument: for each integration, the lr
the torch optimizer held as each update it applied started (a step pre-hook).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from accelerate import Accelerator, DataLoaderConfiguration

from lrcore.adapters.torch import scheduler
from tests.integrations import PLAN

UPDATES = 120


def parts():
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    applied: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: applied.append(opt.param_groups[0]["lr"]))
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(-1)), batch_size=2)
    return model, optimizer, data, applied


def batches(data, count):
    while True:
        for batch in data:
            if count == 0:
                return
            count -= 1
            yield batch


def loss(model, batch):
    x, y = batch
    return (model(x).squeeze(-1) - y).square().mean()


def stepped_after_sync(out: Path) -> list[float]:
    """lrcore's recommendation: keep the scheduler out of ``prepare`` and step it once per
    applied update (``accelerator.sync_gradients``); checkpoint it with
    ``register_for_checkpointing``."""
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=2)
    model, optimizer, data, applied = parts()
    sched = scheduler(optimizer, PLAN)
    model, optimizer, data = accelerator.prepare(model, optimizer, data)
    accelerator.register_for_checkpointing(sched)
    for batch in batches(data, 2 * UPDATES):
        with accelerator.accumulate(model):
            accelerator.backward(loss(model, batch))
            optimizer.step()
            if accelerator.sync_gradients:
                sched.step()
            optimizer.zero_grad()
        if accelerator.sync_gradients and sched.last_epoch == UPDATES // 2:
            accelerator.save_state(out / "state")
    # Resume: a fresh scheduler, registered in a fresh Accelerator, continues at the saved update.
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=2)
    model, optimizer, _, _ = parts()
    sched2 = scheduler(optimizer, PLAN)
    model, optimizer = accelerator.prepare(model, optimizer)
    accelerator.register_for_checkpointing(sched2)
    accelerator.load_state(out / "state")
    resumed = [sched2.last_epoch, *sched2.get_last_lr()]
    return applied + resumed


def prepared(split_batches: bool) -> list[float]:
    """accelerate's own integration: ``prepare(scheduler)``, in the usual loop order
    (``zero_grad`` after ``sched.step()``)."""
    accelerator = Accelerator(
        cpu=True, dataloader_config=DataLoaderConfiguration(split_batches=split_batches)
    )
    model, optimizer, data, applied = parts()
    model, optimizer, data, sched = accelerator.prepare(model, optimizer, data, scheduler(optimizer, PLAN))
    for batch in batches(data, UPDATES // 2):
        accelerator.backward(loss(model, batch))
        optimizer.step()
        sched.step()
        optimizer.zero_grad()
    return applied


def main() -> None:
    out = Path(sys.argv[1])
    results = {
        "prepared": prepared(split_batches=False),
        "prepared_split_batches": prepared(split_batches=True),
        "stepped_after_sync": stepped_after_sync(out),
    }
    rank = torch.distributed.get_rank()
    (out / f"rank{rank}.json").write_text(
        json.dumps({"world": torch.distributed.get_world_size(), **results})
    )


if __name__ == "__main__":
    main()
