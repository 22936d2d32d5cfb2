"""Run one schedule in every framework and compare the applied learning rates.

Each backend trains a tiny real model in a process of its own (see :mod:`.protocol`) and
reports the learning rate each update applied. Those values are compared with the
float64 reference ``schedule.values(range(steps))`` against the precision contract
(SPEC 7, :mod:`lrcore.precision`). The backends (:mod:`lrcore.backends`), with the
bound of a schedule without powered shapes:

{backends}

>>> report = compare(lrcore.cosine(start=0.1, end=0.0, steps=1000), steps=1100,
...                  backends=["torch", "optax"])            # doctest: +SKIP
>>> report.ok, report["optax"].max_ulps                      # doctest: +SKIP
(True, 1)
>>> print(report.format_table())                             # doctest: +SKIP

A backend whose framework is not installed is reported as ``not installed`` (found with
``importlib.util.find_spec`` in this process, which imports nothing) and does not make the
report fail; ``report.missing`` lists them and ``report.compared`` says whether any ran.

The modules: :mod:`.report` (the result model and its wording), :mod:`.measurement`
(applied values against the reference), :mod:`.running` (the runner processes) and
:mod:`.protocol` (what a runner reads and writes). This package imports no framework and
is not imported by ``lrcore`` itself.
"""

from __future__ import annotations

from ..backends import BACKENDS, DEFAULT_BACKENDS, Backend, describe, resolve_backends
from ..precision import ulps as ulp_distance
from .measurement import WITNESS_RTOL, measure
from .report import ERROR, MISMATCH, NOT_INSTALLED, OK, BackendResult, Report, reproduce_command
from .running import RUNNER_ENV, compare, missing_modules, runner_command

__doc__ = (__doc__ or "").replace("{backends}", "\n".join("    " + line for line in describe()))

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKENDS",
    "ERROR",
    "MISMATCH",
    "NOT_INSTALLED",
    "OK",
    "RUNNER_ENV",
    "WITNESS_RTOL",
    "Backend",
    "BackendResult",
    "Report",
    "compare",
    "measure",
    "missing_modules",
    "reproduce_command",
    "resolve_backends",
    "runner_command",
    "ulp_distance",
]
