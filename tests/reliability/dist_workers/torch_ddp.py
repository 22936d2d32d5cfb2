"""One rank of a torch DistributedDataParallel run (gloo, CPU) stepping lrcore's scheduler.

Launched by tests/reliability/test_distributed.py like torchrun does: ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in the environment. For each schedule
config it trains a small model for ``updates`` updates on this rank's own data (DDP
averages the gradients) and records the learning rate each update applied
(``param_groups[0]["lr"]`` just before ``optimizer.step()``).

Usage: ``python torch_ddp.py REQUEST.json RESULT.json`` with ``{"configs": [...],
"updates": n}`` in the request; the result holds ``{"rank", "lrs": [[...] per config],
"params": [[...] per config]}`` (JSON floats round-trip exactly).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import lrcore
from lrcore.adapters.torch import scheduler


def train(config: dict, updates: int, rank: int) -> tuple[list[float], list[float]]:
    torch.manual_seed(0)  # the same initial weights on every rank (DDP also broadcasts them)
    model = DistributedDataParallel(torch.nn.Linear(4, 1).double())
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    sched = scheduler(opt, lrcore.from_config(config))
    data = torch.Generator().manual_seed(1000 + rank)  # each rank its own shard of the data
    lrs = []
    for _ in range(updates):
        lrs.append(opt.param_groups[0]["lr"])
        x = torch.randn(8, 4, generator=data, dtype=torch.float64)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True)).backward()
        opt.step()
        sched.step()
    params = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).tolist()
    return lrs, params


def main() -> None:
    with open(sys.argv[1]) as f:
        request = json.load(f)
    dist.init_process_group("gloo", timeout=timedelta(seconds=60))  # env:// from torchrun's variables
    rank = dist.get_rank()
    result: dict = {"rank": rank, "world_size": dist.get_world_size(), "lrs": [], "params": []}
    for config in request["configs"]:
        lrs, params = train(config, request["updates"], rank)
        result["lrs"].append(lrs)
        result["params"].append(params)
    dist.barrier()
    dist.destroy_process_group()
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
