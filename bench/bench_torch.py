"""Overhead of ``scheduler.step()``: lrcore's torch adapter against torch's own schedulers.

Each pair runs the same curve for ``STEPS`` steps; a round times both members back to
back (their order alternating between rounds, so drift hits both alike), and the report
gives the median per-round ratio with its 95% interval and verdict (``bench._timing``).
The target: lrcore costs at most half of the native scheduler (``ratio <= 0.5``).

    python bench/bench_torch.py
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.optim import lr_scheduler as native

import lrcore
from lrcore.adapters.torch import scheduler

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import entry, paired_by

STEPS = 2_000
TARGET = 0.5
PEAK = 0.1


def _make(which: str, name: str) -> Any:
    schedule, make_native = PAIRS[name]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    sched = scheduler(opt, schedule) if which == "lrcore" else make_native(opt)
    opt.step()  # no gradients: a no-op that marks the optimizer as stepped (no call-order warning)
    return sched


# name -> (lrcore schedule, native scheduler factory) describing the same curve.
PAIRS: dict[str, tuple[lrcore.Schedule, Callable[[torch.optim.Optimizer], Any]]] = {
    "step": (
        lrcore.step(start=PEAK, gamma=0.5, step_size=250),
        lambda opt: native.StepLR(opt, step_size=250, gamma=0.5),
    ),
    "cosine": (
        lrcore.cosine(start=PEAK, end=0.0, steps=STEPS),
        lambda opt: native.CosineAnnealingLR(opt, T_max=STEPS),
    ),
    "one_cycle": (
        lrcore.one_cycle(peak=PEAK, total=STEPS + 1),
        lambda opt: native.OneCycleLR(opt, max_lr=PEAK, total_steps=STEPS + 1),
    ),
    "warmup_cosine": (
        lrcore.join(
            [
                lrcore.linear(start=PEAK / 100, end=PEAK, steps=200),
                lrcore.cosine(start=PEAK, end=0.0, steps=1800),
            ],
            boundaries=[200],
        ),
        lambda opt: native.SequentialLR(
            opt,
            [
                native.LinearLR(opt, start_factor=0.01, total_iters=200),
                native.CosineAnnealingLR(opt, T_max=1800),
            ],
            milestones=[200],
        ),
    ),
}


def _time_steps(sched: Any, steps: int) -> float:
    """Seconds per ``sched.step()``, over ``steps`` calls."""
    step = sched.step
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) / steps
    finally:
        gc.enable()


def run(repeats: int = 7, steps: int = STEPS) -> list[dict[str, Any]]:
    """One row per pair: seconds per step of both sides and the median per-round ratio."""
    rows = []
    for name in PAIRS:
        sides = (("lrcore", name), ("native", name))
        ours, theirs = paired_by(lambda side: _time_steps(_make(*side), steps), *sides, repeats)
        native_name = type(_make("native", name)).__name__
        rows.append(entry(name, ours, theirs, TARGET, f"torch.optim.lr_scheduler.{native_name}"))
    return rows


def main() -> None:
    rows = run()
    print(
        f"{'schedule':<15}{'lrcore us/step':>16}{'native us/step':>16}{'ratio':>8}{'95% interval':>18}  target"
    )
    for r in rows:
        interval = f"[{r['ratio_low']:.2f}, {r['ratio_high']:.2f}]"
        print(
            f"{r['name']:<15}{r['lrcore_median_s'] * 1e6:>16.2f}{r['native_median_s'] * 1e6:>16.2f}"
            f"{r['ratio']:>8.2f}{interval:>18}  <= {r['target']} {r['verdict']}"
        )


if __name__ == "__main__":
    main()
