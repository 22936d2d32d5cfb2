"""Run every benchmark, print lrcore/native ratios and write bench/results/latest.json.

Each benchmark measures lrcore and the native equivalent in the same process, in paired
rounds (back to back, order alternating), and reports the median of the per-round ratios
with a 95% interval (``bench._timing``). A target is ``MISSED`` only when the whole
interval lies above it and ``undecided`` when the interval straddles it. Keras benchmarks run
once per backend, each in its own process (Keras fixes its backend at import).

    python bench/run.py [--quick] [--only core,torch,optax,keras]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "latest.json"


def machine() -> dict:
    import numpy

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def run_module(name: str, repeats: int) -> list[dict]:
    module = importlib.import_module(f"bench.bench_{name}")
    return module.run(repeats=repeats)


def run_keras(backend: str, repeats: int) -> list[dict]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from bench import bench_keras; print(json.dumps(bench_keras.run(repeats=int(sys.argv[2]))))"
    )
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(repeats)], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"keras bench on {backend} failed:\n{out.stderr[-3000:]}")
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    for row in rows:
        row["name"] = f"[keras-{backend}] {row['name']}"
    return rows


def decide(row: dict) -> str:
    """The row's verdict; a row without an interval is judged on its ratio alone."""
    if "verdict" not in row:
        row["verdict"] = "met" if row.get("met", row["ratio"] <= row["target"]) else "missed"
    row["met"] = row["verdict"] == "met"
    return str(row["verdict"])


def table(rows: list[dict]) -> str:
    lines = [
        f"{'benchmark':52s} {'lrcore':>11s} {'native':>11s} {'ratio':>7s} {'95% interval':>15s} "
        f"{'target':>7s}  verdict"
    ]
    for r in rows:
        interval = f"[{r['ratio_low']:.3f}, {r['ratio_high']:.3f}]" if "ratio_low" in r else "-"
        target = "-" if r["target"] == float("inf") else f"{r['target']:g}"
        if "lrcore_target_s" in r:  # an absolute target on lrcore's own time
            target = f"{r['lrcore_target_s'] * 1e3:g}ms"
        flag = {"met": "", "missed": "MISSED", "undecided": "undecided"}[decide(r)]
        lines.append(
            f"{r['name'][:52]:52s} {r['lrcore_median_s'] * 1e3:9.3f}ms {r['native_median_s'] * 1e3:9.3f}ms "
            f"{r['ratio']:7.3f} {interval:>15s} {target:>7s}  {flag}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", default="core,torch,optax,keras")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9  # 9 rounds: a 96% interval from the 2nd and 8th ratios
    wanted = args.only.split(",")
    rows: list[dict] = []
    started = time.perf_counter()
    for name in ("core", "torch", "optax"):
        if name in wanted:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            rows += run_module(name, repeats)
    if "keras" in wanted:
        for backend in ("tensorflow", "jax"):
            print(f"bench: keras on {backend} ...", file=sys.stderr, flush=True)
            rows += run_keras(backend, repeats)
    print(table(rows))
    missed = [r["name"] for r in rows if r["verdict"] == "missed"]
    undecided = [r["name"] for r in rows if r["verdict"] == "undecided"]
    print(
        f"\n{len(rows)} benchmarks in {time.perf_counter() - started:.0f} s; targets missed: "
        f"{len(missed)}; undecided (the interval straddles the target): {len(undecided)}"
    )
    for name in missed:
        print(f"  missed: {name}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    clean = [{k: (None if v == float("inf") else v) for k, v in row.items()} for row in rows]
    payload = {"machine": machine(), "results": clean, "missed": missed, "undecided": undecided}
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
