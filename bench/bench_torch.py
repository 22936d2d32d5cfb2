"""Overhead of ``scheduler.step()``: lrcore's torch adapter against torch's own schedulers.

Each pair runs the same curve for ``STEPS`` steps; a repeat times both members back to
back (their order alternating between repeats, so drift hits both alike), and the report
gives the median time per step over the repeats and the spread ``(max - min) / median``.
The target: lrcore costs at most half of the native scheduler (``ratio <= 0.5``).

    python bench/bench_torch.py
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import lr_scheduler as native

import lrcore
from lrcore.adapters.torch import scheduler

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
    """One row per pair: medians (seconds per step), spreads and the lrcore/native ratio."""
    rows = []
    for name in PAIRS:
        for which in ("lrcore", "native"):  # warm-up: first-call imports and caches
            _time_steps(_make(which, name), steps)
        times: dict[str, list[float]] = {"lrcore": [], "native": []}
        for repeat in range(repeats):
            order = ["lrcore", "native"] if repeat % 2 == 0 else ["native", "lrcore"]
            for which in order:
                times[which].append(_time_steps(_make(which, name), steps))
        medians = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "name": name,
                "lrcore_median_s": medians["lrcore"],
                "native_median_s": medians["native"],
                "ratio": medians["lrcore"] / medians["native"],
                "lrcore_spread": (max(times["lrcore"]) - min(times["lrcore"])) / medians["lrcore"],
                "native_spread": (max(times["native"]) - min(times["native"])) / medians["native"],
                "target": TARGET,
            }
        )
    return rows


def main() -> None:
    rows = run()
    print(f"{'schedule':<15}{'lrcore us/step':>16}{'native us/step':>16}{'ratio':>8}{'spread':>14}  target")
    for r in rows:
        spread = f"{r['lrcore_spread']:.0%}/{r['native_spread']:.0%}"
        verdict = "ok" if r["ratio"] <= r["target"] else "MISSED"
        print(
            f"{r['name']:<15}{r['lrcore_median_s'] * 1e6:>16.2f}{r['native_median_s'] * 1e6:>16.2f}"
            f"{r['ratio']:>8.2f}{spread:>14}  <= {r['target']} {verdict}"
        )


if __name__ == "__main__":
    main()
