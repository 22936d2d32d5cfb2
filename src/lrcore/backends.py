"""The backends ``lrcore compare`` runs a schedule in: one table, read by the compare
package, the command's ``--help``, and the README test that keeps the docs in step.

A backend is one framework configuration: which packages it needs, how it evaluates
(host float64, a float64-capable graph, or float32 only), which runner module trains
its probe model, and which extra installs it. Its bound comes from the precision
contract (SPEC 7, :mod:`lrcore.precision`), never from a number written here.

>>> [b.name for b in resolve_backends("torch,keras")]
['torch', 'keras-tensorflow', 'keras-jax', 'keras-torch']
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._schedule import Schedule

HOST_FLOAT64 = "host float64"
"""Evaluated on the host in float64: must equal the reference bit for bit."""
FLOAT64 = "float64"
"""Can evaluate in float64: float32 of the applied rate equals float32 of the reference."""
FLOAT32 = "float32"
"""Evaluates in float32 only, in double-float pairs: float32 of the applied rate equals
float32 of the reference, but at near-tie steps (1 ulp, counted)."""


@dataclasses.dataclass(frozen=True)
class Backend:
    """One row of the table.

    ``family`` groups backends under one name (``--backends keras``). ``cost`` is a rough
    relative run time: the slowest start first, so that two workers finish together.
    ``default`` backends run when none is named.
    """

    name: str
    family: str
    requires: tuple[str, ...]
    precision: str
    runner: str
    extra: str
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    cost: int = 1
    default: bool = True

    def ulps_for(self, schedule: Schedule | None = None) -> int | None:
        """The float32 ulp distance allowed at every step (0: float32 of the reference),
        or None for bit-exact float64. The same for every schedule (``schedule`` is kept
        for callers of the first release, whose float32 bounds depended on it)."""
        del schedule
        if self.precision == HOST_FLOAT64:
            return None
        return 0

    @property
    def near_ties(self) -> bool:
        """Whether 1 ulp is allowed at near-tie steps (float32-only evaluation)."""
        return self.precision == FLOAT32

    @property
    def ulps(self) -> int | None:
        """The float32 ulp bound (0), or None for bit-exact float64."""
        return self.ulps_for(None)

    @property
    def bound(self) -> str:
        return bound_text(self.ulps, self.near_ties)

    @property
    def install_hint(self) -> str:
        return f"pip install '.[{self.extra}]' in lrcore's source tree, or '<wheel file>[{self.extra}]'"


def bound_text(ulps: int | None, near_ties: bool = False) -> str:
    """A bound in words, as the compare table prints it."""
    if ulps is None:
        return "bit-exact"
    text = "0 ulps" if ulps == 0 else f"<= {ulps} ulps"
    return text + ", 1 at ties" if near_ties else text


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("torch", "torch", ("torch",), HOST_FLOAT64, "lrcore.adapters.torch.runner", "torch", cost=3),
        Backend(
            "optax",
            "optax",
            ("jax", "optax"),
            FLOAT32,
            "lrcore.adapters.optax.runner",
            "jax",
            {"JAX_ENABLE_X64": "0"},
        ),
        Backend(
            "optax-x64",
            "optax",
            ("jax", "optax"),
            FLOAT64,
            "lrcore.adapters.optax.runner",
            "jax",
            {"JAX_ENABLE_X64": "1"},
            default=False,
        ),
        Backend(
            "keras-tensorflow",
            "keras",
            ("keras", "tensorflow"),
            FLOAT64,
            "lrcore.adapters.keras.runner",
            "keras",
            {"KERAS_BACKEND": "tensorflow"},
            cost=4,
        ),
        Backend(
            "keras-jax",
            "keras",
            ("keras", "jax"),
            FLOAT32,
            "lrcore.adapters.keras.runner",
            "keras,jax",
            {"KERAS_BACKEND": "jax"},
            cost=3,
        ),
        Backend(
            "keras-torch",
            "keras",
            ("keras", "torch"),
            FLOAT64,
            "lrcore.adapters.keras.runner",
            "keras,torch",
            {"KERAS_BACKEND": "torch"},
            cost=8,
        ),
    )
}
"""Every backend by name, in the order reports list them."""

DEFAULT_BACKENDS: tuple[str, ...] = tuple(name for name, b in BACKENDS.items() if b.default)
"""What ``compare`` runs when no backend is named."""


def groups() -> dict[str, list[str]]:
    """Names that stand for several backends: ``all`` and each family that is not
    itself a backend's name (``keras``)."""
    out: dict[str, list[str]] = {"all": list(BACKENDS)}
    for backend in BACKENDS.values():
        if backend.family not in BACKENDS:
            out.setdefault(backend.family, []).append(backend.name)
    return out


def resolve_backends(backends: str | Iterable[str] | None) -> list[Backend]:
    """The :class:`Backend` rows for names (a list or a comma-separated string), groups
    expanded; ``None`` is :data:`DEFAULT_BACKENDS`. Unknown names raise ``ValueError``
    with a did-you-mean."""
    if backends is None:
        names: list[str] = list(DEFAULT_BACKENDS)
    elif isinstance(backends, str):
        names = [n.strip() for n in backends.split(",") if n.strip()]
    else:
        names = list(backends)
    grouped = groups()
    out: list[Backend] = []
    for name in names:
        for member in grouped.get(name, [name]):
            if member not in BACKENDS:
                known = [*BACKENDS, *grouped]
                close = difflib.get_close_matches(member, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown backend {member!r}{hint}; known: {', '.join(known)}")
            if BACKENDS[member] not in out:
                out.append(BACKENDS[member])
    if not out:
        raise ValueError("no backend named")
    return out


def describe() -> list[str]:
    """One line per backend: name, precision, bound, extra (the ``--help`` and the
    compare docstring print these)."""
    width = max(map(len, BACKENDS))
    lines = []
    for b in BACKENDS.values():
        default = "" if b.default else ", on request"
        lines.append(f"{b.name:<{width}}  {b.precision:<12}  {b.bound:<9}  lrcore[{b.extra}]{default}")
    return lines
