"""What an adapter's checkpoint says about the plan, and resuming when the plan changed.

Every adapter's checkpoint carries the schedule's config and a format version
(:func:`record`). Resuming compares it with the schedule the run was rebuilt with
(:func:`reconcile`): equal plans resume silently; a changed plan (another horizon, a new
warmup, another type) would otherwise make the curve jump without a word, so it warns
with a :class:`PlanChangedWarning` that names each changed field, and resumes with the
checkpoint's schedule unless the user chose explicitly (``prefer="checkpoint"`` or
``prefer="current"``, which also silence the warning).

>>> old = lrcore.cosine(start=0.1, end=0.0, steps=1000)
>>> differences(old.to_config(), lrcore.cosine(start=0.1, end=0.0, steps=2000).to_config())
['steps: 1000 -> 2000']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ._errors import ConfigError
from ._schedule import Declared

FORMAT = 1
PREFER = ("checkpoint", "current")


def check_prefer(prefer: str | None) -> None:
    """Refuse a ``prefer`` other than None, ``"checkpoint"`` or ``"current"`` (every adapter
    checks it when built, not first when a checkpoint loads)."""
    if prefer is not None and prefer not in PREFER:
        raise ConfigError("prefer", "one of 'checkpoint', 'current' or None", prefer)


class PlanChangedWarning(UserWarning):
    """A run resumed from a checkpoint whose schedule differs from the one given now."""


def record(schedule: Declared) -> dict[str, Any]:
    """The plan as a checkpoint stores it: plain JSON types."""
    return {"lrcore_format": FORMAT, "config": schedule.to_config()}


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """The fields where two configs differ, as ``path: old -> new`` lines."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        if old.get("type") != new.get("type"):
            return [f"{path or 'type'}: {old.get('type')} -> {new.get('type')}"]
        out = []
        for key in [*old, *(k for k in new if k not in old)]:
            here = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(f"{here}: {old[key]!r} -> (default)")
            elif key not in old:
                out.append(f"{here}: (default) -> {new[key]!r}")
            else:
                out.extend(differences(old[key], new[key], here))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def reconcile(
    saved: Any, current: Declared, *, prefer: str | None = None, where: str = "checkpoint"
) -> Declared:
    """The schedule to resume with, given a checkpoint's :func:`record` and the schedule the
    run was rebuilt with. Warns (:class:`PlanChangedWarning`) when they differ and ``prefer``
    is None, then resumes with the checkpoint's."""
    from .config import from_config

    check_prefer(prefer)
    if not isinstance(saved, Mapping) or "config" not in saved:
        raise ConfigError(where, "a checkpoint record with 'lrcore_format' and 'config'", saved)
    version = saved.get("lrcore_format")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT:
        raise ConfigError(
            f"{where}.lrcore_format",
            f"a format version in [1, {FORMAT}] (written by this or an older lrcore)",
            version,
        )
    try:
        restored: Declared = from_config(saved["config"])
    except ConfigError as error:
        raise error.prefixed(f"{where}.config") from None
    if restored == current or prefer == "checkpoint":
        return restored
    if prefer == "current":
        return current
    changes = differences(saved["config"], current.to_config())
    warnings.warn(
        PlanChangedWarning(
            f"{where}: the checkpoint's schedule differs from the one given now ("
            + "; ".join(changes)
            + "): resuming with the checkpoint's. Choose explicitly with prefer='checkpoint' "
            "or prefer='current'."
        ),
        stacklevel=3,
    )
    return restored
