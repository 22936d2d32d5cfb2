"""Property tests over random configs of every registered type.

(a) Random valid (nested) configs, drawn from each type's strategy in the case table,
    round-trip through ``to_config`` and JSON, and their values at the interesting steps
    (0, breakpoints +-1, horizon +-1, huge steps) are finite and >= 0 in float64 and
    float32.
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
from tests.catalog_cases import FUZZ_DOMAIN
from tests.catalog_cases import configs as table_configs

# Deterministic and quick by default; LRCORE_FUZZ_EXAMPLES=5000 runs a longer random hunt.
HUNT = int(os.environ.get("LRCORE_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=HUNT or 200,
    deadline=None,
    derandomize=not HUNT,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
INT64_MAX = (1 << 63) - 1

# Every type's strategy comes from the case table (tests/catalog_cases.py), drawn over
# the fuzzer's ranges: zero, tiny and huge values, steps up to 2**40.
configs = table_configs(FUZZ_DOMAIN, max_leaves=5)


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
