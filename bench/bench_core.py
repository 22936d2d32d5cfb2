"""Core benchmarks: ``values()`` over 10**7 steps against a bare ``numpy.cos`` over the same
array (target 2x), and the import time of lrcore against optax and torch.optim."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# The case table lives in the tests package at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._timing import entry, interleaved

N = 10**7


def _catalog() -> dict:
    """Every schedule type once: the first long-horizon case of its rows in the case table
    (tests/catalog_cases.py), so a new type is benchmarked by being added there."""
    from tests.catalog_cases import TABLE

    return {name: schedule for rows in TABLE.values() for name, schedule in list(rows.long.items())[:1]}


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
