"""The adapters' shared host-value cache (``lrcore._hostcache.HostCache``)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import lrcore
from lrcore._hostcache import CHUNK, HostCache

INT64_MAX = (1 << 63) - 1


class Recorder:
    """A fill function that remembers the steps it was asked for (picklable)."""

    def __init__(self, schedule: lrcore.Schedule) -> None:
        self.schedule = schedule
        self.calls: list[tuple[int, int]] = []

    def __call__(self, steps: np.ndarray) -> list[float]:
        self.calls.append((int(steps[0]), len(steps)))
        return self.schedule.values(steps).tolist()


def test_values_are_the_schedule_bit_for_bit_one_fill_per_chunk() -> None:
    schedule = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=3000), steps=100)
    fill = Recorder(schedule)
    cache = HostCache(fill)
    got = [cache[t] for t in range(2 * CHUNK + 5)]
    assert got == [schedule(t) for t in range(2 * CHUNK + 5)]
    assert all(type(v) is float for v in got)
    assert fill.calls == [(0, CHUNK), (CHUNK, CHUNK), (2 * CHUNK, CHUNK)]


def test_a_jump_refills_from_the_step_asked_for() -> None:
    schedule = lrcore.step(start=1.0, gamma=0.5, step_size=7)
    fill = Recorder(schedule)
    cache = HostCache(fill, size=10)
    assert cache[50] == schedule(50)
    assert cache[3] == schedule(3)  # back before the chunk: refilled from 3, not served stale
    assert cache[12] == schedule(12)  # inside [3, 13)
    assert fill.calls == [(50, 10), (3, 10)]
    assert len(cache) == 10 and min(cache) == 3


def test_clear_forgets_the_values() -> None:
    values = [1.0]
    cache = HostCache(lambda steps: [values[0]] * len(steps), size=4)
    assert cache[0] == 1.0
    values[0] = 2.0
    assert cache[1] == 1.0  # memoized
    cache.clear()
    assert cache[1] == 2.0


@pytest.mark.parametrize("t", [-1, -(1 << 70), INT64_MAX + 1])
def test_a_step_out_of_range_is_a_config_error_naming_the_field(t) -> None:
    cache = HostCache(lambda steps: steps.tolist(), name="last_epoch")
    with pytest.raises(
        lrcore.ConfigError, match=rf"^last_epoch: expected a step in \[0, {INT64_MAX}\], got {t}"
    ):
        cache[t]


@pytest.mark.parametrize("t", [1.5, "3", True, None])
def test_a_step_that_is_not_an_integer_is_a_config_error(t) -> None:
    cache = HostCache(lambda steps: steps.tolist(), name="step")
    with pytest.raises(lrcore.ConfigError, match=r"^step: expected an integer step"):
        cache[t]


def test_the_last_chunk_stops_at_int64s_end() -> None:
    fill = Recorder(lrcore.constant(value=0.5))
    cache = HostCache(fill)
    assert cache[INT64_MAX - 2] == 0.5
    assert fill.calls == [(INT64_MAX - 2, 3)]
    assert cache[INT64_MAX] == 0.5 and len(fill.calls) == 1


def test_numpy_integer_steps_hit_the_same_entries() -> None:
    fill = Recorder(lrcore.linear(start=1.0, end=0.0, steps=10))
    cache = HostCache(fill, size=8)
    assert cache[np.int64(2)] == cache[2] == 0.8
    assert len(fill.calls) == 1


def test_bad_size_and_short_fill_are_errors() -> None:
    with pytest.raises(lrcore.ConfigError, match=r"^size: expected an integer >= 1, got 0"):
        HostCache(lambda steps: steps.tolist(), size=0)
    with pytest.raises(ValueError, match="returned 1 values for 4 steps"):
        HostCache(lambda steps: [0.0], size=4)[0]


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda c: pickle.loads(pickle.dumps(c))])
def test_copies_start_empty_and_still_work(clone) -> None:
    schedule = lrcore.cosine(start=1.0, end=0.0, steps=100)
    cache = HostCache(Recorder(schedule), size=16, name="step")
    cache[5]
    twin = clone(cache)
    assert isinstance(twin, HostCache) and len(twin) == 0
    assert (twin.size, twin.name) == (16, "step")
    assert twin[40] == schedule(40)


def test_a_step_refused_ahead_does_not_fail_an_earlier_one() -> None:
    """after_horizon(policy="raise"): the look-ahead crosses the horizon long before t does."""
    s = lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=4), policy="raise")
    cache = HostCache(lambda steps: s.values(steps).tolist())
    assert [cache[t] for t in range(5)] == [s(t) for t in range(5)]
    with pytest.raises(lrcore.ConfigError, match="horizon"):
        cache[5]
