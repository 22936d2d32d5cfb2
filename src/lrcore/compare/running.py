"""Running the backends: one runner process per backend (at most ``jobs`` at once), each
given the request of :mod:`.protocol` and measured against the reference."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._schedule import Schedule, as_schedule
from ..backends import BACKENDS, DEFAULT_BACKENDS, Backend, resolve_backends
from .measurement import measure
from .protocol import BACKEND_ENV, Request, Response
from .report import ERROR, MISMATCH, NOT_INSTALLED, BackendResult, Report, mismatch_message

__all__ = ["BACKENDS", "DEFAULT_BACKENDS", "RUNNER_ENV", "compare", "missing_modules", "runner_command"]

RUNNER_ENV = "LRCORE_COMPARE_RUNNER"
"""Environment variable naming a module to run for every backend instead of the real
runners (tests of the orchestrator use a fake one). The install check is then left to
that module: it may raise ``ModuleNotFoundError`` to play a missing framework."""

Progress = Callable[[str, str, "BackendResult | None"], None]


def missing_modules(backend: Backend) -> list[str]:
    """The backend's frameworks that cannot be found (imports nothing)."""
    return [name for name in backend.requires if importlib.util.find_spec(name) is None]


def runner_command(module: str) -> list[str]:
    """The command line that runs ``module`` as a runner process.

    ``python -m`` puts the working directory first on the import path, where a folder
    named ``lrcore`` (the parent folder of a clone holds one) would shadow the installed
    package; ``-P`` (Python 3.11+) leaves it out, and older Pythons drop it by hand.
    """
    if hasattr(sys.flags, "safe_path"):  # -P: Python 3.11+
        return [sys.executable, "-P", "-m", module]
    launch = "import runpy, sys; del sys.path[0]; runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)"
    return [sys.executable, "-c", launch, module]


def _import_root(module: str) -> str | None:
    """The folder on this process's import path that ``module`` is found under, for a
    runner named by the caller (the child does not share our ``sys.path``: pytest's root,
    say); None when it cannot be found here."""
    from pathlib import Path

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    root = Path(spec.origin).parent
    for _ in range(module.count(".")):
        root = root.parent
    return str(root)


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
    total_steps: int | None = None,
) -> Report:
    """Run the schedule for ``steps`` updates in each backend and compare the applied
    learning rates with the float64 reference.

    ``schedule_or_config`` is a schedule or its config mapping. ``backends`` names
    backends or groups of :mod:`lrcore.backends` (default: its ``DEFAULT_BACKENDS``).
    A schedule with durations (``"10ep"``, ``"5%"``) is bound by ``total_steps`` and
    ``steps_per_epoch`` here, and the runners get the bound config. For a schedule of
    integer steps only, ``steps_per_epoch`` has the runners step it once per epoch of that
    many updates, and the reference is ``lrcore.per_epoch(schedule, steps_per_epoch)``
    (the rule is :func:`lrcore.config_args.for_run`).
    ``progress(backend, state, result)`` is called with state ``"running"`` when a backend
    starts and ``"done"`` (with its result) when it ends. At most ``jobs`` backends run at
    once; each gets ``timeout`` seconds. ``runner`` (or ``$LRCORE_COMPARE_RUNNER``) replaces
    the runner modules, for tests.

    Returns a :class:`Report`; it raises only for bad arguments (``ConfigError`` for the
    schedule, ``ValueError`` for the others).
    """
    import numpy as np

    from ..combinators import PerEpoch
    from ..config_args import for_run

    schedule = as_schedule(schedule_or_config)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    for name, value in (("steps_per_epoch", steps_per_epoch), ("total_steps", total_steps)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    # Bound here, so the runners (other processes) get integer steps, and a per_epoch
    # stepping only where the schedule has no durations.
    schedule, steps_per_epoch = for_run(schedule, total_steps, steps_per_epoch)
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    chosen = resolve_backends(backends)
    runner = runner or os.environ.get(RUNNER_ENV) or None
    config = schedule.to_config()
    target = PerEpoch(schedule, steps_per_epoch) if steps_per_epoch else schedule
    reference = target.values(np.arange(steps, dtype=np.int64))
    report = Report(config, steps, steps_per_epoch, {}, reference, description=repr(schedule))
    report.results = {b.name: BackendResult(b.name, "pending", b.bound, ulps=b.ulps) for b in chosen}

    def notify(name: str, state: str, result: BackendResult | None) -> None:
        if progress is not None:
            progress(name, state, result)

    to_run = []
    for backend in chosen:
        absent = [] if runner else missing_modules(backend)
        if absent:
            result = _not_installed(backend, ", ".join(absent))
            report.results[backend.name] = result
            notify(backend.name, "done", result)
        else:
            to_run.append(backend)

    request = Request(config, steps, steps_per_epoch).to_json()
    live = _Processes(_import_root(runner) if runner else None)

    def one(backend: Backend) -> None:
        notify(backend.name, "running", None)
        began = time.monotonic()
        result = _run_one(backend, schedule, runner or backend.runner, request, reference, timeout, live)
        result.seconds = time.monotonic() - began
        if result.status == MISMATCH and not result.message:
            result.message = mismatch_message(result, report)
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


def _not_installed(backend: Backend, what: str) -> BackendResult:
    return BackendResult(
        backend.name,
        NOT_INSTALLED,
        backend.bound,
        message=f"{backend.name}: {what} not installed ({backend.install_hint})",
        ulps=backend.ulps,
    )


class _Processes:
    """The child processes this comparison started, so an interrupt can end them."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path  # put first on the children's PYTHONPATH
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[str]] = set()
        self.closed = False

    def start(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        with self.lock:
            if self.closed:
                raise KeyboardInterrupt
            if self.path:
                env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [self.path, env.get("PYTHONPATH")]))}
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
    backend: Backend,
    schedule: Schedule,
    module: str,
    request: str,
    reference: Any,
    timeout: float | None,
    live: _Processes,
) -> BackendResult:
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ, **backend.env, BACKEND_ENV: backend.name}
    proc = live.start(runner_command(module), env)

    def error(message: str) -> BackendResult:
        return BackendResult(backend.name, ERROR, backend.bound, message=message, ulps=backend.ulps)

    try:
        out, err = proc.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return error(f"{backend.name}: no result within {timeout:g} s (runner {module})")
    finally:
        live.done(proc)
    if proc.returncode != 0:
        absent = _missing_from_traceback(err)
        if absent and absent.split(".")[0] != "lrcore":
            return _not_installed(backend, absent)
        return error(f"{backend.name}: the runner {module} failed (exit {proc.returncode}):\n" + _tail(err))
    response = Response.parse(out)
    if response is None:
        return error(
            f"{backend.name}: the runner {module} wrote no result JSON with an 'applied' list:\n"
            + _tail(out or err)
        )
    try:
        return measure(backend, response.applied, reference, response.witness, schedule=schedule)
    except (TypeError, ValueError) as problem:
        return error(f"{backend.name}: unreadable values from {module}: {problem}")


def _missing_from_traceback(err: str) -> str | None:
    marker = "ModuleNotFoundError: No module named '"
    for line in reversed(err.splitlines()):
        if line.startswith(marker):
            return line[len(marker) :].rstrip("'")
    return None


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join("    " + line for line in kept)
