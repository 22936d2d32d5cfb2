"""What ``compare`` and a framework's runner process say to each other, defined once.

The parent starts ``python -m <runner module>`` with the backend's environment (Keras
fixes its backend and JAX its float width at import), writes one :class:`Request` as a
JSON object on the runner's stdin, and reads one :class:`Response` from its stdout::

    request:  {"config": {...}, "steps": 1200, "steps_per_epoch": null}
    response: {"applied": [0.0, 3e-07, ...], "witness": [0.0, 3e-07, ...]}

``applied[t]`` is the learning rate the optimizer reports for update ``t``; ``witness[t]``
the rate recovered from the parameter update itself (optional). A runner module has a
:class:`Runner` ``run`` function and a ``main()`` that calls :func:`serve` with it; the
conformance tests call ``run`` in process. A runner that fails exits non-zero with a
traceback on stderr (``ModuleNotFoundError`` for a framework that is not installed).
The backend's name is in ``$LRCORE_COMPARE_BACKEND``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from typing import Any, Protocol

BACKEND_ENV = "LRCORE_COMPARE_BACKEND"


class Runner(Protocol):
    """A runner's ``run``: train for ``steps`` updates, return ``applied`` and ``witness``."""

    def __call__(
        self, config: dict[str, Any], steps: int, *, steps_per_epoch: int | None = None
    ) -> Mapping[str, list[float]]: ...


@dataclasses.dataclass(frozen=True)
class Request:
    config: dict[str, Any]
    steps: int
    steps_per_epoch: int | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Request:
        data = json.loads(text)
        spe = data.get("steps_per_epoch")
        return cls(data["config"], int(data["steps"]), None if spe is None else int(spe))


@dataclasses.dataclass(frozen=True)
class Response:
    applied: list[float]
    witness: list[float] | None = None

    def to_json(self) -> str:
        # not dataclasses.asdict: it copies the lists element by element
        return json.dumps({"applied": self.applied, "witness": self.witness})

    @classmethod
    def parse(cls, out: str) -> Response | None:
        """The response in a runner's stdout, or None. Frameworks may print chatter
        before it, so the last line that reads as a JSON object counts too."""
        for text in [out, *reversed(out.splitlines())]:
            text = text.strip()
            if not text.startswith("{"):
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("applied"), list):
                witness = data.get("witness")
                return cls(data["applied"], witness if isinstance(witness, list) else None)
        return None


def serve(run: Runner) -> None:
    """A runner's ``main()``: one request on stdin, its response on stdout."""
    request = Request.from_json(sys.stdin.read())
    result = run(request.config, request.steps, steps_per_epoch=request.steps_per_epoch)
    witness = result.get("witness")
    response = Response(list(result["applied"]), None if witness is None else list(witness))
    sys.stdout.write(response.to_json() + "\n")
