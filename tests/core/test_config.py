"""Configs: exact round trips, the three file formats, and errors that name the field."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import lrcore
from tests.catalog_cases import CASES, CONFIG_DOMAIN, configs


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_through_json(name: str) -> None:
    schedule = CASES[name]
    config = json.loads(json.dumps(schedule.to_config()))
    again = lrcore.from_config(config)
    assert again == schedule
    assert again.to_config() == schedule.to_config()


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml", ".toml"])
@pytest.mark.parametrize(
    "name", ["join", "warmup_join_nested", "scale_by_schedule", "piecewise_linear", "table"]
)
def test_dump_and_load_every_format(tmp_path: Path, name: str, suffix: str) -> None:
    schedule = CASES[name]
    path = tmp_path / f"config{suffix}"
    lrcore.dump(schedule, path)
    assert lrcore.load(path) == schedule


def test_loads_text() -> None:
    yaml_text = "type: cosine\nstart: 0.1\nend: 0.0\nsteps: 100\n"
    toml_text = 'type = "cosine"\nstart = 0.1\nend = 0.0\nsteps = 100\n'
    expected = lrcore.cosine(start=0.1, end=0.0, steps=100)
    assert lrcore.loads(yaml_text, "yaml") == expected == lrcore.loads(toml_text, "toml")


# -- random valid nested configs ---------------------------------------------------------

# Every type's strategy comes from the case table, combinators nesting any type.
schedules = configs(CONFIG_DOMAIN, max_leaves=6).map(lrcore.from_config)


@settings(max_examples=150, deadline=None)
@given(schedules)
def test_random_nested_configs_round_trip(schedule: lrcore.Schedule) -> None:
    config = schedule.to_config()
    text = json.dumps(config)
    assert lrcore.from_config(json.loads(text)) == schedule
    values = schedule.values([0, 1, 17, 999, 10**6])
    assert all(math.isfinite(v) and v >= 0 for v in values)


# -- errors name the field -----------------------------------------------------------------

BAD: list[tuple[dict[str, Any], str]] = [
    ({"type": "cosine", "start": 0.1, "end": 0.0, "steps": 0}, "steps"),
    ({"type": "cosine", "start": 0.1, "end": 0.0, "steps": -5}, "steps"),
    ({"type": "cosine", "start": -0.1, "end": 0.0, "steps": 10}, "start"),
    ({"type": "cosine", "start": float("nan"), "end": 0.0, "steps": 10}, "start"),
    ({"type": "cosine", "start": float("inf"), "end": 0.0, "steps": 10}, "start"),
    ({"type": "cosine", "start": "0.1", "end": 0.0, "steps": 10}, "start"),
    ({"type": "cosine", "start": 0.1, "end": 0.0, "steps": 10.5}, "steps"),
    ({"type": "cosine", "start": 0.1, "end": 0.0, "steps": True}, "steps"),
    ({"type": "cosine", "start": 0.1, "end": 0.0}, "steps"),
    ({"type": "cosine", "start": 0.1, "end": 0.0, "steps": 10, "stpes": 3}, "stpes"),
    ({"type": "cosin", "start": 0.1, "end": 0.0, "steps": 10}, "type"),
    ({"start": 0.1}, "type"),
    ({"type": "multistep", "start": 0.1, "milestones": [30, 10], "gamma": 0.1}, "milestones[1]"),
    ({"type": "multistep", "start": 0.1, "milestones": [10, 10], "gamma": 0.1}, "milestones[1]"),
    ({"type": "piecewise_constant", "boundaries": [10, 20], "values": [0.1, 0.01]}, "values"),
    ({"type": "piecewise_linear", "boundaries": [0, 10], "values": [0.1]}, "values"),
    ({"type": "warmup_stable_decay", "peak": 0.1, "warmup": 80, "decay": 30, "total": 100}, "warmup"),
    ({"type": "one_cycle", "peak": 0.1, "total": 2, "warmup_fraction": 0.3}, "warmup_fraction"),
    ({"type": "exponential", "start": 0.1, "rate": 1.5}, "bound"),
    ({"type": "cyclic", "low": 0.1, "high": 0.01, "up": 10}, "high"),
    ({"type": "cyclic", "low": 0.0, "high": 0.1, "up": 10, "mode": "triangle"}, "mode"),
    ({"type": "join", "schedules": [{"type": "constant", "value": 0.1}], "boundaries": [10]}, "boundaries"),
    (
        {
            "type": "join",
            "schedules": [
                {"type": "constant", "value": 0.1},
                {"type": "linear", "start": 0.1, "end": 0.0, "steps": -1},
            ],
            "boundaries": [10],
        },
        "schedules[1].steps",
    ),
    (
        {"type": "warmup", "schedule": {"type": "cosine", "start": 0.1, "end": 0.0, "stepz": 10}, "steps": 5},
        "schedule.stepz",
    ),
    ({"type": "scale", "schedule": {"type": "constant", "value": 0.1}, "factor": -2.0}, "factor"),
    ({"type": "clip", "schedule": {"type": "constant", "value": 0.1}, "min": 0.5, "max": 0.1}, "max"),
    ({"type": "table", "values": []}, "values"),
    ({"type": "table", "values": [0.1, float("nan")]}, "values[1]"),
]


@pytest.mark.parametrize(("config", "path"), BAD, ids=[p for _, p in BAD])
def test_bad_configs_raise_config_error_naming_the_field(config: dict[str, Any], path: str) -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.from_config(config)
    assert info.value.path == path
    assert path in str(info.value)


def test_did_you_mean_on_unknown_keys_and_types() -> None:
    with pytest.raises(lrcore.ConfigError, match="did you mean 'steps'"):
        lrcore.from_config({"type": "cosine", "start": 0.1, "end": 0.0, "stpes": 3})
    with pytest.raises(lrcore.ConfigError, match="did you mean 'cosine'"):
        lrcore.from_config({"type": "cosin"})


def test_python_constructors_validate_too() -> None:
    with pytest.raises(lrcore.ConfigError, match=r"^steps: expected an integer >= 1"):
        lrcore.cosine(start=0.1, end=0.0, steps=0)
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.warmup(lrcore.constant(value=0.1), steps=-1)
    assert info.value.path == "steps"


def test_bad_steps_on_the_host_api() -> None:
    s = lrcore.constant(value=0.1)
    for bad in (-1, 1.5, "3", None):
        with pytest.raises(lrcore.ConfigError):
            s(bad)  # type: ignore[arg-type]
    with pytest.raises(lrcore.ConfigError):
        s.values([0, -1])
    with pytest.raises(lrcore.ConfigError):
        s.values([0.5])


def test_loading_is_safe_and_errors_are_config_errors(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f'!!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(lrcore.ConfigError):
        lrcore.load(evil)
    assert not marker.exists()
    broken = tmp_path / "broken.json"
    broken.write_text("{'type': ")
    with pytest.raises(lrcore.ConfigError):
        lrcore.load(broken)
    nan = tmp_path / "nan.json"
    nan.write_text('{"type": "constant", "value": NaN}')
    with pytest.raises(lrcore.ConfigError):
        lrcore.load(nan)
    with pytest.raises(lrcore.ConfigError):
        lrcore.load(tmp_path / "missing.json")
    with pytest.raises(lrcore.ConfigError):
        lrcore.load(tmp_path / "config.ini")
