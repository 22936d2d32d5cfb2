"""Schedules are immutable values, safe to share between threads.

Data loaders, metric threads and serving code may evaluate one schedule from several
threads; lazily built lookup tables and caches must not make results depend on timing.
"""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest

import lrcore
from lrcore import _namespace as _xp
from tests.catalog_cases import CASES

THREADS = 8
STEPS = np.concatenate([np.arange(0, 2_000, 7), [2**24, 2**31 - 1, 2**40]]).astype(np.int64)
CALL_STEPS = [0, 1, 999, 1_500, 2**31 - 1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedules_are_immutable(name: str) -> None:
    schedule = CASES[name]
    before = schedule.to_config()
    attr = schedule._fields[0].attr
    with pytest.raises(AttributeError):
        setattr(schedule, attr, 0.5)
    with pytest.raises(AttributeError):
        schedule.brand_new = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        delattr(schedule, attr)
    assert schedule.to_config() == before
    assert hash(schedule) == hash(lrcore.from_config(before))


def test_nested_lists_are_frozen() -> None:
    """List parameters are stored as tuples, so a caller's list cannot change a schedule."""
    milestones = [10, 20]
    schedule = lrcore.multistep(start=0.1, milestones=milestones, gamma=0.5)
    milestones.append(5)
    assert schedule.milestones == (10, 20)
    assert isinstance(CASES["join"].schedules, tuple)


def _results(
    schedules: dict[str, lrcore.Schedule], order: list[str]
) -> dict[str, tuple[bytes, bytes, list[str]]]:
    out = {}
    for name in order:
        s = schedules[name]
        out[name] = (
            s.values(STEPS).tobytes(),
            s.values(STEPS, bits=32).tobytes(),
            [s(t).hex() for t in CALL_STEPS],
        )
    return out


def _clear_table_caches() -> None:
    """Make the threads race to build the float32 lookup tables, not find them ready."""
    for value in vars(_xp).values():
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and value is not _xp.numpy_namespace:
            clear()


def test_concurrent_evaluation_matches_sequential() -> None:
    names = sorted(CASES)
    expected = _results(CASES, names)
    # Fresh copies: lazily computed state (warmup targets, tables) is built under contention.
    shared = {name: lrcore.from_config(CASES[name].to_config()) for name in names}
    _clear_table_caches()
    barrier = threading.Barrier(THREADS)
    results: list[dict[str, tuple[bytes, bytes, list[str]]]] = [{} for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        order = names[:]
        random.Random(index).shuffle(order)
        try:
            barrier.wait()
            results[index] = _results(shared, order)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for index, got in enumerate(results):
        for name in names:
            assert got[name] == expected[name], f"thread {index} saw different values for {name}"
    for name in names:
        assert shared[name] == CASES[name]
