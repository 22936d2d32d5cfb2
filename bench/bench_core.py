"""Core benchmarks: ``values()`` over 10**7 steps against a bare ``numpy.cos`` over the same
array (target 2x), and the import time of lrcore against optax and torch.optim."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

from bench._timing import entry, interleaved

N = 10**7


def _catalog() -> dict:
    import lrcore

    n = N
    return {
        "constant": lrcore.constant(value=3e-4),
        "linear": lrcore.linear(start=3e-4, end=0.0, steps=n),
        "polynomial": lrcore.polynomial(start=0.1, end=1e-6, steps=n, power=0.5),
        "cosine": lrcore.cosine(start=3e-4, end=3e-5, steps=n),
        "exponential": lrcore.exponential(start=0.1, rate=0.96, steps=100_000),
        "step": lrcore.step(start=0.1, gamma=0.9, step_size=77_777),
        "multistep": lrcore.multistep(start=0.1, milestones=[n // 3, n // 2], gamma=0.1),
        "piecewise_constant": lrcore.piecewise_constant(boundaries=[n // 2], values=[0.1, 0.01]),
        "piecewise_linear": lrcore.piecewise_linear(boundaries=[0, 3_000, n], values=[0.0, 0.1, 1e-6]),
        "inverse_time": lrcore.inverse_time(start=0.1, rate=0.5, steps=10_000),
        "inverse_sqrt": lrcore.inverse_sqrt(peak=1e-3, warmup=4_000),
        "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=1e-5, first_cycle=1_000_000, cycle_mult=2),
        "cyclic": lrcore.cyclic(low=1e-4, high=1e-2, up=20_000, mode="triangular2"),
        "one_cycle": lrcore.one_cycle(peak=0.01, total=n),
        "warmup_stable_decay": lrcore.warmup_stable_decay(peak=3e-4, warmup=2_000, decay=n // 5, total=n),
        "tanh": lrcore.tanh(start=0.1, end=1e-4, steps=n),
        "table": lrcore.table(values=np.geomspace(0.1, 1e-4, 5_000).tolist()),
        "warmup+cosine": lrcore.warmup(lrcore.cosine(start=3e-4, end=3e-5, steps=n - 10_000), steps=10_000),
    }


def _import_time(statement: str, repeats: int) -> list[float]:
    """Seconds an import adds over a bare interpreter (median of paired runs)."""
    out = []
    for _ in range(repeats):
        times = []
        for code in ("pass", statement):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        out.append(max(times[1] - times[0], 1e-6))
    return out


def run(repeats: int = 5) -> list[dict]:
    steps = np.arange(N, dtype=np.int64)
    results = []
    for name, schedule in _catalog().items():
        ours, theirs = interleaved(lambda s=schedule: s.values(steps), lambda: np.cos(steps), repeats)
        results.append(entry(f"core values() 10^7: {name}", ours, theirs, 2.0, "numpy.cos"))
    lr = _import_time("import lrcore", repeats * 2)
    for native, statement in (("import optax", "import optax"), ("import torch.optim", "import torch.optim")):
        try:
            other = _import_time(statement, repeats)
        except subprocess.CalledProcessError:
            continue
        item = entry(f"import lrcore vs {native}", lr, other, float("inf"), native)
        item["lrcore_target_s"] = 0.050
        item["met"] = statistics.median(lr) <= 0.050
        results.append(item)
    return results


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:45s} {row['ratio']:8.3f}  (target {row['target']})")
