"""The outcome of a comparison: one :class:`BackendResult` per backend in a :class:`Report`,
and the words that explain it (the table, a mismatch, the command that reproduces it)."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

from ..backends import BACKENDS

OK = "ok"
MISMATCH = "mismatch"
ERROR = "error"
NOT_INSTALLED = "not installed"


@dataclasses.dataclass
class BackendResult:
    """How one backend's applied learning rates compare with the reference.

    ``first_diff`` is the first step where the applied value differs from the reference
    at all (in float64 for the bit-exact bound, in float32 otherwise); ``first_violation``
    the first step over the bound. ``witness_rel`` is the largest relative deviation of the
    learning rate the runner recovered from the parameter update itself (its witness) from
    the reference; ``witness_violation`` the first step where it is off by more than
    ``WITNESS_RTOL``, a sign that the recorded rate is not the one the optimizer used.
    ``near_ties`` (float32-only backends) counts the steps 1 ulp away whose reference lies
    within ``lrcore.precision.NEAR_TIE`` of a float32 midpoint, the only steps where such a
    backend may differ. ``message`` explains a mismatch, an error or a missing framework. ``applied`` holds the
    values (float64) when the backend ran.
    """

    backend: str
    status: str
    bound: str
    max_abs: float | None = None
    max_rel: float | None = None
    max_ulps: int | None = None
    near_ties: int | None = None
    first_diff: int | None = None
    first_violation: int | None = None
    witness_rel: float | None = None
    witness_violation: int | None = None
    seconds: float | None = None
    message: str = ""
    ulps: int | None = dataclasses.field(default=None, repr=False)
    applied: Any = dataclasses.field(default=None, repr=False)
    witness: Any = dataclasses.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON types (no per-step arrays)."""
        out = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("applied", "witness", "ulps")
        }
        for key in ("max_abs", "max_rel", "witness_rel"):
            value = out[key]
            # JSON has no infinity; a relative deviation from a zero reference is reported as null
            out[key] = value if value is None or value != float("inf") else None
        out["ok"] = self.ok
        return out

    def to_json(self) -> dict[str, Any]:
        """The same as :meth:`to_dict` (kept for callers from before ``to_dict``; unlike
        :meth:`Report.to_json` it returns the mapping, not JSON text)."""
        return self.to_dict()


@dataclasses.dataclass
class Report:
    """The outcome of ``compare``: one :class:`BackendResult` per backend, in the order
    asked. ``report.ok`` is true when every installed backend kept its bound;
    ``report.compared`` is false when no backend ran at all."""

    config: dict[str, Any]
    steps: int
    steps_per_epoch: int | None
    results: dict[str, BackendResult]
    reference: Any = dataclasses.field(repr=False)
    description: str = ""

    def __getitem__(self, backend: str) -> BackendResult:
        return self.results[backend]

    def __iter__(self) -> Iterator[BackendResult]:
        return iter(self.results.values())

    @property
    def ok(self) -> bool:
        return all(r.ok or r.status == NOT_INSTALLED for r in self.results.values())

    @property
    def compared(self) -> bool:
        """Whether any backend ran (a report of missing frameworks only proves nothing)."""
        return any(r.status != NOT_INSTALLED for r in self.results.values())

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
            "near ties",
            "first diff",
            "witness rel",
            "time",
            "result",
        )
        rows = [head]
        for r in self.results.values():
            result = r.status
            if r.status == NOT_INSTALLED and r.backend in BACKENDS:
                result = f"not installed ({BACKENDS[r.backend].install_hint})"
            rows.append(
                (
                    r.backend,
                    r.bound,
                    _num(r.max_abs),
                    _num(r.max_rel),
                    "-" if r.max_ulps is None else str(r.max_ulps),
                    "-" if r.near_ties is None else str(r.near_ties),
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
        title = f"{self.description or compact(self.config)} over {self.steps:,} steps{epoch}"
        text = [title, "", *lines]
        for r in self.failures:
            text += ["", r.message]
        return "\n".join(text)

    def to_dict(self) -> dict[str, Any]:
        """A summary in plain JSON types (no per-step arrays)."""
        from .. import __version__

        return {
            "lrcore": __version__,
            "config": self.config,
            "steps": self.steps,
            "steps_per_epoch": self.steps_per_epoch,
            "ok": self.ok,
            "compared": self.compared,
            "missing": self.missing,
            "backends": {name: r.to_dict() for name, r in self.results.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        return self.format_table()


def mismatch_message(result: BackendResult, report: Report) -> str:
    """Where and by how much ``result`` broke its bound, and the command that runs just
    that case again."""
    import numpy as np

    from ..precision import ulps as ulp_distance

    assert result.applied is not None
    t = result.first_violation
    if t is not None:
        got, want = float(result.applied[t]), float(report.reference[t])
        ulps = int(ulp_distance([got], [want])[0])
        if result.ulps is None:
            values = f"applied {got!r}, reference {want!r} (float64; {ulps} float32 ulps apart)"
        else:
            got32, want32 = np.float32(got), np.float32(want)
            values = f"applied {got32} (float32), reference {want32} (float32 of {want!r}): {ulps} ulps apart"
        head = f"{result.backend} broke its bound ({result.bound}) first at step {t}: {values}"
    else:
        t = result.witness_violation
        assert t is not None and result.witness is not None
        head = (
            f"{result.backend}: the update at step {t} used a learning rate of "
            f"{float(result.witness[t])!r} (its witness), not the recorded {float(result.applied[t])!r} "
            f"(reference {float(report.reference[t])!r}): the runner does not record the rate the "
            "optimizer applied"
        )
    again = reproduce_command(report.config, report.steps, result.backend, report.steps_per_epoch)
    return "\n".join([head, f"  config: {compact(report.config)}", f"  reproduce: {again}"])


def reproduce_command(
    config: Mapping[str, Any], steps: int, backend: str, steps_per_epoch: int | None = None
) -> str:
    """The one-line ``lrcore compare`` command that runs this comparison again."""
    words = ["lrcore", "compare", shlex.quote(compact(config)), "--steps", str(steps), "--backends", backend]
    if steps_per_epoch:
        words += ["--steps-per-epoch", str(steps_per_epoch)]
    return " ".join(words)


def compact(config: Mapping[str, Any]) -> str:
    """A config as one line of JSON."""
    return json.dumps(config, separators=(",", ":"))


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.2g}" if value != float("inf") else "inf"
