"""Core benchmarks: ``values()`` over 10**7 steps against a bare ``numpy.cos`` over the same
array (target 2x), and the import time of lrcore against optax and torch.optim."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# The case table lives in the tests package at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._timing import entry, median_interval, paired, paired_by, verdict

N = 10**7
LRCORE_IMPORT_S = 0.050


def _catalog() -> dict:
    """Every schedule type once: the first long-horizon case of its rows in the case table
    (tests/catalog_cases.py), so a new type is benchmarked by being added there."""
    from tests.catalog_cases import TABLE

    return {name: schedule for rows in TABLE.values() for name, schedule in list(rows.long.items())[:1]}


# An import as users see it: from bytecode (pip compiles an installed package; an editable
# one writes its __pycache__ on first import). A PYTHONDONTWRITEBYTECODE in the environment
# (set on some CI machines) would otherwise time Python compiling lrcore's source on every
# run, 40-50 ms here; the first run of each statement writes the bytecode.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_WARMED: set[str] = set()


def _import_time(statement: str) -> float:
    """Seconds an import adds over a bare interpreter (the two run back to back)."""
    if statement not in _WARMED:
        subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True, env=_ENV)
        _WARMED.add(statement)
    times = []
    for code in ("pass", statement):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=_ENV)
        times.append(time.perf_counter() - start)
    return max(times[1] - times[0], 1e-6)


def run(repeats: int = 5) -> list[dict]:
    steps = np.arange(N, dtype=np.int64)
    results = []
    for name, schedule in _catalog().items():
        ours, theirs = paired(lambda s=schedule: s.values(steps), lambda: np.cos(steps), repeats)
        results.append(entry(f"core values() 10^7: {name}", ours, theirs, 2.0, "numpy.cos"))
    for native in ("import optax", "import torch.optim"):
        try:
            lr, other = paired_by(_import_time, "import lrcore", native, repeats, warm=False)
        except subprocess.CalledProcessError:
            continue
        item = entry(f"import lrcore vs {native}", lr, other, float("inf"), native)
        # the import's own target is absolute: 50 ms, judged on the interval of its median
        low, high, _ = median_interval(lr)
        item["lrcore_target_s"] = LRCORE_IMPORT_S
        item["verdict"] = verdict(low, high, LRCORE_IMPORT_S)
        item["met"] = item["verdict"] == "met"
        results.append(item)
    return results


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['name']:45s} {row['ratio']:8.3f} [{row['ratio_low']:.3f}, {row['ratio_high']:.3f}]"
            f"  (target {row['target']}) {row['verdict']}"
        )
