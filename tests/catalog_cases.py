"""The one case table: every schedule type's test rows, keyed by its config ``type``.

Every test that covers the catalog reads this table: the goldens (tests/core/test_catalog.py),
the config round trips and fuzzing (random valid configs from each type's strategy), the
bad-config tests (each type's invalid fields), the float32 precision checks and the bench
(long horizons), the adapters and the conformance suite (``CASES``). A new schedule type is
one class in ``lrcore/catalog.py`` plus one ``Rows`` entry here; tests/core/test_case_table.py
fails, naming the type, until the entry exists.

A ``Rows`` entry holds:

- ``cases``: named instances. Horizons sit around 1,500 steps so that a 2,000-update run
  sees every regime, including the hold past the horizon. Adapter and conformance tests
  parametrize over their names (``CASES``).
- ``goldens``: a schedule and its value at chosen steps, written here from SPEC section 4's
  formula with ``math``, never with lrcore; ``exact`` values must match bit for bit,
  ``near`` ones to 1e-12 relative.
- ``long``: horizons up to 10**7 steps, for the float32 bound and the bench.
- ``config``: a random valid config, drawn within a ``Domain`` (a consumer's ranges);
  a combinator's also takes the strategy of its inner configs.
- ``base``, ``fields``, ``bad``: a small valid config, the class of each of its fields (each
  class has a list of values it must refuse), and further invalid rows (cross-field rules)
  as ``Bad(slug, path, changes)``.

The field classes and every value here are written by hand, not read from lrcore's
parameter declarations, so a change in validation fails a test instead of moving with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import lrcore

try:
    from hypothesis import strategies as st
except ImportError:  # the bench reads the cases and long horizons where hypothesis is not installed
    st = None  # type: ignore[assignment]

Config = dict[str, Any]
N = 10**7  # the long horizon of SPEC section 7
NAN, INF = float("nan"), float("inf")


# -- the row types ------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """The ranges a consumer draws valid configs from (short runs for conformance, extremes
    for fuzzing)."""

    rates: st.SearchStrategy[float]
    steps: st.SearchStrategy[int]  # a positive step count
    counts: st.SearchStrategy[int]  # 0 or a step count
    fractions: st.SearchStrategy[float]  # in (0, 1]
    boundary_max: int  # the largest boundary or milestone
    rising: bool = True  # whether an annealing curve may rise (start < end)


@dataclass(frozen=True)
class Golden:
    schedule: lrcore.Schedule
    exact: dict[int, float] = field(default_factory=dict)
    near: dict[int, float] = field(default_factory=dict)
    source: str = ""  # where the numbers come from, when not the SPEC table


@dataclass(frozen=True)
class Bad:
    """An invalid config: ``base`` with ``changes`` (``DROP`` removes a key) must raise a
    ``ConfigError`` at ``path`` whose message contains ``contains``."""

    slug: str
    path: str
    changes: Config
    contains: str = ""


@dataclass(frozen=True)
class Rows:
    cases: dict[str, lrcore.Schedule]
    goldens: tuple[Golden, ...]
    long: dict[str, lrcore.Schedule]
    config: Callable[..., Config]  # (draw, domain) or, for a combinator, (draw, domain, inner)
    base: Config
    fields: dict[str, str]  # field -> class in REFUSED
    bad: tuple[Bad, ...] = ()
    combinator: bool = False


DROP: Any = type("_Drop", (), {"__repr__": lambda self: "DROP"})()


def with_(config: Config, **changes: Any) -> Config:
    out = dict(config)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def wrong_types(value: Any) -> list[tuple[str, Any]]:
    """Values of the wrong type for any numeric field whose valid value is ``value``."""
    return [
        ("string", str(value)),
        ("bool", True),
        ("list", [value]),
        ("mapping", {"value": value}),
        ("null", None),
        ("nan", NAN),
        ("inf", INF),
    ]


# Per field class, what it must refuse beyond the wrong types.
REFUSED: dict[str, list[tuple[str, Any]]] = {
    "rate": [("negative", -0.1), ("beyond-float32", 1e39)],  # a learning rate, >= 0
    "rate_or_schedule": [("negative", -0.1), ("beyond-float32", 1e39)],
    "steps": [("negative", -5), ("fraction", 2.5), ("absurd", 10**30), ("zero", 0)],  # >= 1
    "count": [("negative", -5), ("fraction", 2.5), ("absurd", 10**30)],  # >= 0
    "positive": [("zero", 0.0), ("negative", -0.5)],  # a number > 0
    "non_negative": [("negative", -0.5)],
    "momentum": [("negative", -0.1), ("one", 1.0), ("above-one", 1.5)],  # 0 <= momentum < 1
}
# An optional field whose default is None takes null; otherwise it refuses what its class does.
REFUSED |= {f"{cls}_or_none": values for cls, values in REFUSED.items()}


def bad_configs(kind: str) -> list[tuple[str, Any, str, str]]:
    """``(slug, config, expected path, message text)`` for every invalid config of ``kind``."""
    rows = TABLE[kind]
    out = []
    for name, cls in rows.fields.items():
        value = rows.base.get(name, 1)
        wrong = [(v, x) for v, x in wrong_types(value) if not (x is None and cls.endswith("_or_none"))]
        for variant, bad in wrong + REFUSED[cls]:
            # A mapping there reads as a nested schedule config, which lacks its type.
            path = f"{name}.type" if cls == "rate_or_schedule" and variant == "mapping" else name
            out.append((f"{kind}-{name}-{variant}", with_(rows.base, **{name: bad}), path, ""))
    for row in rows.bad:
        out.append((f"{kind}-{row.slug}", with_(rows.base, **row.changes), row.path, row.contains))
    return out


# -- helpers for strategies ------------------------------------------------------------


def increasing(lo: int, hi: int, min_size: int, max_size: int = 5) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(lo, hi), min_size=min_size, max_size=max_size, unique=True).map(sorted)


def ends(d: st.DrawFn, dom: Domain) -> Config:
    """``start`` and ``end`` of an annealing curve (falling only, unless the domain allows rising)."""
    start, end = d(dom.rates), d(dom.rates)
    if not dom.rising:
        start, end = max(start, end), min(start, end)
    return {"start": start, "end": end}


def rates_list(d: st.DrawFn, dom: Domain, size: int) -> list[float]:
    return d(st.lists(dom.rates, min_size=size, max_size=size))


# -- reference formulas (SPEC section 4), written without lrcore ---------------------------


def cosine_at(t: int, start: float, end: float, steps: int, exponent: float = 1.0) -> float:
    return end + (start - end) * (0.5 * (1 + math.cos(math.pi * min(t, steps) / steps))) ** exponent


def tanh_at(t: int, start: float, end: float, steps: int, lower: float = -7.0, upper: float = 3.0) -> float:
    r = t / steps
    return end + 0.5 * (start - end) * (1 - math.tanh(lower * (1 - r) + upper * r))


def polynomial_cycle_at(t: int, start: float, end: float, steps: int, power: float) -> float:
    horizon = steps * (1 if t == 0 else math.ceil(t / steps))  # Keras PolynomialDecay(cycle=True)
    return (start - end) * (1 - t / horizon) ** power + end


# -- the table: catalog types ----------------------------------------------------------


def _exponential(d: st.DrawFn, dom: Domain) -> Config:
    start = d(dom.rates)
    config: Config = {
        "type": "exponential",
        "start": start,
        "steps": d(dom.steps),
        "staircase": d(st.booleans()),
        "begin": d(dom.counts),
    }
    if d(st.booleans()):  # growing, with a ceiling
        config |= {"rate": d(st.floats(1.0, 3.0)), "bound": start + d(dom.rates)}
    else:
        config["rate"] = d(st.floats(1e-3, 1.0))
        if d(st.booleans()):
            config["bound"] = start * d(dom.fractions)
    return config


def _inverse_sqrt(d: st.DrawFn, dom: Domain) -> Config:
    config: Config = {"type": "inverse_sqrt", "peak": d(dom.rates), "warmup": d(dom.counts)}
    if config["warmup"] == 0 or d(st.booleans()):
        config["timescale"] = d(dom.steps)
    return config


def momentum_fields(d: st.DrawFn) -> Config:
    """The momentum side of ``cyclic`` and ``one_cycle``: either the learning-rate curve,
    with or without ``cycle_momentum``, or the momentum curve itself; ``base <= max < 1``."""
    base = d(st.floats(0.0, 0.999))
    config: Config = {"base_momentum": base, "max_momentum": d(st.floats(base, 0.999))}
    curve = d(st.sampled_from(["lr", "momentum"]))
    if curve == "momentum":
        config["curve"] = curve
    else:
        config["cycle_momentum"] = d(st.booleans())
    return config if d(st.booleans()) else {}


def _cyclic(d: st.DrawFn, dom: Domain) -> Config:
    low = d(dom.rates)
    config: Config = {
        "type": "cyclic",
        "low": low,
        "high": low + d(dom.rates),
        "up": d(dom.steps),
        "mode": d(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        "gamma": d(st.floats(0.5, 1.0)),
    }
    if d(st.booleans()):
        config["down"] = d(dom.steps)
    return config | momentum_fields(d)


def _warmup_stable_decay(d: st.DrawFn, dom: Domain) -> Config:
    total = d(dom.steps)
    warmup = d(st.integers(0, total))
    peak, end = d(dom.rates), d(dom.rates)
    return {
        "type": "warmup_stable_decay",
        "peak": peak,
        "warmup": warmup,
        "decay": d(st.integers(0, total - warmup)),
        "total": total,
        "start": d(dom.rates),
        "end": end if dom.rising else min(end, peak),
        "decay_shape": d(st.sampled_from(["linear", "cosine", "1-sqrt"])),
    }


def _tanh(d: st.DrawFn, dom: Domain) -> Config:
    lower = d(st.floats(-40.0, 39.0))
    return {
        "type": "tanh",
        **ends(d, dom),
        "steps": d(dom.steps),
        "lower": lower,
        "upper": d(st.floats(lower + 0.5, 40.0)),
    }


def _piecewise_constant(d: st.DrawFn, dom: Domain) -> Config:
    boundaries = d(increasing(1, dom.boundary_max, 0))
    return {
        "type": "piecewise_constant",
        "boundaries": boundaries,
        "values": rates_list(d, dom, len(boundaries) + 1),
    }


def _piecewise_linear(d: st.DrawFn, dom: Domain) -> Config:
    boundaries = d(increasing(0, dom.boundary_max, 1))
    return {
        "type": "piecewise_linear",
        "boundaries": boundaries,
        "values": rates_list(d, dom, len(boundaries)),
    }


COSINE_100 = {"type": "cosine", "start": 0.1, "end": 0.001, "steps": 100}
BASE_LINEAR = {"type": "linear", "start": 0.1, "end": 0.001, "steps": 100}

TABLE: dict[str, Rows] = {
    "constant": Rows(
        cases={"constant": lrcore.constant(value=0.05)},
        goldens=(Golden(lrcore.constant(value=0.1), exact={0: 0.1, 10**12: 0.1}),),
        long={"constant": lrcore.constant(value=3e-4)},
        config=lambda d, dom: {"type": "constant", "value": d(dom.rates)},
        base={"type": "constant", "value": 0.1},
        fields={"value": "rate"},
    ),
    "linear": Rows(
        cases={"linear": lrcore.linear(start=0.1, end=0.001, steps=1500)},
        goldens=(
            Golden(
                lrcore.linear(start=0.1, end=0.001, steps=100),
                exact={0: 0.1, 100: 0.001, 10**9: 0.001},
                near={25: 0.1 + (0.001 - 0.1) * 0.25},
            ),
        ),
        long={
            "linear": lrcore.linear(start=3e-4, end=0.0, steps=N),
            "linear_up": lrcore.linear(start=0.0, end=3e-4, steps=N),
        },
        config=lambda d, dom: {
            "type": "linear",
            "start": d(dom.rates),
            "end": d(dom.rates),
            "steps": d(dom.steps),
        },
        base=BASE_LINEAR,
        fields={"start": "rate", "end": "rate", "steps": "steps"},
    ),
    "polynomial": Rows(
        cases={
            "polynomial": lrcore.polynomial(start=0.1, end=0.0001, steps=1500, power=2.5),
            "polynomial_cycle": lrcore.polynomial(start=0.1, end=0.001, steps=400, power=1.0, cycle=True),
        },
        goldens=(
            Golden(
                lrcore.polynomial(start=0.1, end=0.01, steps=100, power=2.0),
                near={
                    t: (0.1 - 0.01) * (1 - min(t, 100) / 100) ** 2 + 0.01 for t in (0, 1, 50, 99, 100, 150)
                },
                source="Keras PolynomialDecay",
            ),
            Golden(
                lrcore.polynomial(start=0.1, end=0.01, steps=100, power=0.5, cycle=True),
                near={t: polynomial_cycle_at(t, 0.1, 0.01, 100, 0.5) for t in (0, 1, 99, 100, 101, 250, 300)},
                source="Keras PolynomialDecay(cycle=True)",
            ),
        ),
        long={
            "polynomial": lrcore.polynomial(start=0.1, end=1e-6, steps=N, power=0.5),
            "polynomial_cycle": lrcore.polynomial(start=0.1, end=1e-5, steps=N // 7, power=2.0, cycle=True),
            # rising: end + (start - end) * w cancels near a small start in float32 (issue 20)
            "polynomial_rising": lrcore.polynomial(start=1e-6, end=0.1, steps=N, power=0.37),
        },
        config=lambda d, dom: {
            "type": "polynomial",
            **ends(d, dom),
            "steps": d(dom.steps),
            "power": d(st.floats(0.1, 5.0)),
            "cycle": d(st.booleans()),
        },
        base={"type": "polynomial", "start": 0.1, "end": 0.001, "steps": 100, "power": 2.0},
        fields={"start": "rate", "end": "rate", "steps": "steps", "power": "positive"},
        bad=(Bad("power-zero-int", "power", {"power": 0}), Bad("cycle-string", "cycle", {"cycle": "yes"})),
    ),
    "cosine": Rows(
        cases={
            "cosine": lrcore.cosine(start=0.1, end=0.0, steps=1500),
            "cosine_exponent": lrcore.cosine(start=0.1, end=0.001, steps=1500, exponent=2.0),
        },
        goldens=(
            Golden(
                lrcore.cosine(start=0.1, end=0.001, steps=1000),
                exact={1000: 0.001},
                near={t: cosine_at(t, 0.1, 0.001, 1000) for t in (0, 1, 250, 500, 999, 1000, 5000)},
            ),
            Golden(lrcore.cosine(start=1.0, end=0.0, steps=10, exponent=2.0), near={5: 0.25}),
            Golden(
                lrcore.cosine(start=0.1, end=0.0, steps=50),
                exact={0: 0.1, 50: 0.0},
                near={25: 0.05},
                source="seeds/002: lr_min + 0.5 (lr_max - lr_min)(1 + cos(pi t / T_max)), T_max=50",
            ),
        ),
        long={
            "cosine": lrcore.cosine(start=3e-4, end=0.0, steps=N),
            "cosine_floor": lrcore.cosine(start=3e-4, end=3e-5, steps=N - 1),
            "cosine_exponent": lrcore.cosine(start=1.0, end=0.0, steps=N, exponent=1.5),
            "cosine_rising": lrcore.cosine(start=1e-6, end=0.1, steps=N, exponent=2.0),
        },
        config=lambda d, dom: {
            "type": "cosine",
            **ends(d, dom),
            "steps": d(dom.steps),
            "exponent": d(st.one_of(st.sampled_from([1.0, 2.0, 0.5, 3.7]), st.floats(0.25, 4.0))),
        },
        base=COSINE_100,
        fields={"start": "rate", "end": "rate", "steps": "steps", "exponent": "positive"},
        bad=(Bad("exponent-minus-one", "exponent", {"exponent": -1.0}),),
    ),
    "exponential": Rows(
        cases={
            "exponential": lrcore.exponential(start=0.1, rate=0.96, steps=100),
            "exponential_staircase": lrcore.exponential(
                start=0.1, rate=0.5, steps=300, staircase=True, begin=100, bound=0.001
            ),
        },
        goldens=(
            Golden(
                lrcore.exponential(start=0.1, rate=0.96, steps=100_000, staircase=True),
                near={t: 0.1 * 0.96 ** (t // 100_000) for t in (0, 99_999, 100_000, 250_000, 10**7)},
                source="seeds/003: ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)",
            ),
            Golden(lrcore.exponential(start=0.1, rate=0.96, steps=100_000), near={50_000: 0.1 * 0.96**0.5}),
            Golden(
                lrcore.exponential(start=0.1, rate=0.95),
                near={t: 0.1 * 0.95**t for t in range(5)},
                source="seeds/002: ExponentialLR(gamma=0.95)",
            ),
            Golden(
                lrcore.exponential(start=1.0, rate=0.5, steps=10, begin=5, bound=0.2),
                exact={0: 1.0, 5: 1.0, 35: 0.2},
                near={15: 0.5, 25: 0.25},
            ),
            Golden(
                lrcore.exponential(start=0.1, rate=2.0, steps=1, bound=1.0),
                exact={0: 0.1, 4: 1.0, 10**9: 1.0},
                near={3: 0.8},
            ),
        ),
        long={
            "exponential": lrcore.exponential(start=0.1, rate=0.96, steps=100_000),
            "exponential_fast": lrcore.exponential(start=1.0, rate=0.5, steps=150_000, begin=12_345),
            "exponential_staircase": lrcore.exponential(start=0.1, rate=0.96, steps=100_000, staircase=True),
            "exponential_growth": lrcore.exponential(start=1e-6, rate=10.0, steps=N // 10, bound=1.0),
        },
        config=_exponential,
        base={"type": "exponential", "start": 0.1, "rate": 0.9, "steps": 10},
        fields={
            "start": "rate",
            "rate": "positive",
            "steps": "steps",
            "begin": "count",
            "bound": "rate_or_none",
        },
        bad=(
            Bad("growth-no-bound", "bound", {"rate": 1.5}),
            Bad("floor-above-start", "bound", {"bound": 0.5}),
            Bad("ceiling-below-start", "bound", {"rate": 1.5, "bound": 0.01}),
            Bad("begin-minus-one", "begin", {"begin": -1}),
            Bad("begin-beyond-int64", "begin", {"begin": 10**25}),
            Bad("staircase-string", "staircase", {"staircase": "true"}),
            Bad("staircase-int", "staircase", {"staircase": 1}),
        ),
    ),
    "step": Rows(
        cases={"step": lrcore.step(start=0.1, gamma=0.5, step_size=250)},
        goldens=(
            Golden(
                lrcore.step(start=0.01, gamma=0.1, step_size=5),
                near={epoch: 0.01 * 0.1 ** (epoch // 5) for epoch in range(30)},
                source="seeds/001: lr = 0.01 * 0.1 ** (epoch // 5)",
            ),
            Golden(
                lrcore.step(start=0.1, gamma=0.1, step_size=10),
                exact={9: 0.1},
                near={10: 0.01, 25: 0.001},
                source="seeds/002: StepLR",
            ),
        ),
        long={"step": lrcore.step(start=0.1, gamma=0.9, step_size=77_777)},
        config=lambda d, dom: {
            "type": "step",
            "start": d(dom.rates),
            "gamma": d(dom.fractions),
            "step_size": d(dom.steps),
        },
        base={"type": "step", "start": 0.1, "gamma": 0.5, "step_size": 10},
        fields={"start": "rate", "gamma": "positive", "step_size": "steps"},
        bad=(Bad("gamma-above-one", "gamma", {"gamma": 2.0}),),
    ),
    "multistep": Rows(
        cases={"multistep": lrcore.multistep(start=0.1, milestones=[300, 800, 1200], gamma=0.1)},
        goldens=(
            Golden(
                lrcore.multistep(start=0.1, milestones=[30, 80], gamma=0.1),
                exact={29: 0.1},
                near={30: 0.01, 79: 0.01, 80: 0.001},
                source="seeds/002: MultiStepLR(milestones=[30, 80])",
            ),
        ),
        long={"multistep": lrcore.multistep(start=0.1, milestones=[N // 3, N // 2, 9 * N // 10], gamma=0.1)},
        config=lambda d, dom: {
            "type": "multistep",
            "start": d(dom.rates),
            "milestones": d(increasing(1, dom.boundary_max, 1)),
            "gamma": d(st.floats(0.0, 1.0)),
        },
        base={"type": "multistep", "start": 0.1, "milestones": [10, 20], "gamma": 0.1},
        fields={"start": "rate", "gamma": "non_negative"},
        bad=(
            Bad("unsorted", "milestones[1]", {"milestones": [20, 10]}, "strictly increasing"),
            Bad("duplicate", "milestones[1]", {"milestones": [10, 10, 20]}),
            Bad("empty", "milestones", {"milestones": []}),
            Bad("zero", "milestones[0]", {"milestones": [0, 10]}),
            Bad("string-item", "milestones[1]", {"milestones": [10, "20"]}),
            Bad("nested-list", "milestones[0]", {"milestones": [[10], 20]}),
            Bad("scalar", "milestones", {"milestones": 10}),
            Bad("absurd", "milestones[1]", {"milestones": [10, 10**30]}),
            Bad("gamma-above-one", "gamma", {"gamma": 1.5}),
        ),
    ),
    "piecewise_constant": Rows(
        cases={
            "piecewise_constant": lrcore.piecewise_constant(boundaries=[500, 1000], values=[0.1, 0.05, 0.01])
        },
        goldens=(
            Golden(
                lrcore.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.25]),
                exact={9: 1.0, 10: 0.5, 19: 0.5, 20: 0.25, 10**6: 0.25},
            ),
        ),
        long={
            "piecewise_constant": lrcore.piecewise_constant(
                boundaries=[1, N // 2, N - 1], values=[1.0, 0.3, 0.1, 0.05]
            )
        },
        config=_piecewise_constant,
        base={"type": "piecewise_constant", "boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
        fields={},
        bad=(
            Bad("unsorted", "boundaries[1]", {"boundaries": [20, 10]}),
            Bad("duplicate", "boundaries[1]", {"boundaries": [10, 10]}),
            Bad("too-few-values", "values", {"values": [0.1, 0.01]}),
            Bad("too-many-values", "values", {"values": [0.1, 0.01, 0.001, 0.0001]}),
            Bad("negative-value", "values[1]", {"values": [0.1, -0.01, 0.001]}),
            Bad("nan-value", "values[2]", {"values": [0.1, 0.01, NAN]}),
            Bad("empty-values", "values", {"boundaries": [], "values": []}),
            Bad("boundary-negative", "boundaries[0]", {"boundaries": [-10, 20]}),
            Bad("values-string", "values", {"values": "0.1,0.01,0.001"}),
        ),
    ),
    "piecewise_linear": Rows(
        cases={
            "piecewise_linear": lrcore.piecewise_linear(boundaries=[0, 200, 1500], values=[0.0, 0.1, 0.001])
        },
        goldens=(
            Golden(
                lrcore.piecewise_linear(boundaries=[10, 20, 40], values=[0.0, 1.0, 0.5]),
                exact={0: 0.0, 10: 0.0, 15: 0.5, 20: 1.0, 30: 0.75, 40: 0.5, 99: 0.5},
            ),
        ),
        long={"piecewise_linear": lrcore.piecewise_linear(boundaries=[0, 3_000, N], values=[0.0, 0.1, 1e-6])},
        config=_piecewise_linear,
        base={"type": "piecewise_linear", "boundaries": [0, 10, 20], "values": [0.0, 0.1, 0.01]},
        fields={},
        bad=(
            Bad("mismatch", "values", {"values": [0.0, 0.1]}),
            Bad("empty", "boundaries", {"boundaries": [], "values": []}),
            Bad("unsorted", "boundaries[2]", {"boundaries": [0, 20, 10]}),
            Bad("negative-boundary", "boundaries[0]", {"boundaries": [-1, 10, 20]}),
            Bad("inf-value", "values[1]", {"values": [0.0, INF, 0.1]}),
        ),
    ),
    "inverse_time": Rows(
        cases={"inverse_time": lrcore.inverse_time(start=0.1, rate=0.5, steps=100)},
        goldens=(
            Golden(
                lrcore.inverse_time(start=1.0, rate=0.5, steps=10),
                exact={0: 1.0},
                near={10: 1 / 1.5, 15: 1 / 1.75},
            ),
            Golden(
                lrcore.inverse_time(start=1.0, rate=0.5, steps=10, staircase=True),
                exact={9: 1.0},
                near={10: 1 / 1.5, 19: 1 / 1.5},
            ),
        ),
        long={
            "inverse_time": lrcore.inverse_time(start=0.1, rate=0.5, steps=10_000),
            "inverse_time_staircase": lrcore.inverse_time(start=0.1, rate=3.0, steps=9_999, staircase=True),
        },
        config=lambda d, dom: {
            "type": "inverse_time",
            "start": d(dom.rates),
            "rate": d(st.floats(0.0, 100.0)),
            "steps": d(dom.steps),
            "staircase": d(st.booleans()),
        },
        base={"type": "inverse_time", "start": 0.1, "rate": 0.5, "steps": 10},
        fields={"start": "rate", "rate": "non_negative", "steps": "steps"},  # rate 0 is a constant
    ),
    "inverse_sqrt": Rows(
        cases={"inverse_sqrt": lrcore.inverse_sqrt(peak=0.1, warmup=200)},
        goldens=(
            Golden(
                lrcore.inverse_sqrt(peak=1.0, warmup=100),
                exact={0: 0.0, 50: 0.5, 100: 1.0},
                near={400: math.sqrt(100 / 400)},
            ),
            Golden(lrcore.inverse_sqrt(peak=1.0, warmup=100, timescale=10), near={190: math.sqrt(10 / 100)}),
        ),
        long={
            "inverse_sqrt": lrcore.inverse_sqrt(peak=1e-3, warmup=4_000),
            "inverse_sqrt_timescale": lrcore.inverse_sqrt(peak=1e-3, warmup=0, timescale=10_000),
        },
        config=_inverse_sqrt,
        base={"type": "inverse_sqrt", "peak": 0.1, "warmup": 10},
        fields={"peak": "rate", "warmup": "count", "timescale": "steps_or_none"},
        bad=(Bad("no-timescale", "timescale", {"warmup": 0}),),
    ),
    "cosine_restarts": Rows(
        cases={
            "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=300, peak_decay=0.7),
            "cosine_restarts_mult": lrcore.cosine_restarts(
                start=0.1, end=0.001, first_cycle=100, cycle_mult=2
            ),
        },
        goldens=(
            Golden(
                lrcore.cosine_restarts(start=1.0, end=0.0, first_cycle=10, cycle_mult=2, peak_decay=0.5),
                exact={0: 1.0, 10: 0.5, 30: 0.25, 70: 0.125},
                near={5: 0.5, 20: 0.25},
            ),
            Golden(
                lrcore.cosine_restarts(start=1.0, end=0.1, first_cycle=10),
                exact={0: 1.0, 10: 1.0, 20: 1.0},
                near={15: 0.1 + 0.9 * 0.5},
            ),
        ),
        long={
            "cosine_restarts": lrcore.cosine_restarts(
                start=0.1, end=1e-5, first_cycle=1_234_567, peak_decay=0.8
            ),
            "cosine_restarts_mult": lrcore.cosine_restarts(
                start=0.1, end=0.0, first_cycle=10_000, cycle_mult=2
            ),
        },
        config=lambda d, dom: {
            "type": "cosine_restarts",
            **ends(d, dom),
            "first_cycle": d(dom.steps),
            "cycle_mult": d(st.integers(1, 3)),
            "peak_decay": d(dom.fractions),
        },
        base={"type": "cosine_restarts", "start": 0.1, "end": 0.001, "first_cycle": 10},
        fields={"start": "rate", "end": "rate", "first_cycle": "steps"},
        bad=(
            Bad("cycle-mult-zero", "cycle_mult", {"cycle_mult": 0}),
            Bad("cycle-mult-fraction", "cycle_mult", {"cycle_mult": 1.5}),
            Bad("peak-decay-above-one", "peak_decay", {"peak_decay": 1.5}),
            Bad("peak-decay-zero", "peak_decay", {"peak_decay": 0.0}),
        ),
    ),
    "cyclic": Rows(
        cases={
            "cyclic": lrcore.cyclic(low=0.001, high=0.1, up=200),
            "cyclic_triangular2": lrcore.cyclic(low=0.001, high=0.1, up=150, down=250, mode="triangular2"),
            "cyclic_exp_range": lrcore.cyclic(low=0.001, high=0.1, up=200, mode="exp_range", gamma=0.999),
            # torch's momentum side (what hyperparameters()["momentum"] gives with cycle_momentum),
            # at learning-rate magnitudes so that the adapters' training loops can run it as a rate
            "cyclic_momentum": lrcore.cyclic(
                low=0.001,
                high=0.1,
                up=150,
                down=250,
                mode="triangular2",
                curve="momentum",
                base_momentum=0.001,
                max_momentum=0.1,
            ),
        },
        goldens=(
            Golden(
                lrcore.cyclic(low=0.1, high=1.0, up=10, down=20),
                exact={0: 0.1, 10: 1.0, 30: 0.1},
                near={5: 0.55, 20: 0.55},
            ),
            Golden(
                lrcore.cyclic(low=0.0, high=1.0, up=10, mode="triangular2"),
                exact={10: 1.0, 30: 0.5, 50: 0.25},
            ),
            Golden(lrcore.cyclic(low=0.0, high=1.0, up=10, mode="exp_range", gamma=0.9), near={10: 0.9**10}),
            # the momentum side: max_momentum - (max_momentum - base_momentum) * scale
            Golden(
                lrcore.cyclic(low=0.1, high=1.0, up=10, down=20, curve="momentum"),
                exact={0: 0.9, 10: 0.8, 30: 0.9},
                near={5: 0.9 - 0.1 * 0.5, 20: 0.9 - 0.1 * 0.5},
                source="torch CyclicLR(cycle_momentum=True)",
            ),
            Golden(
                lrcore.cyclic(
                    low=0.0,
                    high=1.0,
                    up=10,
                    mode="triangular2",
                    curve="momentum",
                    base_momentum=0.5,
                    max_momentum=0.9,
                ),
                exact={0: 0.9, 10: 0.5, 20: 0.9},
                near={30: 0.9 - 0.4 * 0.5, 50: 0.9 - 0.4 * 0.25},
                source="torch CyclicLR(mode='triangular2', cycle_momentum=True)",
            ),
            Golden(
                lrcore.cyclic(low=0.0, high=1.0, up=10, mode="exp_range", gamma=0.9, curve="momentum"),
                near={10: 0.9 - 0.1 * 0.9**10, 15: 0.9 - 0.1 * 0.5 * 0.9**15},
                source="torch CyclicLR(mode='exp_range', cycle_momentum=True)",
            ),
        ),
        long={
            "cyclic": lrcore.cyclic(low=1e-4, high=1e-2, up=20_000, down=30_000),
            "cyclic_triangular2": lrcore.cyclic(low=1e-4, high=1e-2, up=200_000, mode="triangular2"),
            "cyclic_exp_range": lrcore.cyclic(
                low=1e-4, high=1e-2, up=2_000, mode="exp_range", gamma=0.9999995
            ),
            "cyclic_momentum": lrcore.cyclic(
                low=1e-4,
                high=1e-2,
                up=20_000,
                down=30_000,
                mode="exp_range",
                gamma=0.9999995,
                curve="momentum",
            ),
        },
        config=_cyclic,
        base={"type": "cyclic", "low": 0.001, "high": 0.1, "up": 10},
        fields={
            "low": "rate",
            "high": "rate",
            "up": "steps",
            "down": "steps_or_none",
            "base_momentum": "momentum",
            "max_momentum": "momentum",
        },
        bad=(
            Bad("high-below-low", "high", {"low": 0.1, "high": 0.01}),
            Bad("base-momentum-above-max", "base_momentum", {"base_momentum": 0.95, "max_momentum": 0.9}),
            Bad("base-momentum-above-default-max", "base_momentum", {"base_momentum": 0.95}, "0.9"),
            Bad("cycle-momentum-string", "cycle_momentum", {"cycle_momentum": "yes"}),
            Bad("cycle-momentum-int", "cycle_momentum", {"cycle_momentum": 1}),
            Bad("curve-typo", "curve", {"curve": "momentun"}, "did you mean 'momentum'"),
            Bad("momentum-curve-cycling", "cycle_momentum", {"curve": "momentum", "cycle_momentum": True}),
            Bad("mode-typo", "mode", {"mode": "triangle"}, "did you mean 'triangular'"),
            Bad("mode-number", "mode", {"mode": 2}),
            Bad("gamma-above-one", "gamma", {"mode": "exp_range", "gamma": 1.01}),
        ),
    ),
    "one_cycle": Rows(
        cases={
            "one_cycle": lrcore.one_cycle(peak=0.1, total=1500),
            "one_cycle_three_phase": lrcore.one_cycle(
                peak=0.1, total=1333, warmup_fraction=0.25, anneal="linear", three_phase=True
            ),
            # torch's momentum side (what hyperparameters()["momentum"] gives with cycle_momentum),
            # at learning-rate magnitudes so that the adapters' training loops can run it as a rate
            "one_cycle_momentum": lrcore.one_cycle(
                peak=0.1, total=1500, curve="momentum", base_momentum=0.004, max_momentum=0.1
            ),
            "one_cycle_momentum_three_phase": lrcore.one_cycle(
                peak=0.1,
                total=1333,
                warmup_fraction=0.25,
                anneal="linear",
                three_phase=True,
                curve="momentum",
                base_momentum=0.004,
                max_momentum=0.1,
            ),
        },
        goldens=(
            Golden(
                lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.3),
                exact={29: 1.0},  # the end of phase one: 0.3 * 100 - 1, as torch counts it
                near={0: 1 / 25, 99: 1 / 25 / 1e4, 1000: 1 / 25 / 1e4},
                source="torch OneCycleLR",
            ),
            Golden(
                lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.3, three_phase=True, anneal="linear"),
                near={58: 1 / 25},  # 2 * 0.3 * 100 - 2
                source="torch OneCycleLR(three_phase=True)",
            ),
            # the momentum side: max -> base while the rate rises, base -> max after
            Golden(
                lrcore.one_cycle(peak=1.0, total=100, warmup_fraction=0.3, curve="momentum"),
                exact={0: 0.95, 29: 0.85, 99: 0.95, 1000: 0.95},
                near={
                    10: 0.85 + (0.95 - 0.85) / 2 * (math.cos(math.pi * 10 / 29) + 1),
                    60: 0.95 + (0.85 - 0.95) / 2 * (math.cos(math.pi * 31 / 70) + 1),
                },
                source="torch OneCycleLR(cycle_momentum=True)",
            ),
            Golden(
                lrcore.one_cycle(
                    peak=1.0,
                    total=100,
                    warmup_fraction=0.3,
                    three_phase=True,
                    anneal="linear",
                    curve="momentum",
                    base_momentum=0.5,
                    max_momentum=0.9,
                ),
                exact={0: 0.9, 29: 0.5, 58: 0.9, 70: 0.9, 99: 0.9},
                near={10: 0.9 + (0.5 - 0.9) * 10 / 29, 40: 0.5 + (0.9 - 0.5) * 11 / 29},
                source="torch OneCycleLR(three_phase=True, cycle_momentum=True)",
            ),
        ),
        long={
            "one_cycle": lrcore.one_cycle(peak=0.01, total=N),
            "one_cycle_odd": lrcore.one_cycle(
                peak=0.01, total=N - 3, warmup_fraction=0.2345, three_phase=True
            ),
            "one_cycle_linear": lrcore.one_cycle(peak=0.01, total=N, anneal="linear"),
            "one_cycle_momentum": lrcore.one_cycle(
                peak=0.01, total=N - 3, warmup_fraction=0.2345, three_phase=True, curve="momentum"
            ),
        },
        config=lambda d, dom: (
            {
                "type": "one_cycle",
                "peak": d(dom.rates),
                "total": 20 + d(dom.counts),
                "warmup_fraction": d(st.floats(0.1, 0.45)),
                "anneal": d(st.sampled_from(["cos", "linear"])),
                "div_factor": d(st.floats(1.0, 1e3)),
                "final_div_factor": d(st.floats(1.0, 1e5)),
                "three_phase": d(st.booleans()),
            }
            | momentum_fields(d)
        ),
        base={"type": "one_cycle", "peak": 0.1, "total": 100},
        fields={
            "peak": "rate",
            "total": "steps",
            "div_factor": "positive",
            "final_div_factor": "positive",
            "base_momentum": "momentum",
            "max_momentum": "momentum",
        },
        bad=(
            Bad("base-momentum-above-max", "base_momentum", {"base_momentum": 0.9, "max_momentum": 0.8}),
            Bad("base-momentum-above-default-max", "base_momentum", {"base_momentum": 0.96}, "0.95"),
            Bad("max-momentum-below-default-base", "base_momentum", {"max_momentum": 0.5}, "0.5"),
            Bad("cycle-momentum-string", "cycle_momentum", {"cycle_momentum": "true"}),
            Bad("curve-typo", "curve", {"curve": "lr_"}, "did you mean 'lr'"),
            Bad("momentum-curve-cycling", "cycle_momentum", {"curve": "momentum", "cycle_momentum": True}),
            Bad("total-one", "total", {"total": 1}),
            Bad("fraction-one", "warmup_fraction", {"warmup_fraction": 1.0}),
            Bad("fraction-zero", "warmup_fraction", {"warmup_fraction": 0.0}),
            Bad("fraction-tiny", "warmup_fraction", {"warmup_fraction": 0.001}),
            Bad(
                "three-phase-squeezed",
                "warmup_fraction",
                {"total": 4, "warmup_fraction": 0.7, "three_phase": True},
            ),
            Bad("anneal", "anneal", {"anneal": "cosine"}, "did you mean 'cos'"),
            Bad("div-factor-zero-int", "div_factor", {"div_factor": 0}),
            Bad("div-factor-tiny", "div_factor", {"div_factor": 1e-320}),
            Bad("final-div-tiny", "final_div_factor", {"div_factor": 1.0, "final_div_factor": 1e-300}),
            Bad("three-phase-string", "three_phase", {"three_phase": "no"}),
        ),
    ),
    "warmup_stable_decay": Rows(
        cases={
            "warmup_stable_decay": lrcore.warmup_stable_decay(peak=0.1, warmup=100, decay=500, total=1500),
            "warmup_stable_decay_cosine": lrcore.warmup_stable_decay(
                peak=0.1, warmup=100, decay=500, total=1500, end=0.001, decay_shape="cosine"
            ),
            "warmup_stable_decay_sqrt": lrcore.warmup_stable_decay(
                peak=0.1, warmup=100, decay=500, total=1500, decay_shape="1-sqrt"
            ),
        },
        goldens=(
            Golden(
                lrcore.warmup_stable_decay(peak=1.0, warmup=10, decay=20, total=100, start=0.1, end=0.01),
                exact={0: 0.1, 10: 1.0, 79: 1.0, 80: 1.0, 100: 0.01, 500: 0.01},
                near={90: 0.505},
            ),
            Golden(
                lrcore.warmup_stable_decay(peak=1.0, warmup=0, decay=100, total=100, decay_shape="1-sqrt"),
                near={25: 0.5},
            ),
            Golden(
                lrcore.warmup_stable_decay(peak=1.0, warmup=0, decay=100, total=100, decay_shape="cosine"),
                near={50: 0.5},
            ),
        ),
        long={
            "warmup_stable_decay": lrcore.warmup_stable_decay(peak=3e-4, warmup=2_000, decay=N // 5, total=N),
            "warmup_stable_decay_cosine": lrcore.warmup_stable_decay(
                peak=3e-4, warmup=2_000, decay=N // 5, total=N, end=3e-6, decay_shape="cosine"
            ),
            "warmup_stable_decay_sqrt": lrcore.warmup_stable_decay(
                peak=3e-4, warmup=2_000, decay=N // 5, total=N, decay_shape="1-sqrt"
            ),
        },
        config=_warmup_stable_decay,
        base={"type": "warmup_stable_decay", "peak": 0.1, "warmup": 10, "decay": 20, "total": 100},
        fields={"peak": "rate", "warmup": "count", "decay": "count", "total": "steps", "start": "rate"},
        bad=(
            Bad("phases-exceed-total", "warmup", {"warmup": 60, "decay": 50}),
            Bad("shape", "decay_shape", {"decay_shape": "sqrt"}, "did you mean '1-sqrt'"),
            Bad("end-negative", "end", {"end": -0.001}),
        ),
    ),
    "tanh": Rows(
        cases={"tanh": lrcore.tanh(start=0.1, end=0.001, steps=1500)},
        goldens=(
            Golden(
                lrcore.tanh(start=0.1, end=0.001, steps=100),
                exact={100: 0.001},
                near={t: tanh_at(t, 0.1, 0.001, 100) for t in (0, 1, 37, 99)},
                source="timm TanhLRScheduler",
            ),
        ),
        long={"tanh": lrcore.tanh(start=0.1, end=1e-4, steps=N)},
        config=_tanh,
        base={"type": "tanh", "start": 0.1, "end": 0.001, "steps": 100},
        fields={"start": "rate", "end": "rate", "steps": "steps"},
        bad=(
            Bad("lower-above-upper", "upper", {"lower": 3.0, "upper": -7.0}),
            Bad("lower-equals-upper", "upper", {"lower": 1.0, "upper": 1.0}),
            Bad("lower-extreme", "lower", {"lower": -1000.0}),
            Bad("upper-nan", "upper", {"upper": NAN}),
        ),
    ),
    "table": Rows(
        cases={"table": lrcore.table(values=[0.1 * 0.999**i for i in range(1200)])},
        goldens=(
            Golden(lrcore.table(values=[0.3, 0.2, 0.1]), exact={0: 0.3, 1: 0.2, 2: 0.1, 3: 0.1, 10**12: 0.1}),
        ),
        long={"table": lrcore.table(values=np.geomspace(0.1, 1e-4, 5_000).tolist())},
        config=lambda d, dom: {"type": "table", "values": d(st.lists(dom.rates, min_size=1, max_size=20))},
        base={"type": "table", "values": [0.1, 0.05, 0.01]},
        fields={},
        bad=(
            Bad("empty", "values", {"values": []}),
            Bad("negative", "values[2]", {"values": [0.1, 0.05, -0.01]}),
            Bad("null-item", "values[1]", {"values": [0.1, None]}),
            Bad("mapping", "values", {"values": {"0": 0.1}}),
            Bad("nan-at-end", "values[9999]", {"values": [0.1] * 9999 + [NAN]}),
            Bad("negative-at-end", "values[9999]", {"values": [0.1] * 9999 + [-1.0]}),
        ),
    ),
    "rex": Rows(
        cases={"rex": lrcore.rex(start=0.1, end=0.001, steps=1500)},
        goldens=(
            Golden(
                lrcore.rex(start=1.0, steps=100),
                exact={0: 1.0, 100: 0.0, 10**9: 0.0},
                near={t: (1 - t / 100) / (0.5 + 0.5 * (1 - t / 100)) for t in (1, 25, 50, 99)},
                source="Chen et al., REX",
            ),
        ),
        long={"rex": lrcore.rex(start=3e-4, end=0.0, steps=N)},
        config=lambda d, dom: {"type": "rex", **ends(d, dom), "steps": d(dom.steps)},
        base={"type": "rex", "start": 0.1, "end": 0.001, "steps": 100},
        fields={"start": "rate", "end": "rate", "steps": "steps"},
    ),
}


# -- the table: combinators -------------------------------------------------------------


def lr_only(config: Any) -> Any:
    """``config`` with every momentum side turned off: what warmup, join and a scale's
    factor take (they refuse a part that drives momentum, which they would drop)."""
    if isinstance(config, dict):
        out = {k: lr_only(v) for k, v in config.items()}
        if out.get("cycle_momentum"):
            out["cycle_momentum"] = False
        return out
    if isinstance(config, list):
        return [lr_only(v) for v in config]
    return config


def _join(d: st.DrawFn, dom: Domain, inner: st.SearchStrategy[Config]) -> Config:
    schedules = [lr_only(c) for c in d(st.lists(inner, min_size=1, max_size=3))]
    n = len(schedules) - 1
    return {"type": "join", "schedules": schedules, "boundaries": d(increasing(1, dom.boundary_max, n, n))}


def _clip(d: st.DrawFn, dom: Domain, inner: st.SearchStrategy[Config]) -> Config:
    lo, width = d(dom.rates), d(dom.rates)
    bounds = d(st.sampled_from([("min",), ("max",), ("min", "max")]))
    config: Config = {"type": "clip", "schedule": d(inner)}
    if "min" in bounds:
        config["min"] = lo
    if "max" in bounds:
        config["max"] = lo + width
    return config


def _after_horizon(d: st.DrawFn, dom: Domain, inner: st.SearchStrategy[Config]) -> Config:
    policy = d(st.sampled_from(["hold", "repeat", "continue"]))  # "raise" refuses the huge steps tests probe
    if policy == "continue":  # only a periodic formula goes on
        return {"type": "after_horizon", "schedule": TABLE["cosine"].config(d, dom), "policy": policy}
    return {"type": "after_horizon", "schedule": d(inner), "policy": policy, "horizon": d(dom.steps)}


# Values a combinator's golden rows need: the inner cosine(1, 0, 100) at step 50.
HALF = cosine_at(50, 1.0, 0.0, 100)
INNER = lrcore.cosine(start=1.0, end=0.0, steps=100)

TABLE |= {
    "warmup": Rows(
        cases={
            "warmup": lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=1300), steps=200),
            "warmup_cosine_shape": lrcore.warmup(
                lrcore.exponential(start=0.1, rate=0.9, steps=100), steps=150, start=0.001, shape="cosine"
            ),
            "warmup_join_nested": lrcore.warmup(
                lrcore.join(
                    [lrcore.cosine(start=0.1, end=0.01, steps=800), lrcore.constant(value=0.01)],
                    boundaries=[800],
                ),
                steps=250,
            ),
        },
        goldens=(
            Golden(
                lrcore.warmup(INNER, steps=10, start=0.1), exact={0: 0.1, 10: 1.0}, near={5: 0.55, 60: HALF}
            ),
        ),
        long={
            "warmup_cosine": lrcore.warmup(
                lrcore.cosine(start=3e-4, end=3e-5, steps=N - 10_000), steps=10_000
            )
        },
        config=lambda d, dom, inner: {
            "type": "warmup",
            "schedule": lr_only(d(inner)),
            "steps": d(dom.steps),
            "start": d(dom.rates),
            "shape": d(st.sampled_from(["linear", "cosine"])),
        },
        base={"type": "warmup", "schedule": COSINE_100, "steps": 10},
        fields={"steps": "steps", "start": "rate"},
        bad=(
            Bad("inner-negative", "schedule.end", {"schedule": with_(COSINE_100, end=-1.0)}),
            Bad("inner-missing-type", "schedule.type", {"schedule": {"value": 0.1}}),
            Bad("inner-number", "schedule", {"schedule": 0.1}),
            Bad("inner-list", "schedule", {"schedule": [COSINE_100]}),
            Bad("inner-string", "schedule", {"schedule": "cosine"}),
            Bad("missing-schedule", "schedule", {"schedule": DROP}),
            Bad("shape", "shape", {"shape": "cos"}, "did you mean 'cosine'"),
        ),
        combinator=True,
    ),
    "join": Rows(
        cases={
            "join": lrcore.join(
                [
                    lrcore.linear(start=0.0, end=0.1, steps=100),
                    lrcore.cosine(start=0.1, end=0.01, steps=900),
                    lrcore.constant(value=0.01),
                ],
                boundaries=[100, 1000],
            )
        },
        goldens=(
            Golden(
                lrcore.join([lrcore.constant(value=1.0), INNER], boundaries=[7]),
                exact={6: 1.0, 7: 1.0},
                near={57: HALF},
                source="optax join_schedules",
            ),
        ),
        long={
            "join": lrcore.join(
                [
                    lrcore.linear(start=0.0, end=1e-3, steps=5_000),
                    lrcore.cosine(start=1e-3, end=0.0, steps=N),
                ],
                boundaries=[5_000],
            )
        },
        config=_join,
        base={
            "type": "join",
            "schedules": [
                {"type": "linear", "start": 0.1, "end": 0.001, "steps": 100},
                {"type": "constant", "value": 0.1},
            ],
            "boundaries": [100],
        },
        fields={},
        bad=(
            Bad("too-many-boundaries", "boundaries", {"boundaries": [10, 20]}),
            Bad("too-few-boundaries", "boundaries", {"boundaries": []}),
            Bad("no-schedules", "schedules", {"schedules": [], "boundaries": []}),
            Bad("schedules-mapping", "schedules", {"schedules": COSINE_100}),
            Bad("unsorted", "boundaries[1]", {"schedules": [COSINE_100] * 3, "boundaries": [20, 10]}),
            Bad("boundary-zero", "boundaries[0]", {"boundaries": [0]}),
            Bad("boundary-absurd", "boundaries[0]", {"boundaries": [10**20]}),
            Bad("inner-number", "schedules[1]", {"schedules": [COSINE_100, 0.1]}),
            Bad(
                "inner-steps-zero",
                "schedules[1].steps",
                {"schedules": [COSINE_100, with_(COSINE_100, steps=0)]},
            ),
            Bad("inner-missing-type", "schedules[1].type", {"schedules": [COSINE_100, {"value": 0.1}]}),
            Bad("missing-boundaries", "boundaries", {"boundaries": DROP}),
        ),
        combinator=True,
    ),
    "scale": Rows(
        cases={
            "scale": lrcore.scale(lrcore.cosine(start=1.0, end=0.0, steps=1500), factor=0.1),
            "scale_by_schedule": lrcore.scale(
                lrcore.step(start=0.1, gamma=0.5, step_size=400),
                factor=lrcore.linear(start=0.1, end=1.0, steps=300),
            ),
        },
        goldens=(Golden(lrcore.scale(INNER, factor=lrcore.constant(value=0.5)), near={50: 0.5 * HALF}),),
        long={"scale": lrcore.scale(lrcore.cosine(start=1.0, end=0.0, steps=N), factor=3e-4)},
        config=lambda d, dom, inner: {
            "type": "scale",
            "schedule": d(inner),
            "factor": lr_only(d(st.one_of(dom.rates, inner))),
        },
        base={"type": "scale", "schedule": COSINE_100, "factor": 0.5},
        fields={"factor": "rate_or_schedule"},
        bad=(
            Bad(
                "factor-schedule-bad",
                "factor.steps",
                {"factor": {"type": "linear", "start": 0.1, "end": 0.001, "steps": -1}},
            ),
            Bad("factor-schedule-no-type", "factor.type", {"factor": {"start": 0.1}}),
            Bad("inner-bad", "schedule.steps", {"schedule": with_(COSINE_100, steps="100")}),
            Bad("factor-word", "factor", {"factor": "half"}),
        ),
        combinator=True,
    ),
    "clip": Rows(
        cases={"clip": lrcore.clip(lrcore.inverse_time(start=0.2, rate=1.0, steps=100), min=0.01, max=0.1)},
        goldens=(Golden(lrcore.clip(INNER, min=0.2, max=0.8), exact={0: 0.8, 100: 0.2}, near={50: HALF}),),
        long={"clip": lrcore.clip(lrcore.cosine(start=3e-4, end=0.0, steps=N), min=3e-5)},
        config=_clip,
        base={"type": "clip", "schedule": COSINE_100, "max": 0.05},
        fields={"max": "rate_or_none"},
        bad=(
            Bad("no-bounds", "max", {"max": DROP}),
            Bad("max-null", "max", {"max": None}),
            Bad("min-above-max", "max", {"min": 0.1, "max": 0.01}),
            Bad("min-negative", "min", {"min": -0.1}),
            Bad("inner-bad", "schedule.extra", {"schedule": with_(COSINE_100, type="linear", extra=1)}),
        ),
        combinator=True,
    ),
    "per_epoch": Rows(
        cases={
            "per_epoch": lrcore.per_epoch(lrcore.step(start=0.1, gamma=0.5, step_size=3), steps_per_epoch=97)
        },
        goldens=(
            Golden(
                lrcore.per_epoch(lrcore.step(start=1.0, gamma=0.5, step_size=1), steps_per_epoch=10),
                exact={9: 1.0, 10: 0.5, 25: 0.25},
            ),
        ),
        long={
            "per_epoch": lrcore.per_epoch(
                lrcore.cosine(start=0.1, end=0.0, steps=300), steps_per_epoch=N // 300
            )
        },
        config=lambda d, dom, inner: {
            "type": "per_epoch",
            "schedule": d(inner),
            "steps_per_epoch": d(dom.steps),
        },
        base={
            "type": "per_epoch",
            "schedule": {"type": "step", "start": 0.1, "gamma": 0.5, "step_size": 10},
            "steps_per_epoch": 10,
        },
        fields={"steps_per_epoch": "steps"},
        bad=(
            Bad(
                "inner-bad",
                "schedule.gamma",
                {"schedule": {"type": "step", "start": 0.1, "gamma": 2.0, "step_size": 10}},
            ),
            Bad("camel-case", "stepsPerEpoch", {"stepsPerEpoch": 10, "steps_per_epoch": DROP}),
        ),
        combinator=True,
    ),
    "after_horizon": Rows(
        cases={
            "after_horizon_repeat": lrcore.after_horizon(
                lrcore.linear(start=0.1, end=0.001, steps=500), policy="repeat"
            ),
            "after_horizon_continue": lrcore.after_horizon(
                lrcore.cosine(start=0.1, end=0.001, steps=700), policy="continue"
            ),
        },
        goldens=(
            Golden(
                lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=4), policy="repeat"),
                exact={3: 0.25, 4: 1.0, 5: 0.75},
            ),
            Golden(
                lrcore.after_horizon(lrcore.cosine(start=1.0, end=0.0, steps=10), policy="continue"),
                exact={20: 1.0},
                near={15: 0.5 * (1 + math.cos(math.pi * 15 / 10))},
                source="torch CosineAnnealingLR past T_max",
            ),
            Golden(
                lrcore.after_horizon(lrcore.linear(start=1.0, end=0.0, steps=10), policy="hold", horizon=5),
                exact={5: 0.5, 9: 0.5},
            ),
        ),
        long={
            "after_horizon": lrcore.after_horizon(
                lrcore.cosine(start=3e-4, end=0.0, steps=N // 10), policy="repeat"
            )
        },
        config=_after_horizon,
        base={"type": "after_horizon", "schedule": COSINE_100, "policy": "repeat"},
        fields={"horizon": "steps_or_none"},
        bad=(
            Bad("policy-typo", "policy", {"policy": "repaet"}, "did you mean 'repeat'"),
            Bad("continue-not-periodic", "policy", {"schedule": BASE_LINEAR, "policy": "continue"}),
            Bad("continue-with-horizon", "horizon", {"policy": "continue", "horizon": 5}),
            Bad(
                "no-horizon",
                "horizon",
                {"schedule": {"type": "exponential", "start": 0.1, "rate": 0.9}, "policy": "hold"},
                "missing",
            ),
            Bad("missing-policy", "policy", {"policy": DROP}),
        ),
        combinator=True,
    ),
}


# -- what the tests read ----------------------------------------------------------------


def schedule_types() -> set[str]:
    """The config types of every registered schedule (the metric-driven plateau is its own
    kind of object, tested in tests/core/test_plateau.py)."""
    return {
        name
        for name, cls in lrcore.REGISTRY.items()
        if isinstance(cls, type) and issubclass(cls, lrcore.Schedule) and not issubclass(cls, lrcore.Plateau)
    }


CATALOG_CASES: dict[str, lrcore.Schedule] = {
    name: s for rows in TABLE.values() if not rows.combinator for name, s in rows.cases.items()
}
COMBINATOR_CASES: dict[str, lrcore.Schedule] = {
    name: s for rows in TABLE.values() if rows.combinator for name, s in rows.cases.items()
}
CASES: dict[str, lrcore.Schedule] = {**CATALOG_CASES, **COMBINATOR_CASES}
LONG: dict[str, lrcore.Schedule] = {name: s for rows in TABLE.values() for name, s in rows.long.items()}
GOLDENS: dict[str, Golden] = {
    f"{kind}-{i}": golden for kind, rows in TABLE.items() for i, golden in enumerate(rows.goldens)
}
BASE: dict[str, Config] = {kind: rows.base for kind, rows in TABLE.items()}


def configs(domain: Domain, max_leaves: int = 5) -> st.SearchStrategy[Config]:
    """Random valid configs of every type, combinators nesting any of them."""
    leaves = sorted(kind for kind, rows in TABLE.items() if not rows.combinator)
    combinators = sorted(kind for kind, rows in TABLE.items() if rows.combinator)

    @st.composite
    def leaf(d: st.DrawFn) -> Config:
        return TABLE[d(st.sampled_from(leaves))].config(d, domain)

    def extend(inner: st.SearchStrategy[Config]) -> st.SearchStrategy[Config]:
        @st.composite
        def combine(d: st.DrawFn) -> Config:
            return TABLE[d(st.sampled_from(combinators))].config(d, domain, inner)

        return combine()

    return st.recursive(leaf(), extend, max_leaves=max_leaves)


def type_configs(kind: str, domain: Domain) -> st.SearchStrategy[Config]:
    """Random valid configs of one type (a combinator's inner configs are constants)."""
    rows = TABLE[kind]
    inner = TABLE["constant"].config
    if rows.combinator:
        leaf = st.composite(lambda d: inner(d, domain))()
        return st.composite(lambda d: rows.config(d, domain, leaf))()
    return st.composite(lambda d: rows.config(d, domain))()


def _domains() -> dict[str, Domain]:
    """The consumers' ranges (built on first use: the bench imports this module without
    hypothesis)."""
    fuzz_steps = st.one_of(
        st.integers(1, 2_000), st.integers(1, 10**7), st.sampled_from([1, 2, 2**31 - 1, 2**40])
    )
    return {
        "CONFIG_DOMAIN": Domain(  # round trips: everyday values
            rates=st.floats(min_value=1e-6, max_value=1.0),
            steps=st.integers(1, 10_000),
            counts=st.integers(0, 10_000),
            fractions=st.floats(min_value=0.01, max_value=1.0),
            boundary_max=10_000,
        ),
        "FUZZ_DOMAIN": Domain(  # the fuzzer: zero, tiny and huge values, steps to 2**40
            rates=st.one_of(
                st.just(0.0), st.floats(min_value=1e-8, max_value=10.0), st.sampled_from([1e-30, 1.0])
            ),
            steps=fuzz_steps,
            counts=st.one_of(st.just(0), fuzz_steps),
            fractions=st.floats(min_value=1e-6, max_value=1.0),
            boundary_max=10**6,
        ),
        "CONFORMANCE_DOMAIN": Domain(  # short runs that real training loops replay on every backend
            rates=st.floats(min_value=1e-5, max_value=1.0),
            steps=st.integers(1, 600),
            counts=st.integers(0, 600),
            fractions=st.floats(min_value=0.5, max_value=1.0),
            boundary_max=400,
            # Rising curves too (start < end): every framework's training loop replays them.
            rising=True,
        ),
    }


def __getattr__(name: str) -> Domain:
    if name in ("CONFIG_DOMAIN", "FUZZ_DOMAIN", "CONFORMANCE_DOMAIN"):
        return _domains()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
