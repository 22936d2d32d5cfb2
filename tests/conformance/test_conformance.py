"""Cross-backend conformance: the same config applies the same learning rate at every
update in torch, optax and Keras (on the TensorFlow, JAX and torch backends).

Each backend trains a small real model through its runner (``lrcore.adapters.<framework>.runner``):
torch reads the param group's lr before ``optimizer.step()``, optax records
``inject_hyperparams`` inside ``jax.jit``, Keras runs ``model.fit``. Every runner also
returns a second witness: the learning rate recovered from the weight change of a plain
SGD step with gradient exactly 1. Both are held to SPEC section 7 against the float64
reference: torch bit for bit; Keras on TensorFlow/torch and JAX x64 equal after float32
rounding; float32 JAX and Keras-on-JAX (double-float pairs) equal after float32 rounding too,
but 1 ulp at near ties (``lrcore.precision.float32_misses``), which the report counts.

The jobs of one backend run in one process (``tests/conformance/_batch.py``), each backend
in its own. At the end the suite writes the per-backend deviation table as text and JSON
(``build/conformance/report.txt`` and ``.json``, or ``$LRCORE_CONFORMANCE_REPORT``).
Each backend's batch runs once, when the first test that needs it asks for it (the
``runs`` fixture), so every test here also runs alone and in any order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcore
from lrcore.compare import BACKENDS, Backend, reproduce_command
from lrcore.precision import float32_misses, near_ties, ulps
from tests.catalog_cases import CASES, CONFORMANCE_DOMAIN, configs

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[2]
BACKEND_NAMES = ("torch", "optax", "optax-x64", "keras-tensorflow", "keras-jax", "keras-torch")
STEPS = 2_000

# (name, schedule, steps, steps_per_epoch): every catalog case and combinator, the seeds'
# examples, horizons from 10 to 100,000 updates, and epoch-based use.
SEEDS = {
    "seed_keras_exponential_decay": (
        lrcore.exponential(start=0.1, rate=0.96, steps=100, staircase=True),
        3_000,
    ),
    "seed_step_decay_per_epoch": (
        lrcore.per_epoch(lrcore.step(start=0.01, gamma=0.1, step_size=5), 50),
        1_500,
    ),
}
SHORT = {
    "horizon_10": (lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=6), steps=4), 10),
    "horizon_37_one_cycle": (lrcore.one_cycle(peak=0.1, total=37, three_phase=True), 37),
}
LONG = {  # 100,000 updates where a run is cheap: torch and optax
    "long_warmup_cosine": lrcore.warmup(lrcore.cosine(start=3e-4, end=0.0, steps=90_000), steps=10_000),
    "long_one_cycle": lrcore.one_cycle(peak=0.01, total=100_000),
}
EPOCHS = {  # epoch-indexed schedules stepped once per epoch of 100 updates
    "epoch_step": lrcore.step(start=0.1, gamma=0.5, step_size=3),
    "epoch_cosine": lrcore.cosine(start=0.1, end=0.001, steps=15),
    "epoch_multistep": lrcore.multistep(start=0.1, milestones=[4, 9], gamma=0.1),
}


def jobs_for(backend: str) -> list[tuple[str, lrcore.Schedule, int, int | None]]:
    jobs = [(name, s, STEPS, None) for name, s in CASES.items()]
    jobs += [(name, s, n, None) for name, (s, n) in {**SEEDS, **SHORT}.items()]
    jobs += [(name, s, 2_000, 100) for name, s in EPOCHS.items()]
    if backend in ("optax", "optax-x64"):  # float32 drift shows on long horizons
        jobs += [(name, s, 100_000, None) for name, s in LONG.items()]
    elif backend == "torch":
        jobs += [(name, s, 100_000, None) for name, s in list(LONG.items())[:1]]
    return jobs


def run_batch(backend: Backend, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **backend.env}
    out = subprocess.run(
        [sys.executable, "-m", "tests.conformance._batch", backend.runner],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1_200,
    )
    assert out.returncode == 0, f"{backend.name} batch failed:\n{out.stderr[-4000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


# (schedule, steps, steps_per_epoch, the runner's result) by job name
Runs = dict[str, tuple[lrcore.Schedule, int, int | None, dict[str, Any]]]


class BackendRuns:
    """Each backend's batch of jobs, run when a test first asks for that backend and kept
    for the module: every test asks for the backends it needs, so each one runs alone and in
    any order, and no batch runs twice."""

    def __init__(self) -> None:
        self._runs: dict[str, Runs] = {}

    def __getitem__(self, name: str) -> Runs:
        if name not in self._runs:
            jobs = jobs_for(name)
            payload = [{"config": s.to_config(), "steps": n, "steps_per_epoch": spe} for _, s, n, spe in jobs]
            results = run_batch(BACKENDS[name], payload)
            self._runs[name] = {
                job: (s, n, spe, r) for (job, s, n, spe), r in zip(jobs, results, strict=True)
            }
        return self._runs[name]


@pytest.fixture(scope="module")
def runs() -> BackendRuns:
    return BackendRuns()


def check(
    backend: Backend,
    name: str,
    schedule: lrcore.Schedule,
    steps: int,
    spe: int | None,
    result: dict[str, Any],
) -> dict[str, Any]:
    """Hold one run to its bound; on failure name the config, backend, first differing
    step, both values and the ulp distance, with a command that reproduces it."""
    summary = measure(backend, name, schedule, steps, spe, result)
    assert "error" not in summary, f"{backend.name} failed on {name}:\n{summary['error']}"
    for label in ("applied", "witness"):
        t = summary[f"{label}_first_over"]
        if t is not None:
            command = reproduce_command(schedule.to_config(), steps, backend.name, spe)
            pytest.fail(
                f"{backend.name} breaks its bound ({summary['bound']}) on {name} [{label}]: first at step {t}: "
                f"{summary[f'{label}_at_first']!r} vs reference {summary['reference_at_first']!r} "
                f"({summary[f'{label}_ulps_at_first']} float32 ulps apart)\n"
                f"  config: {json.dumps(schedule.to_config())}\n  reproduce: {command}"
            )
    return summary


def measure(
    backend: Backend,
    name: str,
    schedule: lrcore.Schedule,
    steps: int,
    spe: int | None,
    result: dict[str, Any],
) -> dict[str, Any]:
    """How far one run's applied and witness learning rates are from the reference, and the
    first step (if any) where each breaks the backend's bound."""
    bound = backend.ulps
    summary: dict[str, Any] = {"backend": backend.name, "case": name, "steps": steps, "bound": backend.bound}
    if "error" in result:
        summary["error"] = result["error"]
        return summary
    target = lrcore.per_epoch(schedule, spe) if spe else schedule
    reference = target.values(np.arange(steps))
    for label in ("applied", "witness"):
        values = np.asarray(result[label], dtype=np.float64)
        assert values.shape == reference.shape, (
            f"{backend.name} {name}: {values.size} {label} values for {steps} steps"
        )
        distance = ulps(reference, values)
        if bound is None:
            bad = np.flatnonzero(values != reference)
        elif backend.near_ties:
            over, tied = float32_misses(reference, values)
            bad = np.flatnonzero(over)
            summary[f"{label}_near_ties"] = int(tied.sum())
        else:
            bad = np.flatnonzero(distance > bound)
        summary[f"{label}_max_ulps"] = int(distance.max())
        summary[f"{label}_max_rel"] = float(
            np.max(np.abs(values - reference) / np.where(reference == 0, 1, reference))
        )
        first = int(bad[0]) if bad.size else None
        summary[f"{label}_first_over"] = first
        if first is not None:
            summary[f"{label}_at_first"] = float(values[first])
            summary[f"{label}_ulps_at_first"] = int(distance[first])
            summary["reference_at_first"] = float(reference[first])
    return summary


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_every_case_meets_the_contract(runs: BackendRuns, name: str) -> None:
    backend = BACKENDS[name]
    failures = []
    for case, (schedule, steps, spe, result) in runs[name].items():
        try:
            check(backend, case, schedule, steps, spe, result)
        except pytest.fail.Exception as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_all_backends_agree_with_each_other(runs: BackendRuns) -> None:
    """Equal to the reference means equal to each other; this reads it off directly: the
    float32 roundings of every backend, float32-only JAX included, are identical at every
    step (where a float32-only backend takes part, but at the reference's near ties)."""
    names = list(BACKEND_NAMES)
    assert len(names) >= 2, names
    first = runs[names[0]]
    for other in names[1:]:
        shared = first.keys() & runs[other].keys()  # long horizons run on some backends only
        assert len(shared) >= len(CASES), f"{names[0]} and {other} share only {sorted(shared)}"
        ties_allowed = BACKENDS[names[0]].near_ties or BACKENDS[other].near_ties
        for name in shared:
            a = np.asarray(first[name][3]["applied"], dtype=np.float64).astype(np.float32)
            b = np.asarray(runs[other][name][3]["applied"], dtype=np.float64).astype(np.float32)
            differ = a != b
            if ties_allowed:
                schedule, steps, spe = first[name][:3]
                target = lrcore.per_epoch(schedule, spe) if spe else schedule
                differ &= ~near_ties(target.values(np.arange(steps)))
            assert not differ.any(), (
                f"{names[0]} and {other} differ on {name} at {np.flatnonzero(differ)[:5]}"
            )


# -- random valid configs (hypothesis), each through every backend in one batch ---------

# Every type of the case table, nested, over short horizons that real training loops replay.
random_schedules = configs(CONFORMANCE_DOMAIN, max_leaves=3).map(lrcore.from_config)


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(random_schedules, min_size=6, max_size=6), st.integers(10, 800))
def test_random_configs_agree_across_backends(schedules: list[lrcore.Schedule], steps: int) -> None:
    """Six random valid configs, one batch per backend (hypothesis draws the batch)."""
    payload = [{"config": s.to_config(), "steps": steps, "steps_per_epoch": None} for s in schedules]
    for name in BACKEND_NAMES:
        backend = BACKENDS[name]
        for i, (schedule, result) in enumerate(zip(schedules, run_batch(backend, payload), strict=True)):
            check(backend, f"random[{i}]", schedule, steps, None, result)


# -- the suite catches broken adapters -------------------------------------------------


def test_suite_catches_an_off_by_one_in_the_torch_step(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrcore.adapters.torch import runner

    real = runner.scheduler

    def one_step_ahead(optimizer: Any, schedule: Any) -> Any:
        sched = real(optimizer, schedule)
        sched.step()  # the classic mistake: the first update already sees lr(1)
        return sched

    monkeypatch.setattr(runner, "scheduler", one_step_ahead)
    schedule = CASES["warmup"]
    result = runner.run(schedule.to_config(), 500)
    with pytest.raises(pytest.fail.Exception, match=r"torch breaks its bound \(bit-exact\).*first at step 0"):
        check(BACKENDS["torch"], "warmup", schedule, 500, None, result)


def test_suite_catches_a_naive_float32_cosine_in_optax(monkeypatch: pytest.MonkeyPatch) -> None:
    import math

    from lrcore.adapters.optax import runner
    from lrcore.catalog import Cosine

    schedule = lrcore.cosine(start=3e-4, end=0.0, steps=100_000)
    reference_check = schedule.values(np.arange(100_000))

    def naive(self: Cosine, t: Any, xp: Any) -> Any:
        # 0.5 * (1 + cos(pi t / steps)) in the namespace's float type, as optax writes it
        x = xp.to_float(xp.minimum(t, self.steps)) * (math.pi / self.steps)
        return self.end + (self.start - self.end) * (0.5 * (1.0 + xp.sin(x + math.pi / 2)))

    monkeypatch.setattr(Cosine, "formula", naive)
    result = runner.run(schedule.to_config(), 100_000)
    monkeypatch.undo()
    assert np.array_equal(schedule.values(np.arange(100_000)), reference_check)
    with pytest.raises(
        pytest.fail.Exception, match=r"optax breaks its bound \(0 ulps, 1 at ties\).*ulps apart"
    ):
        check(BACKENDS["optax"], "naive cosine", schedule, 100_000, None, result)


# -- the report ------------------------------------------------------------------------


def test_write_the_deviation_report(runs: BackendRuns) -> None:
    """The per-backend maximum deviation table, as text and JSON; every backend's runs
    within their bounds."""
    summaries = [
        measure(BACKENDS[name], case, *run) for name in BACKEND_NAMES for case, run in runs[name].items()
    ]
    table: dict[str, dict[str, Any]] = {}
    for row in summaries:
        entry = table.setdefault(
            row["backend"],
            {
                "cases": 0,
                "bound": BACKENDS[row["backend"]].bound,
                "errors": 0,
                "over_bound": [],
                "max_ulps": 0,
                "near_ties": 0,
                "max_rel": 0.0,
                "witness_max_ulps": 0,
                "worst_case": None,
            },
        )
        entry["cases"] += 1
        if "error" in row:
            entry["errors"] += 1
            continue
        if row["applied_first_over"] is not None or row["witness_first_over"] is not None:
            entry["over_bound"].append(row["case"])
        if row["applied_max_ulps"] >= entry["max_ulps"]:
            entry["max_ulps"], entry["worst_case"] = row["applied_max_ulps"], row["case"]
        entry["max_rel"] = max(entry["max_rel"], row["applied_max_rel"])
        entry["near_ties"] += row.get("applied_near_ties", 0)
        entry["witness_max_ulps"] = max(entry["witness_max_ulps"], row["witness_max_ulps"])
    lines = [
        f"{'backend':18s} {'cases':>5s} {'bound':>17s} {'max ulps':>8s} {'near ties':>9s} {'max rel':>9s} "
        f"{'witness ulps':>12s}  worst case"
    ]
    for name, e in table.items():
        lines.append(
            f"{name:18s} {e['cases']:5d} {e['bound']!s:>17s} {e['max_ulps']:8d} {e['near_ties']:9d} {e['max_rel']:9.1e} "
            f"{e['witness_max_ulps']:12d}  {e['worst_case']}"
        )
    text = "\n".join(lines)
    target = Path(os.environ.get("LRCORE_CONFORMANCE_REPORT", ROOT / "build" / "conformance" / "report"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".txt").write_text(text + "\n")
    report = {"backends": table, "runs": summaries}
    target.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    print("\n" + text)
    assert json.loads(target.with_suffix(".json").read_text()) == report
    assert list(table) == list(BACKEND_NAMES)
    assert [e["cases"] for e in table.values()] == [len(jobs_for(name)) for name in BACKEND_NAMES]
    broken = {
        name: (e["errors"], e["over_bound"]) for name, e in table.items() if e["errors"] or e["over_bound"]
    }
    assert not broken, f"runs with errors or over their bound (errors, cases): {broken}\n{text}"
