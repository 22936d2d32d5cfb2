"""A stand-in for the framework runners (``lrcore.adapters.<framework>.runner``), for tests of
``lrcore compare`` that must run without any framework.

It speaks the runner protocol (JSON request on stdin, ``{"applied", "witness"}`` on
stdout) and computes the applied values from lrcore's own reference. What it does for
each backend comes from ``$FAKE_RUNNER_MODES``, a JSON object backend -> mode:

- ``exact``: the float64 reference (the default for torch);
- ``float32``: the reference rounded to float32 (the default for the others);
- ``ulps:STEP:N``: like ``float32`` but N float32 ulps above the reference from STEP on;
- ``short``: one value too few;
- ``witness:STEP``: applied values right, but the updates from STEP on used twice the rate;
- ``crash``: exit 1 with a traceback;
- ``missing:MODULE``: fail as if MODULE were not installed;
- ``chatter``: print lines before the JSON (frameworks do).

The orchestrator names the backend in ``$LRCORE_COMPARE_BACKEND``.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

import lrcore


def run(config: dict, steps: int, *, steps_per_epoch: int | None = None, mode: str = "exact") -> dict:
    schedule = lrcore.from_config(config)
    if steps_per_epoch:
        schedule = lrcore.per_epoch(schedule, steps_per_epoch)
    reference = schedule.values(np.arange(steps))
    if mode == "exact":
        applied = reference
    else:
        applied32 = reference.astype(np.float32)
        if mode.startswith("ulps:"):
            _, step, n = mode.split(":")
            bits = applied32.view(np.int32).copy()
            bits[int(step) :] += int(n)
            applied32 = bits.view(np.float32)
        applied = applied32.astype(np.float64)
    if mode == "short":
        applied = applied[:-1]
    witness = applied * (1 + 1e-7)
    if mode.startswith("witness:"):
        witness[int(mode.split(":")[1]) :] *= 2
    return {"applied": applied.tolist(), "witness": witness.tolist()}


def main() -> None:
    request = json.load(sys.stdin)
    backend = os.environ.get("LRCORE_COMPARE_BACKEND", "torch")
    modes = json.loads(os.environ.get("FAKE_RUNNER_MODES", "{}"))
    mode = modes.get(backend, "exact" if backend == "torch" else "float32")
    if mode == "crash":
        raise RuntimeError("the fake runner crashed on purpose")
    if mode.startswith("missing:"):
        name = mode.split(":", 1)[1]
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    if mode == "chatter":
        print("Epoch 1/1\nsome framework chatter {not json")
        mode = "float32"
    result = run(
        request["config"], request["steps"], steps_per_epoch=request.get("steps_per_epoch"), mode=mode
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
