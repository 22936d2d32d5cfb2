"""Invalid configs raise ``lrcore.ConfigError`` naming the offending field, and nothing else.

Every schedule type's own invalid configs are generated at test time from the case table
(``tests/catalog_cases.py``), in every file format that can hold them, so a new type is
covered without regenerating anything. The checked-in corpus in ``bad_configs/`` is a
regression corpus (``expected.json`` gives each file's field path; see
``make_bad_configs.py``). The Python-built cases below cover what files cannot express:
NumPy and other Python types, shared and self-referencing structures, very long tables,
constructor calls.

A guard turns a hang into a failure: loading must not recurse forever or expand YAML
aliases exponentially.
"""

from __future__ import annotations

import decimal
import fractions
import json
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lrcore
from tests.catalog_cases import BASE, TABLE
from tests.reliability.make_bad_configs import FORMATS, MARKER, WRITERS, Raw, type_cases

CORPUS = Path(__file__).parent / "bad_configs"
EXPECTED: dict[str, dict[str, str]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
GUARD_SECONDS = 20  # far above any real load; only a hang reaches it


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Fail (rather than stall the suite) if one case runs away."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"a bad config took over {GUARD_SECONDS} s: lrcore hangs on it")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_error(
    error: lrcore.ConfigError, path: str | None, prefix: str | None = None, contains: str = ""
) -> None:
    message = str(error)
    assert message, "empty error message"
    if prefix is not None:
        assert error.path.startswith(prefix), f"path {error.path!r} does not start with {prefix!r}: {message}"
    else:
        assert error.path == path, f"path {error.path!r} != {path!r}: {message}"
    if error.path:
        assert message.startswith(error.path + ":"), message  # the message names the field first
    assert "expected" in message, message
    assert contains in message, f"{contains!r} not in {message!r}"


# -- every type's invalid configs, from the case table ---------------------------------

TYPE_CASES = {case[0]: case for kind in TABLE for case in type_cases(kind)}


@pytest.mark.parametrize("slug", sorted(TYPE_CASES))
def test_bad_config_of_a_type(tmp_path: Path, slug: str) -> None:
    """In memory and written in every format that can hold it: the same field is named."""
    _, config, path, contains, formats = TYPE_CASES[slug]
    if not isinstance(config, Raw):
        with pytest.raises(lrcore.ConfigError) as info:
            lrcore.from_config(config)
        check_error(info.value, path, contains=contains)
    written = 0
    for suffix in formats or FORMATS:
        if isinstance(config, Raw):
            data = config.text.encode("utf-8") if isinstance(config.text, str) else config.text
        else:
            text = WRITERS[suffix](config)
            if text is None:  # a format that cannot hold the value (NaN in JSON, null in TOML)
                continue
            data = text.encode("utf-8")
        file = tmp_path / f"config{suffix}"
        file.write_bytes(data)
        with pytest.raises(lrcore.ConfigError) as info:
            lrcore.load(file)
        check_error(info.value, path, contains=contains)
        written += 1
    assert written, f"no format holds {slug}"


# -- the regression corpus ---------------------------------------------------------------


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED), "bad_configs/ and expected.json disagree; rerun make_bad_configs.py"
    assert len(files) >= 200
    assert {Path(name).suffix for name in files} == {".json", ".yaml", ".yml", ".toml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_config_file(name: str) -> None:
    entry = EXPECTED[name]
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.load(CORPUS / name)
    check_error(info.value, entry.get("path"), entry.get("path_prefix"), entry.get("contains", ""))


def test_yaml_tags_never_run_code() -> None:
    if os.path.exists(MARKER):
        os.remove(MARKER)
    tagged = sorted(name for name in EXPECTED if "-yaml-tag-" in name)
    assert len(tagged) >= 10
    for name in tagged:
        with pytest.raises(lrcore.ConfigError):
            lrcore.load(CORPUS / name)
        text = (CORPUS / name).read_text(encoding="utf-8")
        with pytest.raises(lrcore.ConfigError):
            lrcore.loads(text, "yaml")
    assert not os.path.exists(MARKER), "a YAML tag executed code"


def test_same_errors_from_text() -> None:
    """``loads`` reports what ``load`` reports (same parser, same field paths)."""
    formats = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
    for name, entry in EXPECTED.items():
        path = CORPUS / name
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        with pytest.raises(lrcore.ConfigError) as info:
            lrcore.loads(text, formats[path.suffix])
        check_error(info.value, entry.get("path"), entry.get("path_prefix"), entry.get("contains", ""))


# -- cases built in Python -----------------------------------------------------------------


def _self_referencing() -> dict[str, Any]:
    config: dict[str, Any] = {"type": "warmup", "steps": 1}
    config["schedule"] = config
    return config


def _shared_explosion() -> dict[str, Any]:
    node: dict[str, Any] = {"type": "constant", "value": 0.1}
    for _ in range(12):  # 20**12 leaves once sharing is unfolded
        node = {"type": "join", "schedules": [node] * 20, "boundaries": list(range(1, 20))}
    return node


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "constant", "value": 0.1}
    for _ in range(depth):
        node = {"type": "scale", "schedule": node, "factor": 1.0}
    return node


LONG = [0.1] * 300_000
LINEAR = BASE["linear"]

PYTHON_CASES: dict[str, tuple[Any, str]] = {
    # config -> expected path (a trailing "." means a prefix)
    "numpy-nan": ({**LINEAR, "start": np.float64("nan")}, "start"),
    "numpy-float32-inf": ({**LINEAR, "end": np.float32("inf")}, "end"),
    "numpy-negative": ({**LINEAR, "end": np.float32(-1.0)}, "end"),
    "numpy-int-zero": ({**LINEAR, "steps": np.int64(0)}, "steps"),
    "numpy-array-scalar-field": ({**LINEAR, "steps": np.array([10, 20])}, "steps"),
    "numpy-2d-values": ({"type": "table", "values": np.ones((3, 2))}, "values[0]"),
    "numpy-bool": ({**LINEAR, "steps": np.bool_(True)}, "steps"),
    "python-set": ({"type": "table", "values": {0.1, 0.2}}, "values"),
    "frozenset-milestones": (
        {"type": "multistep", "start": 0.1, "gamma": 0.1, "milestones": frozenset({1, 2})},
        "milestones",
    ),
    "decimal": ({**LINEAR, "start": decimal.Decimal("0.1")}, "start"),
    "fraction": ({**LINEAR, "start": fractions.Fraction(1, 10)}, "start"),
    "complex": ({**LINEAR, "start": 0.1 + 0j}, "start"),
    "bytes": ({**LINEAR, "start": b"0.1"}, "start"),
    "int-beyond-float": ({**LINEAR, "start": 10**400}, "start"),
    "float-steps": ({**LINEAR, "steps": 10.5}, "steps"),
    "huge-float-steps": ({**LINEAR, "steps": 1e30}, "steps"),
    "tuple-key": ({**LINEAR, (1, 2): 3}, "(1, 2)"),
    "int-key": ({**LINEAR, 7: 3}, "7"),
    "none-key": ({**LINEAR, None: 3}, "None"),
    "type-object": ({**LINEAR, "type": lrcore.Linear}, "type"),
    "schedule-class-as-inner": ({"type": "warmup", "steps": 3, "schedule": lrcore.Cosine}, "schedule"),
    "long-table-nan-at-end": ({"type": "table", "values": [*LONG, float("nan")]}, f"values[{len(LONG)}]"),
    "long-table-negative": (
        {"type": "table", "values": [*LONG[:150_000], -1e-9, *LONG[:150_000]]},
        "values[150000]",
    ),
    "long-boundaries-unsorted": (
        {"type": "piecewise_constant", "boundaries": [*range(1, 200_001), 5], "values": [0.1] * 200_002},
        "boundaries[200000]",
    ),
    "self-referencing": (_self_referencing(), "schedule.schedule.schedule."),
    "shared-explosion": (_shared_explosion(), ""),
    "too-deep": (_deep(500), "schedule.schedule.schedule."),
    "iterator-as-value": ({**LINEAR, "steps": iter([10])}, "steps"),
    "generator-values-negative": ({"type": "table", "values": (x - 1.0 for x in range(3))}, "values[0]"),
}


@pytest.mark.parametrize("name", sorted(PYTHON_CASES))
def test_bad_python_config(name: str) -> None:
    config, path = PYTHON_CASES[name]
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.from_config(config)
    if path.endswith("."):
        check_error(info.value, None, prefix=path)
    else:
        check_error(info.value, path)


def test_top_level_not_a_mapping() -> None:
    for value in (None, 0.1, "cosine", [LINEAR], (LINEAR,), lrcore.cosine):
        with pytest.raises(lrcore.ConfigError) as info:
            lrcore.from_config(value)  # type: ignore[arg-type]
        assert info.value.path in ("", "type"), info.value


CONSTRUCTOR_CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "string-steps": (lambda: lrcore.linear(start=0.1, end=0.0, steps="10"), "steps"),
    "bool-steps": (lambda: lrcore.linear(start=0.1, end=0.0, steps=True), "steps"),
    "negative-start": (lambda: lrcore.linear(start=-0.1, end=0.0, steps=10), "start"),
    "steps-2-pow-64": (lambda: lrcore.cosine(start=0.1, end=0.0, steps=2**64), "steps"),
    "inner-config-bad": (lambda: lrcore.warmup({"type": "cosine", "start": 0.1}, steps=10), "schedule.end"),
    "inner-config-number": (lambda: lrcore.warmup(0.1, steps=10), "schedule"),
    "join-inner-bad": (
        lambda: lrcore.join([lrcore.constant(value=0.1), {"type": "constant", "value": -1}], boundaries=[5]),
        "schedules[1].value",
    ),
    "scale-factor-inf": (lambda: lrcore.scale(lrcore.constant(value=0.1), factor=math.inf), "factor"),
    "table-numpy-nan": (lambda: lrcore.table(values=np.array([0.1, np.nan])), "values[1]"),
    "milestones-numpy-unsorted": (
        lambda: lrcore.multistep(start=0.1, gamma=0.5, milestones=np.array([5, 3])),
        "milestones[1]",
    ),
    "exponential-growing-unbounded": (lambda: lrcore.exponential(start=0.1, rate=1.01), "bound"),
    "one-cycle-div-factor-tiny": (
        lambda: lrcore.one_cycle(peak=1.0, total=100, div_factor=1e-320),
        "div_factor",
    ),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_CASES))
def test_bad_constructor_call(name: str) -> None:
    build, path = CONSTRUCTOR_CASES[name]
    with pytest.raises(lrcore.ConfigError) as info:
        build()
    check_error(info.value, path)


def test_integer_beyond_digit_limit() -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.linear(start=0.1, end=0.0, steps=10**5000)
    check_error(info.value, "steps")
