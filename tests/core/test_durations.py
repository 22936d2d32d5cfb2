"""Durations (SPEC section 8): epochs and fractions of the run, bound to integer steps.

Every duration-bearing parameter of every case in the shared table is found through the
parameter kinds, rewritten as an epoch count and as a fraction of the run, bound back, and
compared with the integer original; then the tiny-run matrix and the after-horizon policies.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import lrcore
from lrcore import ConfigError
from lrcore._params import Binding, ListOf, Nested, NestedOrRate, Steps, resolve_duration
from lrcore._schedule import TYPES
from tests.catalog_cases import CASES


def duration_paths(
    config: dict[str, Any], prefix: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], int]]:
    """(path into the config, integer) for every duration parameter, found by its kind."""
    cls = TYPES[config["type"]]
    for p in cls._fields:
        if p.key not in config:
            continue
        value, kind, here = config[p.key], p.kind, (*prefix, p.key)
        if isinstance(kind, Steps) and kind.duration and isinstance(value, int):
            yield here, value
        elif isinstance(kind, ListOf) and isinstance(kind.item, Steps):
            for i, v in enumerate(value):
                yield (*here, i), v
        elif isinstance(kind, (Nested, NestedOrRate)) and isinstance(value, dict):
            yield from duration_paths(value, here)
        elif isinstance(kind, ListOf) and isinstance(kind.item, Nested):
            for i, v in enumerate(value):
                yield from duration_paths(v, (*here, i))


def replaced(config: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(config, dict):
        return {**config, head: replaced(config[head], rest, new)}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(config)]


EVERY_DURATION = [
    pytest.param(name, path, value, id=f"{name}:{'.'.join(map(str, path))}")
    for name, schedule in CASES.items()
    for path, value in duration_paths(schedule.to_config())
]


def test_every_case_with_a_duration_is_covered() -> None:
    # The table has duration parameters in every type that declares one.
    covered = {name.split(":")[0] for name, _, _ in (p.values for p in EVERY_DURATION)}
    assert len(EVERY_DURATION) > 40, len(EVERY_DURATION)
    assert "one_cycle" in covered and "multistep" in covered and "join" in covered


@pytest.mark.parametrize(("name", "path", "value"), EVERY_DURATION)
def test_each_duration_binds_back_to_its_integer(name: str, path: tuple[Any, ...], value: int) -> None:
    original = CASES[name]
    config = original.to_config()
    as_epochs = lrcore.from_config(replaced(config, path, f"{value}ep"))
    assert as_epochs.unbound_durations()
    assert lrcore.from_config(as_epochs.to_config()) == as_epochs  # the string round-trips
    bound = as_epochs.bind(steps_per_epoch=1)
    assert bound == original and bound.to_config() == config
    # an exact decimal fraction of a run of 10**6 updates
    as_fraction = lrcore.from_config(replaced(config, path, f"0.{value:06d}dur"))
    assert as_fraction.bind(total_steps=10**6) == original
    with pytest.raises(ConfigError, match="total_steps") as info:
        as_fraction(0)
    assert info.value.path.split(".")[-1].split("[")[0] in {str(path[-1]), *map(str, path)}


def test_one_recipe_bound_for_two_dataset_sizes_equals_the_hand_written_configs() -> None:
    recipe = lrcore.warmup(
        lrcore.join(
            [lrcore.cosine(start=3e-4, end=3e-5, steps="80ep"), lrcore.constant(value=3e-5)],
            boundaries=["80ep"],
        ),
        steps="5%",
    )
    for steps_per_epoch, total in ((97, 97 * 90), (1563, 1563 * 90)):
        warm = math.floor(total * 0.05 + 0.5)
        hand = lrcore.warmup(
            lrcore.join(
                [
                    lrcore.cosine(start=3e-4, end=3e-5, steps=80 * steps_per_epoch),
                    lrcore.constant(value=3e-5),
                ],
                boundaries=[80 * steps_per_epoch],
            ),
            steps=warm,
        )
        bound = recipe.bind(total_steps=total, steps_per_epoch=steps_per_epoch)
        assert bound == hand
        ts = np.arange(total + 10)
        assert np.array_equal(bound.values(ts), hand.values(ts))


@pytest.mark.parametrize(
    ("text", "context", "steps"),
    [
        ("10ep", Binding(steps_per_epoch=97), 970),
        ("2.5ep", Binding(steps_per_epoch=3), 8),  # 7.5 rounds half up
        ("5%", Binding(total_steps=1010), 51),  # 50.5 rounds half up
        ("0.05dur", Binding(total_steps=1010), 51),
        ("0.1dur", Binding(total_steps=3), 0),
        ("33%", Binding(total_steps=3), 1),
        ("150%", Binding(total_steps=10), 15),
    ],
)
def test_the_rounding_rule_is_exact_nearest_halves_up(text: str, context: Binding, steps: int) -> None:
    assert resolve_duration(text, "steps", context) == steps


@pytest.mark.parametrize("bad", ["abc", "10", "-5%", "+1ep", "1e3ep", "5 %%", "ep", ""])
def test_a_bad_duration_names_the_field(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        lrcore.cosine(start=0.1, end=0.0, steps=bad)
    assert info.value.path == "steps" and bad in str(info.value)


def test_an_unbound_duration_names_the_missing_argument() -> None:
    s = lrcore.per_epoch(lrcore.step(start=0.1, gamma=0.5, step_size="2ep"), steps_per_epoch=10)
    with pytest.raises(ConfigError, match="steps_per_epoch") as info:
        s.values([0, 1])
    assert info.value.path == "schedule.step_size"
    with pytest.raises(ConfigError, match="steps_per_epoch"):
        s.bind(total_steps=100)
    with pytest.raises(ConfigError, match="total_steps"):
        lrcore.linear(start=0.1, end=0.0, steps="50%").bind(steps_per_epoch=3)
    with pytest.raises(ConfigError, match="total_steps"):
        lrcore.linear(start=0.1, end=0.0, steps=10).bind(total_steps=0)


def test_a_duration_that_binds_to_nothing_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="'1%'") as info:
        lrcore.warmup(lrcore.constant(value=0.1), steps="1%").bind(total_steps=10)
    assert info.value.path == "steps" and info.value.got == 0
    with pytest.raises(ConfigError, match="strictly increasing"):
        lrcore.multistep(start=0.1, milestones=["60ep", "30ep"], gamma=0.1).bind(steps_per_epoch=10)


# -- tiny runs ------------------------------------------------------------------------


def tiny(config: dict[str, Any], n: int) -> dict[str, Any]:
    """The config with every duration set to n (boundaries n, 2n, ...)."""
    out = config
    for path, _ in duration_paths(config):
        index = path[-1] if isinstance(path[-1], int) else 0
        out = replaced(out, path, n * (index + 1) if isinstance(path[-1], int) else n)
    return out


TINY = [pytest.param(name, n, id=f"{name}-{n}") for name in CASES for n in (1, 2, 3)]


@pytest.mark.parametrize(("name", "n"), TINY)
def test_tiny_runs_give_a_value_or_a_clear_error(name: str, n: int) -> None:
    try:
        schedule = lrcore.from_config(tiny(CASES[name].to_config(), n))
    except ConfigError as error:
        assert error.path and "expected" in str(error)
        return
    ts = np.arange(4 * n + 8)
    for bits in (64, 32):
        values = schedule.values(ts, bits=bits)
        assert np.all(np.isfinite(values)) and np.all(values >= 0), (name, n, bits, values)
    assert [schedule(int(t)) for t in ts] == list(schedule.values(ts))


@pytest.mark.parametrize("total", [1, 2, 3, 10])
def test_warmup_as_long_as_the_whole_run(total: int) -> None:
    s = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=1), steps="100%").bind(total_steps=total)
    values = s.values(np.arange(total + 3))
    assert np.all(np.isfinite(values)) and values[0] == 0.0 and values[total] == 0.1
    wsd = lrcore.warmup_stable_decay(peak=0.1, warmup="100%", decay=0, total="100%").bind(total_steps=total)
    assert np.all(np.isfinite(wsd.values(np.arange(total + 3))))


# -- after the horizon ---------------------------------------------------------------


def test_repeat_runs_the_curve_again() -> None:
    inner = lrcore.linear(start=1.0, end=0.0, steps=4)
    s = lrcore.after_horizon(inner, policy="repeat")
    assert [s(t) for t in range(10)] == [inner(t % 4) for t in range(10)]
    assert lrcore.from_config(s.to_config()) == s


def test_continue_follows_the_cosine_formula_past_its_steps() -> None:
    s = lrcore.after_horizon(lrcore.cosine(start=0.1, end=0.001, steps=7), policy="continue")
    ts = np.arange(50)
    formula = 0.001 + (0.1 - 0.001) * 0.5 * (1 + np.cos(np.pi * ts / 7))
    np.testing.assert_allclose(s.values(ts), formula, rtol=1e-14, atol=1e-17)
    with pytest.raises(ConfigError, match="periodic"):
        lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=4), policy="continue")


def test_raise_refuses_a_step_past_the_horizon_on_the_host() -> None:
    s = lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=4), policy="raise")
    assert s(4) == 0.0
    with pytest.raises(ConfigError, match="horizon") as info:
        s(5)
    assert info.value.got == 5
    with pytest.raises(ConfigError, match="horizon"):
        s.values(range(6))


def test_after_horizon_needs_a_horizon() -> None:
    with pytest.raises(ConfigError, match="never settles") as info:
        lrcore.after_horizon(lrcore.cyclic(low=0.1, high=1.0, up=3), policy="repeat")
    assert info.value.path == "horizon"
    s = lrcore.after_horizon(lrcore.cyclic(low=0.1, high=1.0, up=3), policy="hold", horizon=5)
    assert s(100) == s(5)


# -- changing the plan ---------------------------------------------------------------


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_a_wsd_run_branches_into_its_cooldown_where_it_resumes(shape: str) -> None:
    s = lrcore.warmup_stable_decay(peak=0.1, warmup=100, decay=300, total=10_000, end=1e-4, decay_shape=shape)
    c = s.cooldown_from(4_000, decay=500)
    assert c.total == 4_500 and c.decay == 500 and c.warmup == 100 and c.decay_shape == shape
    before = np.arange(4_000)
    assert np.array_equal(c.values(before), s.values(before))  # the run so far is unchanged
    assert c(4_000) == 0.1 and c(4_500) == 1e-4 and c(9_999) == 1e-4
    assert c(4_250) < 0.1
    with pytest.raises(ConfigError, match="stable phase") as info:
        s.cooldown_from(9_800)
    assert info.value.path == "step"
