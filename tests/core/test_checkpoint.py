"""Resuming with a changed plan (SPEC section 8): the checkpoint record and the warning."""

from __future__ import annotations

import json
import warnings

import pytest

import lrcore
from lrcore import ConfigError
from lrcore.checkpoint import FORMAT, PlanChangedWarning, differences, reconcile, record

PLAN = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=9000), steps=1000)


def test_the_record_is_plain_json_with_a_format_version() -> None:
    saved = record(PLAN)
    assert json.loads(json.dumps(saved)) == saved
    assert saved["lrcore_format"] == FORMAT and lrcore.from_config(saved["config"]) == PLAN


def test_the_same_plan_resumes_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reconcile(record(PLAN), PLAN) == PLAN


def test_a_changed_plan_warns_naming_each_change_and_keeps_the_checkpoints() -> None:
    longer = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=19000), steps=500)
    with pytest.warns(PlanChangedWarning) as caught:
        resumed = reconcile(record(PLAN), longer)
    message = str(caught[0].message)
    assert "schedule.steps: 9000 -> 19000" in message and "steps: 1000 -> 500" in message
    assert resumed == PLAN


@pytest.mark.parametrize(
    ("prefer", "expected"), [("checkpoint", PLAN), ("current", lrcore.constant(value=0.1))]
)
def test_an_explicit_choice_is_silent(prefer: str, expected: lrcore.Schedule) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reconcile(record(PLAN), lrcore.constant(value=0.1), prefer=prefer) == expected


def test_differences_name_types_defaults_and_list_items() -> None:
    a = lrcore.multistep(start=0.1, milestones=[10, 20], gamma=0.5).to_config()
    b = lrcore.multistep(start=0.1, milestones=[10, 30], gamma=0.5).to_config()
    assert differences(a, b) == ["milestones[1]: 20 -> 30"]
    assert differences(a, lrcore.constant(value=0.1).to_config()) == ["type: multistep -> constant"]
    c = lrcore.warmup(lrcore.constant(value=0.1), steps=5).to_config()
    d = lrcore.warmup(lrcore.constant(value=0.1), steps=5, start=0.01).to_config()
    assert differences(c, d) == ["start: (default) -> 0.01"]


@pytest.mark.parametrize(
    ("saved", "path"),
    [
        ({"config": PLAN.to_config()}, "checkpoint.lrcore_format"),
        ({"lrcore_format": FORMAT + 1, "config": PLAN.to_config()}, "checkpoint.lrcore_format"),
        ({"lrcore_format": 1, "config": {"type": "cosine", "steps": 5}}, "checkpoint.config.start"),
        ([1, 2], "checkpoint"),
    ],
)
def test_a_bad_record_names_the_field(saved: object, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        reconcile(saved, PLAN)
    assert info.value.path == path
    with pytest.raises(ConfigError, match="prefer"):
        reconcile(record(PLAN), PLAN, prefer="newest")
