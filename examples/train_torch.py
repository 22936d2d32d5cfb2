"""Train a small regression in PyTorch with the shared schedule file.

    python examples/train_torch.py [--schedule examples/conf/schedule/warmup_cosine.yaml] [--updates 300]

The same file drives train_jax.py and train_keras.py: one plan, the same learning rate at
every update in each framework.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

import lrcore
from lrcore.adapters.torch import scheduler

SCHEDULE = Path(__file__).parent / "conf" / "schedule" / "warmup_cosine.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description="Train a small model in PyTorch with an lrcore schedule.")
    parser.add_argument("--schedule", type=Path, default=SCHEDULE, help="a .json/.yaml/.toml schedule config")
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    plan = lrcore.load(args.schedule)

    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = x @ torch.randn(8) + 0.1 * torch.randn(512)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.AdamW(model.parameters())
    lr_scheduler = scheduler(optimizer, plan)  # sets the optimizer's lr to plan(0)

    for t in range(args.updates):
        batch = torch.randint(0, len(x), (32,))
        loss = (model(x[batch]).squeeze(-1) - y[batch]).square().mean()
        optimizer.zero_grad()
        loss.backward()
        lr = optimizer.param_groups[0]["lr"]  # the rate this update applies: plan(t)
        optimizer.step()
        lr_scheduler.step()  # once per update, after optimizer.step()
        if t % 50 == 0 or t == args.updates - 1:
            print(f"update {t} lr {lr!r} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
