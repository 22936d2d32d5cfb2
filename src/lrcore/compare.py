"""Run one schedule in every framework and compare the applied learning rates.

Each backend trains a tiny real model in a process of its own (``python -m
lrcore.adapters._runners.<runner>`` with the backend's environment: Keras fixes its backend
and JAX its float width at import) and reports the learning rate each update applied.
Those values are compared with the float64 reference ``schedule.values(range(steps))``
against the precision contract (SPEC 7):

==================  ==========================================================
backend             bound
==================  ==========================================================
torch               bit-exact: applied == reference in float64
optax-x64           float32(applied) == float32(reference) at every step
keras-tensorflow    float32(applied) == float32(reference) at every step
keras-torch         float32(applied) == float32(reference) at every step
optax, keras-jax    at most 4 float32 ulps from the reference (float32-only)
==================  ==========================================================

>>> report = compare(lrcore.cosine(start=0.1, end=0.0, steps=1000), steps=1100,
...                  backends=["torch", "optax"])            # doctest: +SKIP
>>> report.ok, report["optax"].max_ulps                      # doctest: +SKIP
(True, 1)
>>> print(report.format_table())                             # doctest: +SKIP

A backend whose framework is not installed is reported as ``not installed`` (found with
``importlib.util.find_spec`` in this process, which imports nothing) and does not make the
report fail; ``report.missing`` lists them.

This module imports no framework and is not imported by ``lrcore`` itself.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ._base import Schedule, as_schedule
from .precision import float32_bound
from .precision import ulps as ulp_distance

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKENDS",
    "Backend",
    "BackendResult",
    "Report",
    "compare",
    "measure",
    "ulp_distance",
]

RUNNER_ENV = "LRCORE_COMPARE_RUNNER"
"""Environment variable naming a module to run for every backend instead of the real
runners (tests of the orchestrator use a fake one). The install check is then left to
that module: it may raise ``ModuleNotFoundError`` to play a missing framework."""

WITNESS_RTOL = 1e-4
"""How far (relative) the witness, the learning rate implied by the parameter update, may
stray from the reference. Loose on purpose: it catches a runner that records one rate and
trains with another, not rounding (float32 updates are within about 2e-7)."""

OK = "ok"
MISMATCH = "mismatch"
ERROR = "error"
NOT_INSTALLED = "not installed"


@dataclasses.dataclass(frozen=True)
class Backend:
    """One framework configuration: which runner module, which environment, which bound.

    ``ulps`` is the allowed float32 ulp distance from the reference at every step, or
    None for the bit-exact float64 bound. ``cost`` is a rough relative run time: the
    slowest backends start first, so that two workers finish together.
    """

    name: str
    runner: str
    requires: tuple[str, ...]
    env: Mapping[str, str]
    ulps: int | None
    extra: str
    cost: int = 1

    @property
    def bound(self) -> str:
        """The bound in words, as the table prints it."""
        if self.ulps is None:
            return "bit-exact"
        return "0 ulps" if self.ulps == 0 else f"<= {self.ulps} ulps"

    @property
    def install_hint(self) -> str:
        return f"pip install 'lrcore[{self.extra}]'"


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("torch", "torch", ("torch",), {}, None, "torch", cost=3),
        Backend("optax", "optax", ("jax", "optax"), {"JAX_ENABLE_X64": "0"}, 4, "jax", cost=1),
        Backend("optax-x64", "optax", ("jax", "optax"), {"JAX_ENABLE_X64": "1"}, 0, "jax", cost=1),
        Backend(
            "keras-tensorflow",
            "keras",
            ("keras", "tensorflow"),
            {"KERAS_BACKEND": "tensorflow"},
            0,
            "keras",
            cost=4,
        ),
        Backend("keras-jax", "keras", ("keras", "jax"), {"KERAS_BACKEND": "jax"}, 4, "keras,jax", cost=3),
        Backend(
            "keras-torch", "keras", ("keras", "torch"), {"KERAS_BACKEND": "torch"}, 0, "keras,torch", cost=8
        ),
    )
}

DEFAULT_BACKENDS: tuple[str, ...] = ("torch", "optax", "keras-tensorflow", "keras-jax", "keras-torch")
"""What ``compare`` runs when no backend is named (``optax-x64`` is on request)."""


@dataclasses.dataclass
class BackendResult:
    """How one backend's applied learning rates compare with the reference.

    ``first_diff`` is the first step where the applied value differs from the reference
    at all (in float64 for the bit-exact bound, in float32 otherwise); ``first_violation``
    the first step over the bound. ``witness_rel`` is the largest relative deviation of the
    learning rate the runner recovered from the parameter update itself (its witness) from
    the reference; ``witness_violation`` the first step where it is off by more than
    :data:`WITNESS_RTOL`, a sign that the recorded rate is not the one the optimizer used.
    ``message`` explains a mismatch, an error or a missing framework. ``applied`` holds the
    values (float64) when the backend ran.
    """

    backend: str
    status: str
    bound: str
    max_abs: float | None = None
    max_rel: float | None = None
    max_ulps: int | None = None
    first_diff: int | None = None
    first_violation: int | None = None
    witness_rel: float | None = None
    witness_violation: int | None = None
    seconds: float | None = None
    message: str = ""
    applied: Any = dataclasses.field(default=None, repr=False)
    witness: Any = dataclasses.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict[str, Any]:
        out = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("applied", "witness")
        }
        for key in ("max_abs", "max_rel", "witness_rel"):
            value = out[key]
            # JSON has no infinity; a relative deviation from a zero reference is reported as null
            out[key] = value if value is None or value != float("inf") else None
        out["ok"] = self.ok
        return out


@dataclasses.dataclass
class Report:
    """The outcome of :func:`compare`: one :class:`BackendResult` per backend, in the
    order asked. ``report.ok`` is true when every installed backend kept its bound."""

    config: dict[str, Any]
    steps: int
    steps_per_epoch: int | None
    results: dict[str, BackendResult]
    reference: Any = dataclasses.field(repr=False)
    description: str = ""

    def __getitem__(self, backend: str) -> BackendResult:
        return self.results[backend]

    def __iter__(self) -> Any:
        return iter(self.results.values())

    @property
    def ok(self) -> bool:
        return all(r.ok or r.status == NOT_INSTALLED for r in self.results.values())

    @property
    def missing(self) -> list[str]:
        """Backends whose framework is not installed."""
        return [name for name, r in self.results.items() if r.status == NOT_INSTALLED]

    @property
    def failures(self) -> list[BackendResult]:
        """Backends that ran and broke their bound, or failed to run."""
        return [r for r in self.results.values() if r.status in (MISMATCH, ERROR)]

    def format_table(self) -> str:
        """The deviation table, one row per backend, then the message of each failure."""
        head = (
            "backend",
            "bound",
            "max |diff|",
            "max rel",
            "max ulps",
            "first diff",
            "witness rel",
            "time",
            "result",
        )
        rows = [head]
        for r in self.results.values():
            result = r.status
            if r.status == NOT_INSTALLED:
                result = (
                    f"not installed ({BACKENDS[r.backend].install_hint})" if r.backend in BACKENDS else result
                )
            rows.append(
                (
                    r.backend,
                    r.bound,
                    _num(r.max_abs),
                    _num(r.max_rel),
                    "-" if r.max_ulps is None else str(r.max_ulps),
                    "-" if r.first_diff is None else str(r.first_diff),
                    _num(r.witness_rel),
                    "-" if r.seconds is None else f"{r.seconds:.1f}s",
                    result,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len(head[-1]))
        epoch = f", {self.steps_per_epoch} steps per epoch" if self.steps_per_epoch else ""
        title = f"{self.description or _compact(self.config)} over {self.steps:,} steps{epoch}"
        text = [title, "", *lines]
        for r in self.failures:
            text += ["", r.message]
        return "\n".join(text)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (no per-step arrays)."""
        from . import __version__

        return {
            "lrcore": __version__,
            "config": self.config,
            "steps": self.steps,
            "steps_per_epoch": self.steps_per_epoch,
            "ok": self.ok,
            "missing": self.missing,
            "backends": {name: r.to_json() for name, r in self.results.items()},
        }

    def __str__(self) -> str:
        return self.format_table()


# -- measuring ------------------------------------------------------------------------------


def measure(backend: Backend, applied: Any, reference: Any, witness: Any = None) -> BackendResult:
    """Compare ``applied`` (one value per step) with the float64 ``reference`` under the
    backend's bound. Pure NumPy; :func:`compare` calls it for every backend that ran."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    result = BackendResult(backend.name, OK, backend.bound)
    values = np.asarray(applied, dtype=np.float64).reshape(-1)
    result.applied = values
    if values.shape != ref.shape:
        result.status = MISMATCH
        result.message = (
            f"{backend.name}: the runner reported {values.size} learning rates for {ref.size} steps"
        )
        return result
    if values.size == 0:
        return result
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(values - ref)
        rel = np.where(ref != 0, diff / np.abs(ref), np.where(diff == 0, 0.0, np.inf))
        ulps = ulp_distance(values, ref)
        nan = np.isnan(values)
        result.max_abs = float(np.inf if nan.any() else diff.max())
        result.max_rel = float(np.inf if nan.any() else rel.max())
    result.max_ulps = int(ulps.max())
    if backend.ulps is None:
        differs = values.view(np.uint64) != ref.view(np.uint64)
        over = differs
    else:
        differs = ulps > 0
        over = ulps > backend.ulps
    result.first_diff = _first(differs)
    result.first_violation = _first(over)
    if witness is not None and len(witness):
        w = np.asarray(witness, dtype=np.float64).reshape(-1)
        if w.shape != ref.shape:
            result.status = MISMATCH
            result.message = (
                f"{backend.name}: the runner reported {w.size} witness values for {ref.size} steps"
            )
            return result
        with np.errstate(invalid="ignore", divide="ignore"):
            wdiff = np.abs(w - ref)
            wrel = np.where(ref != 0, wdiff / np.abs(ref), np.where(wdiff == 0, 0.0, np.inf))
        result.witness_rel = float(np.inf if np.isnan(w).any() else wrel.max())
        result.witness_violation = _first(~(wdiff <= WITNESS_RTOL * np.abs(ref)))  # NaN counts
        result.witness = w
    if result.first_violation is not None or result.witness_violation is not None:
        result.status = MISMATCH
    return result


def _first(mask: np.ndarray) -> int | None:
    import numpy as np

    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _mismatch_message(result: BackendResult, backend: Backend, report: Report) -> str:
    import numpy as np

    assert result.applied is not None
    t = result.first_violation
    if t is not None:
        got, want = float(result.applied[t]), float(report.reference[t])
        ulps = int(ulp_distance([got], [want])[0])
        if backend.ulps is None:
            values = f"applied {got!r}, reference {want!r} (float64; {ulps} float32 ulps apart)"
        else:
            got32, want32 = np.float32(got), np.float32(want)
            values = f"applied {got32} (float32), reference {want32} (float32 of {want!r}): {ulps} ulps apart"
        head = f"{backend.name} broke its bound ({backend.bound}) first at step {t}: {values}"
    else:
        t = result.witness_violation
        assert t is not None and result.witness is not None
        head = (
            f"{backend.name}: the update at step {t} used a learning rate of {float(result.witness[t])!r} "
            f"(its witness), not the recorded {float(result.applied[t])!r} (reference "
            f"{float(report.reference[t])!r}): the runner does not record the rate the optimizer applied"
        )
    return "\n".join(
        [
            head,
            f"  config: {_compact(report.config)}",
            f"  reproduce: {reproduce_command(report.config, report.steps, backend.name, report.steps_per_epoch)}",
        ]
    )


def reproduce_command(
    config: Mapping[str, Any], steps: int, backend: str, steps_per_epoch: int | None = None
) -> str:
    """The one-line ``lrcore compare`` command that runs this comparison again."""
    words = ["lrcore", "compare", shlex.quote(_compact(config)), "--steps", str(steps), "--backends", backend]
    if steps_per_epoch:
        words += ["--steps-per-epoch", str(steps_per_epoch)]
    return " ".join(words)


def _compact(config: Mapping[str, Any]) -> str:
    return json.dumps(config, separators=(",", ":"))


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.2g}" if value != float("inf") else "inf"


# -- running ---------------------------------------------------------------------------------


def resolve_backends(backends: str | Iterable[str] | None) -> list[Backend]:
    """The :class:`Backend` objects for names (a list or a comma-separated string);
    ``None`` is :data:`DEFAULT_BACKENDS` and ``"all"`` every backend. Unknown names raise
    ``ValueError`` with a did-you-mean."""
    if backends is None:
        names: list[str] = list(DEFAULT_BACKENDS)
    elif isinstance(backends, str):
        names = [n.strip() for n in backends.split(",") if n.strip()]
    else:
        names = list(backends)
    if names == ["all"]:
        names = list(BACKENDS)
    out: list[Backend] = []
    for name in names:
        if name not in BACKENDS:
            close = difflib.get_close_matches(name, list(BACKENDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown backend {name!r}{hint}; known: {', '.join(BACKENDS)}")
        if BACKENDS[name] not in out:
            out.append(BACKENDS[name])
    if not out:
        raise ValueError("no backend named")
    return out


def missing_modules(backend: Backend) -> list[str]:
    """The backend's frameworks that cannot be found (imports nothing)."""
    return [name for name in backend.requires if importlib.util.find_spec(name) is None]


Progress = Callable[[str, str, "BackendResult | None"], None]


def compare(
    schedule_or_config: Schedule | Mapping[str, Any],
    steps: int,
    backends: str | Sequence[str] | None = None,
    steps_per_epoch: int | None = None,
    progress: Progress | None = None,
    *,
    jobs: int = 2,
    timeout: float | None = 900.0,
    runner: str | None = None,
) -> Report:
    """Run the schedule for ``steps`` updates in each backend and compare the applied
    learning rates with the float64 reference.

    ``schedule_or_config`` is a schedule or its config mapping. ``backends`` names
    backends of :data:`BACKENDS` (default :data:`DEFAULT_BACKENDS`). With
    ``steps_per_epoch`` the runners step the schedule once per epoch of that many updates,
    and the reference is ``lrcore.per_epoch(schedule, steps_per_epoch)``.
    ``progress(backend, state, result)`` is called with state ``"running"`` when a backend
    starts and ``"done"`` (with its result) when it ends. At most ``jobs`` backends run at
    once; each gets ``timeout`` seconds. ``runner`` (or ``$LRCORE_COMPARE_RUNNER``) replaces
    the runner modules, for tests.

    Returns a :class:`Report`; it raises only for bad arguments (``ConfigError`` for the
    schedule, ``ValueError`` for backend names).
    """
    import numpy as np

    from .combinators import PerEpoch

    schedule = as_schedule(schedule_or_config)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or steps_per_epoch < 1):
        raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch!r}")
    # Float32-only backends get the schedule's bound (4 ulps but for powered shapes).
    bound = float32_bound(schedule)
    chosen = [dataclasses.replace(b, ulps=bound) if b.ulps else b for b in resolve_backends(backends)]
    runner = runner or os.environ.get(RUNNER_ENV) or None
    config = schedule.to_config()
    target = PerEpoch(schedule, steps_per_epoch) if steps_per_epoch else schedule
    reference = target.values(np.arange(steps, dtype=np.int64))
    report = Report(config, steps, steps_per_epoch, {}, reference, description=repr(schedule))
    report.results = {b.name: BackendResult(b.name, "pending", b.bound) for b in chosen}

    def notify(name: str, state: str, result: BackendResult | None) -> None:
        if progress is not None:
            progress(name, state, result)

    to_run = []
    for backend in chosen:
        absent = [] if runner else missing_modules(backend)
        if absent:
            result = BackendResult(
                backend.name,
                NOT_INSTALLED,
                backend.bound,
                message=f"{backend.name}: {', '.join(absent)} not installed ({backend.install_hint})",
            )
            report.results[backend.name] = result
            notify(backend.name, "done", result)
        else:
            to_run.append(backend)

    request = json.dumps({"config": config, "steps": steps, "steps_per_epoch": steps_per_epoch})
    live = _Processes()

    def one(backend: Backend) -> None:
        notify(backend.name, "running", None)
        module = runner or f"lrcore.adapters._runners.{backend.runner}"
        began = time.monotonic()
        result = _run_one(backend, module, request, reference, timeout, live)
        result.seconds = time.monotonic() - began
        if result.status == MISMATCH and not result.message:
            result.message = _mismatch_message(result, backend, report)
        report.results[backend.name] = result
        notify(backend.name, "done", result)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        # Longest first: with two workers the run ends about when the slowest backend does.
        ordered = sorted(to_run, key=lambda b: -b.cost)
        for future in [pool.submit(one, b) for b in ordered]:
            future.result()
    finally:
        # Only after an interrupt (or a bug) is anything still running: end those children
        # first, or shutting the pool down would wait for them.
        live.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
    return report


class _Processes:
    """The child processes this comparison started, so an interrupt can end them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[str]] = set()
        self.closed = False

    def start(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        with self.lock:
            if self.closed:
                raise KeyboardInterrupt
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            self.procs.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[str]) -> None:
        with self.lock:
            self.procs.discard(proc)

    def kill_all(self) -> None:
        with self.lock:
            self.closed = True
            for proc in self.procs:
                if proc.poll() is None:
                    proc.kill()


def _run_one(
    backend: Backend, module: str, request: str, reference: Any, timeout: float | None, live: _Processes
) -> BackendResult:
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ, **backend.env, "LRCORE_COMPARE_BACKEND": backend.name}
    proc = live.start([sys.executable, "-m", module], env)
    try:
        out, err = proc.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return BackendResult(
            backend.name,
            ERROR,
            backend.bound,
            message=f"{backend.name}: no result within {timeout:g} s (runner {module})",
        )
    finally:
        live.done(proc)
    if proc.returncode != 0:
        absent = _missing_from_traceback(err)
        if absent and absent.split(".")[0] != "lrcore":
            return BackendResult(
                backend.name,
                NOT_INSTALLED,
                backend.bound,
                message=f"{backend.name}: {absent} not installed ({backend.install_hint})",
            )
        return BackendResult(
            backend.name,
            ERROR,
            backend.bound,
            message=f"{backend.name}: the runner {module} failed (exit {proc.returncode}):\n" + _tail(err),
        )
    payload = _parse_payload(out)
    if payload is None or not isinstance(payload.get("applied"), list):
        return BackendResult(
            backend.name,
            ERROR,
            backend.bound,
            message=f"{backend.name}: the runner {module} wrote no result JSON "
            f"with an 'applied' list:\n" + _tail(out or err),
        )
    try:
        return measure(backend, payload["applied"], reference, payload.get("witness"))
    except (TypeError, ValueError) as error:
        return BackendResult(
            backend.name,
            ERROR,
            backend.bound,
            message=f"{backend.name}: unreadable values from {module}: {error}",
        )


def _parse_payload(out: str) -> dict[str, Any] | None:
    """The runner's JSON; frameworks may print chatter to stdout first, so fall back to
    the last line that parses as a JSON object."""
    for text in [out, *reversed(out.splitlines())]:
        text = text.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return None


def _missing_from_traceback(err: str) -> str | None:
    marker = "ModuleNotFoundError: No module named '"
    for line in reversed(err.splitlines()):
        if line.startswith(marker):
            return line[len(marker) :].rstrip("'")
    return None


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept)
