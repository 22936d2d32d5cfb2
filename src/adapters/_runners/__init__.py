"""Conformance runners: train a tiny real model with an lrcore schedule and record the
learning rate each update applied. One module per framework, each with

``run(config, steps, *, steps_per_epoch=None) -> {"applied": [...], "witness": [...]}``

and a ``main()`` that reads ``{"config", "steps", "steps_per_epoch"}`` as JSON on stdin and
writes the result as JSON on stdout (``python -m lrcore.adapters._runners.<name>``), so
that each backend runs in a process of its own (Keras fixes its backend at import).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable


def serve(run: Callable[..., dict[str, list[float]]]) -> None:
    """The runners' ``main()``: one request as JSON on stdin, its result on stdout."""
    request = json.load(sys.stdin)
    result = run(request["config"], int(request["steps"]), steps_per_epoch=request.get("steps_per_epoch"))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


__all__ = ["serve"]
