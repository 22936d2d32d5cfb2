"""Conformance runner for PyTorch: train a tiny float64 model with plain SGD under
``lrcore.adapters.torch.scheduler`` and record the learning rate of every update.

``applied[t]`` is ``optimizer.param_groups[0]["lr"]`` read right before update ``t``.
``witness[t]`` is the learning rate the update itself implies: a probe parameter with
gradient exactly 1 (its loss term is ``probe.sum()``) is reset to 0 before each update,
so ``0 - probe_after == lr`` exactly in float64.

With ``steps_per_epoch`` the scheduler is stepped once per epoch (after every
``steps_per_epoch`` updates), so update ``t`` uses ``schedule(t // steps_per_epoch)``:
the reference is ``lrcore.per_epoch(schedule, steps_per_epoch)``.

    echo '{"config": {"type": "cosine", "start": 0.1, "end": 0, "steps": 100}, "steps": 120}' \\
        | python -m lrcore.adapters.torch.runner
"""

from __future__ import annotations

from typing import Any

import torch

import lrcore
from lrcore.adapters.torch import scheduler
from lrcore.compare.protocol import serve


def run(config: dict[str, Any], steps: int, *, steps_per_epoch: int | None = None) -> dict[str, list[float]]:
    """Train for ``steps`` updates; return ``{"applied": [...], "witness": [...]}``."""
    schedule = lrcore.from_config(config)
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch: expected an integer >= 1, got {steps_per_epoch!r}")
    # The model: a two-weight linear regression on one sample, in float64.
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, dtype=torch.float64, generator=generator)
    weights = torch.nn.Parameter(torch.randn(2, dtype=torch.float64, generator=generator))
    probe = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    # foreach=False: the single-tensor path is faster for two tiny tensors.
    optimizer = torch.optim.SGD([probe, weights], lr=1.0, foreach=False)
    sched = scheduler(optimizer, schedule)
    group = optimizer.param_groups[0]
    epoch_length = steps_per_epoch or 1

    applied: list[float] = []
    witness: list[float] = []
    for t in range(steps):
        applied.append(float(group["lr"]))
        optimizer.zero_grad()
        loss = probe.sum() + (torch.dot(weights, x) - 1.0).square()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            witness.append(-probe.item())
            probe.zero_()
        if (t + 1) % epoch_length == 0:
            sched.step()
    return {"applied": applied, "witness": witness}


def main() -> None:
    """Read ``{"config", "steps", "steps_per_epoch"}`` JSON on stdin, write the result."""
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    serve(run)


if __name__ == "__main__":
    main()
