"""Schedules from command-line arguments: a CONFIG argument (a file, a bundled example,
inline JSON) with ``--set key=value`` pairs on top, how ``--total-steps`` and
``--steps-per-epoch`` apply to it (:func:`for_run`), and the number of steps worth looking
at when none is given. The ``lrcore`` command uses it; so can any other front end.

>>> schedule, label = resolve("warmup-cosine", ["schedule.start=1e-3"])
>>> schedule.schedule.start, label
(0.001, 'warmup-cosine')
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from ._errors import ConfigError
from ._params import parse_duration
from ._schedule import Schedule, as_schedule
from .config import from_config, load

EXAMPLES_DIR = Path(__file__).with_name("examples")
"""The bundled example configs (shipped in the wheel: ``lrcore examples`` lists them)."""

DEFAULT_EXAMPLE = "warmup-cosine"
"""The schedule a command uses when it is given no config."""

EXAMPLES = {
    "warmup-cosine": "LLM-style: linear warmup to 3e-4 over 1,000 steps, cosine to 3e-5 at step 10,000",
    "warmup-stable-decay": "WSD: warmup to 3e-4, hold, 1-sqrt decay to 0 over the last 4,000 of 20,000 steps",
    "one-cycle": "torch OneCycleLR(max_lr=0.01, total_steps=5000)",
    "keras-exponential-decay": "Keras ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)",
    "step-decay-per-epoch": "Keras LearningRateScheduler 0.01 * 0.1 ** (epoch // 5), epochs of 100 updates",
    "warmup-cosine-durations": "warmup 5% of the run to 0.1, cosine to 1e-4 over 90 epochs "
    "(give --total-steps, --steps-per-epoch)",
}

_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


class UsageError(ValueError):
    """An argument that names nothing or is malformed (the command exits with status 2)."""


def example_path(name: str) -> Path | None:
    """The bundled example file called ``name`` (``one_cycle`` finds ``one-cycle``)."""
    stem = name.strip().replace("_", "-")
    for file in sorted(EXAMPLES_DIR.glob(f"{stem}.*")):
        if file.suffix in _SUFFIXES:
            return file
    return None


def resolve(
    config: str | None, sets: list[str] | None = None, *, default: str | None = DEFAULT_EXAMPLE
) -> tuple[Schedule, str]:
    """The schedule a CONFIG argument and ``--set`` pairs describe, and a short label.

    Without either, ``default`` (an example name) is used; ``default=None`` makes that a
    :class:`UsageError`. Raises :class:`ConfigError` for a bad config."""
    sets = sets or []
    if config is None and not sets:
        if default is None:
            raise UsageError(
                "no CONFIG given: name a file, an example ("
                + ", ".join(EXAMPLES)
                + "), inline JSON, or use --set key=value"
            )
        config = default
    loaded, label = (None, "--set") if config is None else _load_one(config)
    if not sets:
        assert loaded is not None
        return as_schedule(loaded), label
    mapping: dict[str, Any] = loaded.to_config() if loaded is not None else {}
    for item in sets:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. --set steps=1000")
        _assign(mapping, key.strip(), _parse_value(text))
    return as_schedule(from_config(mapping)), label


def _load_one(config: str) -> tuple[Any, str]:
    text = config.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ConfigError(
                "", "valid inline JSON", text if len(text) < 60 else text[:57] + "...", hint=str(error)
            ) from None
        if not isinstance(data, dict):
            raise ConfigError("", "a JSON object with a 'type'", data)
        return from_config(data), "inline JSON"
    path = Path(config)
    if path.is_file():
        return load(path), str(path)
    found = example_path(config) if os.sep not in config and "/" not in config else None
    if found is not None:
        return load(found), found.stem
    if path.suffix.lower() in _SUFFIXES or os.sep in config or "/" in config:
        raise UsageError(f"CONFIG: no such file: {config}")
    close = difflib.get_close_matches(config.replace("_", "-"), list(EXAMPLES), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UsageError(
        f"CONFIG: {config!r} is not a file, a bundled example or inline JSON ({hint}examples: "
        + ", ".join(EXAMPLES)
        + ")"
    )


def _parse_value(text: str) -> Any:
    """JSON when it parses (numbers, true/false, lists, objects), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _assign(mapping: dict[str, Any], dotted: str, value: Any) -> None:
    """``mapping[a][b][c] = value`` for ``a.b.c``; a number indexes a list
    (``schedules.1.steps``); missing mappings are created."""
    keys = dotted.split(".")
    node: Any = mapping
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise UsageError(f"--set {dotted}: {where!r} is not an index of a list of {len(node)}")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise UsageError(f"--set {dotted}: {'.'.join(keys[:depth])!r} is a value, not a mapping")


def for_run(
    schedule: Schedule,
    total_steps: int | None = None,
    steps_per_epoch: int | None = None,
    *,
    names: tuple[str, str] = ("total_steps", "steps_per_epoch"),
) -> tuple[Schedule, int | None]:
    """The schedule a run evaluates, and the epoch length to step it by (or None).

    The one rule of ``--total-steps N`` / ``--steps-per-epoch K`` (and of
    ``lrcore.compare.compare``'s ``total_steps`` / ``steps_per_epoch``):

    - a schedule with durations (``"10ep"``, ``"5%"``, ``"0.05dur"``) counts updates: it is
      bound (``schedule.bind(total_steps=N, steps_per_epoch=K)``) and stepped every update,
      so the epoch length returned is None;
    - a schedule of integer steps only keeps what ``steps_per_epoch`` always meant: it is
      stepped once per epoch of K updates (the caller runs ``per_epoch(schedule, K)``), and
      ``total_steps`` binds nothing.

    A duration whose argument is missing is a :class:`ConfigError` naming the parameter and
    the argument to add, spelled as ``names`` gives it (the command passes its flags).
    Stepping a ``per_epoch`` schedule once per epoch again is a ``ValueError``.

    >>> s = lrcore.warmup(lrcore.cosine(start=1.0, end=0.0, steps="90ep"), steps="5%")
    >>> for_run(s, total_steps=2000, steps_per_epoch=20)
    (lrcore.warmup(schedule=lrcore.cosine(start=1.0, end=0.0, steps=1800), steps=100), None)
    >>> for_run(lrcore.step(start=0.1, gamma=0.5, step_size=3), steps_per_epoch=20)[1]
    20
    """
    from .combinators import PerEpoch

    unbound = schedule.unbound_durations()
    if not unbound:
        if steps_per_epoch is not None and isinstance(schedule, PerEpoch):
            # per_epoch(per_epoch(s, k), k) holds each value for k*k updates: not what anyone means
            raise ValueError(
                f"the schedule is already per_epoch(..., steps_per_epoch={schedule.steps_per_epoch}): "
                "stepping it once per epoch again would nest per_epoch twice; compare it as it is, "
                "or its inner 'schedule' stepped once per epoch"
            )
        return schedule, steps_per_epoch
    given = {"ep": steps_per_epoch, "dur": total_steps}
    flag = {"ep": names[1], "dur": names[0]}
    for path, text in unbound:
        _, unit = parse_duration(text, path)
        if given[unit] is None:
            what = "an epoch count" if unit == "ep" else "a fraction of the run"
            raise ConfigError(path, "a bound duration", text, hint=f"{what}: add {flag[unit]} to bind it")
    return schedule.bind(total_steps=total_steps, steps_per_epoch=steps_per_epoch), None


def default_steps(schedule: Schedule) -> int:
    """How many steps to look at when none is given: a little past the horizon, past the
    last breakpoint, or (for a schedule that never settles) the first round number of
    steps by which the learning rate has changed by half."""
    horizon = schedule.horizon
    if horizon:
        return horizon + max(10, horizon // 20)
    points = [b for b in schedule.breakpoints() if b > 0]
    if points:
        return max(points) * 5 // 4 + 1
    first = schedule(0)
    for exponent in range(2, 8):
        for mantissa in (1, 2, 5):
            steps = int(mantissa * 10**exponent)
            value = schedule(steps - 1)
            if abs(value - first) >= 0.5 * first if first > 0 else value != first:
                return steps
    return 1000
