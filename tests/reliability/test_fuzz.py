"""Property tests over random configs of every registered type.

(a) Random valid (nested) configs round-trip through ``to_config`` and JSON, and their
    values at the interesting steps (0, breakpoints +-1, horizon +-1, huge steps) are
    finite and >= 0 in float64 and float32.
(b) Mutated configs (a key dropped or added, a value replaced by a wrong-typed, NaN,
    negative or huge one, a list shuffled) either build a valid schedule or raise
    ``ConfigError`` with a path into the mutated part; never another exception.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcore

# Deterministic and quick by default; LRCORE_FUZZ_EXAMPLES=5000 runs a longer random hunt.
HUNT = int(os.environ.get("LRCORE_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=HUNT or 200,
    deadline=None,
    derandomize=not HUNT,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
INT64_MAX = (1 << 63) - 1

rates = st.one_of(st.just(0.0), st.floats(min_value=1e-8, max_value=10.0), st.sampled_from([1e-30, 1.0]))
steps = st.one_of(st.integers(1, 2_000), st.integers(1, 10**7), st.sampled_from([1, 2, 2**31 - 1, 2**40]))
counts = st.one_of(st.just(0), steps)
fractions_ = st.floats(min_value=1e-6, max_value=1.0)


@st.composite
def increasing(draw: st.DrawFn, lo: int, min_size: int, max_size: int = 5) -> list[int]:
    items = draw(st.lists(st.integers(lo, 10**6), min_size=min_size, max_size=max_size, unique=True))
    return sorted(items)


def _exponential(d: st.DrawFn) -> dict[str, Any]:
    start = d(rates)
    config: dict[str, Any] = {
        "type": "exponential",
        "start": start,
        "steps": d(steps),
        "staircase": d(st.booleans()),
        "begin": d(counts),
    }
    if d(st.booleans()):  # growing, with a ceiling
        config |= {"rate": d(st.floats(1.0, 3.0)), "bound": start + d(rates)}
    else:
        config["rate"] = d(st.floats(1e-3, 1.0))
        if d(st.booleans()):
            config["bound"] = start * d(fractions_)
    return config


def _one_cycle(d: st.DrawFn) -> dict[str, Any]:
    total = d(st.integers(20, 10**6))
    return {
        "type": "one_cycle",
        "peak": d(rates),
        "total": total,
        "warmup_fraction": d(st.floats(0.1, 0.45)),
        "anneal": d(st.sampled_from(["cos", "linear"])),
        "div_factor": d(st.floats(1.0, 1e3)),
        "final_div_factor": d(st.floats(1.0, 1e5)),
        "three_phase": d(st.booleans()),
    }


def _wsd(d: st.DrawFn) -> dict[str, Any]:
    total = d(steps)
    warmup = d(st.integers(0, total))
    return {
        "type": "warmup_stable_decay",
        "peak": d(rates),
        "warmup": warmup,
        "decay": d(st.integers(0, total - warmup)),
        "total": total,
        "start": d(rates),
        "end": d(rates),
        "decay_shape": d(st.sampled_from(["linear", "cosine", "1-sqrt"])),
    }


def _tanh(d: st.DrawFn) -> dict[str, Any]:
    lower = d(st.floats(-40.0, 39.0))
    return {
        "type": "tanh",
        "start": d(rates),
        "end": d(rates),
        "steps": d(steps),
        "lower": lower,
        "upper": d(st.floats(lower + 0.5, 40.0)),
    }


def _cyclic(d: st.DrawFn) -> dict[str, Any]:
    low = d(rates)
    config = {
        "type": "cyclic",
        "low": low,
        "high": low + d(rates),
        "up": d(steps),
        "mode": d(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        "gamma": d(st.floats(0.5, 1.0)),
    }
    if d(st.booleans()):
        config["down"] = d(steps)
    return config


def _inverse_sqrt(d: st.DrawFn) -> dict[str, Any]:
    config = {"type": "inverse_sqrt", "peak": d(rates), "warmup": d(counts)}
    if config["warmup"] == 0 or d(st.booleans()):
        config["timescale"] = d(steps)
    return config


def _piecewise_constant(d: st.DrawFn) -> dict[str, Any]:
    boundaries = d(increasing(1, 0))
    return {
        "type": "piecewise_constant",
        "boundaries": boundaries,
        "values": d(st.lists(rates, min_size=len(boundaries) + 1, max_size=len(boundaries) + 1)),
    }


def _piecewise_linear(d: st.DrawFn) -> dict[str, Any]:
    boundaries = d(increasing(0, 1))
    return {
        "type": "piecewise_linear",
        "boundaries": boundaries,
        "values": d(st.lists(rates, min_size=len(boundaries), max_size=len(boundaries))),
    }


LEAVES: dict[str, Any] = {
    "constant": lambda d: {"type": "constant", "value": d(rates)},
    "linear": lambda d: {"type": "linear", "start": d(rates), "end": d(rates), "steps": d(steps)},
    "polynomial": lambda d: {
        "type": "polynomial",
        "start": d(rates),
        "end": d(rates),
        "steps": d(steps),
        "power": d(st.floats(0.1, 5.0)),
        "cycle": d(st.booleans()),
    },
    "cosine": lambda d: {
        "type": "cosine",
        "start": d(rates),
        "end": d(rates),
        "steps": d(steps),
        "exponent": d(st.sampled_from([1.0, 2.0, 0.5, 3.7])),
    },
    "exponential": _exponential,
    "step": lambda d: {"type": "step", "start": d(rates), "gamma": d(fractions_), "step_size": d(steps)},
    "multistep": lambda d: {
        "type": "multistep",
        "start": d(rates),
        "milestones": d(increasing(1, 1)),
        "gamma": d(st.floats(0.0, 1.0)),
    },
    "piecewise_constant": _piecewise_constant,
    "piecewise_linear": _piecewise_linear,
    "inverse_time": lambda d: {
        "type": "inverse_time",
        "start": d(rates),
        "rate": d(st.floats(0.0, 100.0)),
        "steps": d(steps),
        "staircase": d(st.booleans()),
    },
    "inverse_sqrt": _inverse_sqrt,
    "cosine_restarts": lambda d: {
        "type": "cosine_restarts",
        "start": d(rates),
        "end": d(rates),
        "first_cycle": d(steps),
        "cycle_mult": d(st.integers(1, 3)),
        "peak_decay": d(fractions_),
    },
    "cyclic": _cyclic,
    "one_cycle": _one_cycle,
    "warmup_stable_decay": _wsd,
    "tanh": _tanh,
    "table": lambda d: {"type": "table", "values": d(st.lists(rates, min_size=1, max_size=20))},
}


def _combine(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(d: st.DrawFn) -> dict[str, Any]:
        kind = d(st.sampled_from(sorted(COMBINATORS)))
        return COMBINATORS[kind](d, inner)

    return build()


def _join(d: st.DrawFn, inner: Any) -> dict[str, Any]:
    schedules = d(st.lists(inner, min_size=1, max_size=3))
    return {
        "type": "join",
        "schedules": schedules,
        "boundaries": d(increasing(1, len(schedules) - 1, len(schedules) - 1)),
    }


def _clip(d: st.DrawFn, inner: Any) -> dict[str, Any]:
    lo, width = d(rates), d(rates)
    bounds = d(st.sampled_from([("min",), ("max",), ("min", "max")]))
    config = {"type": "clip", "schedule": d(inner)}
    if "min" in bounds:
        config["min"] = lo
    if "max" in bounds:
        config["max"] = lo + width
    return config


COMBINATORS: dict[str, Any] = {
    "warmup": lambda d, inner: {
        "type": "warmup",
        "schedule": d(inner),
        "steps": d(steps),
        "start": d(rates),
        "shape": d(st.sampled_from(["linear", "cosine"])),
    },
    "join": _join,
    "scale": lambda d, inner: {"type": "scale", "schedule": d(inner), "factor": d(st.one_of(rates, inner))},
    "clip": _clip,
    "per_epoch": lambda d, inner: {"type": "per_epoch", "schedule": d(inner), "steps_per_epoch": d(steps)},
}


@st.composite
def leaf(d: st.DrawFn) -> dict[str, Any]:
    return LEAVES[d(st.sampled_from(sorted(LEAVES)))](d)


configs = st.recursive(leaf(), _combine, max_leaves=5)


def test_strategies_cover_the_registry() -> None:
    """A new schedule type must get a strategy here (and so be fuzzed). The metric-driven
    plateau has no value without its state: tests/core/test_plateau.py fuzzes it."""
    assert set(LEAVES) | set(COMBINATORS) == set(lrcore.REGISTRY) - {"plateau"}


def check_steps(schedule: lrcore.Schedule, extra: list[int]) -> list[int]:
    points = [0, 1, 2, 2**24, 2**31 - 1, 2**31, 2**40, 2**53, INT64_MAX, *extra]
    for b in schedule.breakpoints()[:50]:
        points += [b - 1, b, b + 1]
    if schedule.horizon is not None:
        points += [schedule.horizon - 1, schedule.horizon, schedule.horizon + 1]
    return sorted({p for p in points if 0 <= p <= INT64_MAX})


def assert_sane(schedule: lrcore.Schedule, ts: list[int]) -> None:
    for bits in (64, 32):
        # Overflow to inf is fine where the formula takes its limit (start / inf == 0); an
        # invalid operation (inf - inf, 0 * inf) or a division by zero is a bug even if masked.
        with np.errstate(over="ignore", under="ignore", invalid="raise", divide="raise"):
            values = schedule.values(np.asarray(ts, dtype=np.int64), bits=bits)
        bad = [(t, v) for t, v in zip(ts, values.tolist(), strict=True) if not (math.isfinite(v) and v >= 0)]
        assert not bad, f"{schedule!r} float{bits}: {bad[:5]}"


@SETTINGS
@given(config=configs, extra=st.lists(st.integers(0, INT64_MAX), max_size=5))
def test_valid_configs_round_trip_and_stay_finite(config: dict[str, Any], extra: list[int]) -> None:
    schedule = lrcore.from_config(config)
    again = lrcore.from_config(json.loads(json.dumps(schedule.to_config(), allow_nan=False)))
    assert again == schedule
    assert hash(again) == hash(schedule)
    assert again.to_config() == schedule.to_config()
    assert repr(again) == repr(schedule)
    ts = check_steps(schedule, extra)
    assert_sane(schedule, ts)
    assert np.array_equal(again.values(ts), schedule.values(ts))


# -- mutations ------------------------------------------------------------------------------

WRONG = [
    "0.1",
    "",
    True,
    False,
    None,
    [],
    [1],
    {},
    {"type": "constant"},
    math.nan,
    math.inf,
    -math.inf,
    -1,
    -0.5,
    -1e-300,
    0,
    0.0,
    -0.0,
    1e-320,
    2.5,
    10**30,
    2**63,
    2**53 + 1,
    1e39,
    3.4e38,
    1e300,
]


def _mappings(config: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every mapping in a config, with its path (as ConfigError spells it)."""
    found = []
    if isinstance(config, dict):
        found.append((path, config))
        for key, value in config.items():
            found += _mappings(value, f"{path}.{key}" if path else key)
    elif isinstance(config, list):
        for i, value in enumerate(config):
            found += _mappings(value, f"{path}[{i}]")
    return found


@st.composite
def mutated(d: st.DrawFn) -> tuple[dict[str, Any], str]:
    config = json.loads(json.dumps(d(configs)))  # a private deep copy
    path, target = d(st.sampled_from(_mappings(config)))
    keys = sorted(target)
    action = d(st.sampled_from(["drop", "add", "replace", "replace", "replace", "shuffle"]))
    if action == "drop":
        del target[d(st.sampled_from(keys))]
    elif action == "add":
        target[d(st.sampled_from(["stpes", "extra", "Start", "value_", "schedule"]))] = d(
            st.sampled_from(WRONG)
        )
    elif action == "replace":
        target[d(st.sampled_from(keys))] = d(st.sampled_from(WRONG))
    else:
        lists = [k for k in keys if isinstance(target[k], list) and len(target[k]) > 1]
        if lists:
            key = d(st.sampled_from(lists))
            target[key] = d(st.permutations(target[key]))
    return config, path


@SETTINGS
@given(case=mutated())
def test_mutated_configs_fail_cleanly_or_stay_valid(case: tuple[dict[str, Any], str]) -> None:
    config, path = case
    try:
        schedule = lrcore.from_config(config)
    except lrcore.ConfigError as error:
        assert error.path, f"no path in {error}"
        assert error.path.startswith(path), f"{error.path!r} is outside the mutated {path!r}: {error}"
        assert str(error).startswith(error.path + ":")
        return
    assert_sane(schedule, check_steps(schedule, []))
    assert lrcore.from_config(schedule.to_config()) == schedule
