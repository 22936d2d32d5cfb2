"""Run many conformance jobs through one backend's runner in one process.

``python -m tests.conformance._batch RUNNER`` reads a JSON list of ``{"config", "steps",
"steps_per_epoch"}`` jobs on stdin and writes a JSON list of ``{"applied", "witness"}``
(or ``{"error"}``) on stdout. Importing a framework costs seconds; a batch pays it once
per backend instead of once per schedule. The environment (``KERAS_BACKEND``,
``JAX_ENABLE_X64``) is set by the parent, as ``lrcore compare`` sets it.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback


def main() -> None:
    runner = importlib.import_module(sys.argv[1])  # the runner module, as lrcore.backends names it
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        try:
            results.append(
                runner.run(job["config"], job["steps"], steps_per_epoch=job.get("steps_per_epoch"))
            )
        except Exception:  # reported per job, so one failure names its config
            results.append({"error": traceback.format_exc(limit=5)})
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
