"""lrcore.plateau without a framework: validation, the state machine's edge cases,
non-finite and negative metrics, configs and state serialization, the float32 path.

The strategies and the reference loop at the top are shared with the adapter tests
(tests/adapters/test_plateau_*.py), which feed the same metric sequences to torch, optax
and Keras.
"""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrcore
from lrcore import ConfigError
from lrcore._namespace import numpy_namespace
from lrcore._plateau import CHAIN_CAP, Plateau, PlateauState

# -- shared with the adapter tests -------------------------------------------------------

# Metrics on a grid of quarters, and thresholds whose improvement bounds stay far from
# (or exactly on) the grid: float32 and float64 comparisons then agree, so every backend
# must give the same curve. (Arbitrary float64 metrics are golden-tested against torch.)
GRID_THRESHOLDS = {"rel": [0.0, 1e-4, 0.01, 0.25], "abs": [0.0, 1e-4, 0.01, 0.25]}


@st.composite
def grid_cases(draw, max_reports: int = 24):
    mode = draw(st.sampled_from(["min", "max"]))
    threshold_mode = draw(st.sampled_from(["rel", "abs"]))
    params = {
        "mode": mode,
        "threshold_mode": threshold_mode,
        "threshold": draw(st.sampled_from(GRID_THRESHOLDS[threshold_mode])),
        "factor": draw(st.sampled_from([0.1, 0.5, 0.3, 0.9])),
        "patience": draw(st.integers(0, 2)),
        "cooldown": draw(st.integers(0, 2)),
        "min_lr": draw(st.sampled_from([0.0, 0.002])),
    }
    worse = math.inf if mode == "min" else -math.inf
    metric = st.one_of(st.integers(-8, 8).map(lambda k: k / 4), st.just(math.nan), st.just(worse))
    metrics = draw(st.lists(metric, min_size=1, max_size=max_reports))
    return params, metrics


INNERS = {
    "constant": 0.1,
    "warmup_cosine": lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=120), steps=20),
    "step": lrcore.step(start=0.05, gamma=0.5, step_size=30),
}


def reference_lrs(plateau: Plateau, metrics, updates_per_epoch: int) -> np.ndarray:
    """The float64 learning rate of every update when ``metrics[e]`` is reported after
    epoch ``e`` (the host reference every adapter must reproduce)."""
    state = plateau.initial_state()
    out, t = [], 0
    for metric in metrics:
        for _ in range(updates_per_epoch):
            out.append(plateau.lr(t, state))
            t += 1
        state = plateau.update(state, metric)
    return np.asarray(out)


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"mode": "minimum"}, "mode"),
        ({"threshold_mode": "relative"}, "threshold_mode"),
        ({"factor": 1.0}, "factor"),
        ({"factor": 0.0}, "factor"),
        ({"factor": 1.5}, "factor"),
        ({"patience": -1}, "patience"),
        ({"patience": 2.5}, "patience"),
        ({"cooldown": -1}, "cooldown"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": 1.0}, "threshold"),  # rel: best * (1 - threshold) would be <= 0
        ({"min_lr": -1e-3}, "min_lr"),
        ({"eps": -1.0}, "eps"),
        ({"eps": math.nan}, "eps"),
        ({"nonfinite": "skip"}, "nonfinite"),
    ],
)
def test_invalid_parameters_name_the_field(kwargs, path) -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        Plateau(0.1, **kwargs)
    assert info.value.path == path


def test_invalid_inner_and_nested_config_paths() -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        Plateau(-0.1)
    assert info.value.path == "schedule"
    with pytest.raises(lrcore.ConfigError) as info:
        lrcore.from_config({"type": "plateau", "schedule": {"type": "cosine", "start": 0.1, "end": 0.0}})
    assert info.value.path == "schedule.steps"
    with pytest.raises(lrcore.ConfigError, match="did you mean 'patience'"):
        lrcore.from_config({"type": "plateau", "schedule": 0.1, "patiense": 3})
    # an absolute threshold may exceed 1
    assert Plateau(0.1, threshold=5.0, threshold_mode="abs").threshold == 5.0


def test_a_plateau_is_not_a_plain_schedule() -> None:
    p = Plateau(lrcore.cosine(start=0.1, end=0.0, steps=10))
    assert not isinstance(p, lrcore.Schedule)
    with pytest.raises(TypeError, match=r"plateau\.lr"):
        p(3)
    with pytest.raises(TypeError, match=r"plateau\.lr"):
        p.values([0, 1])


COMBINATORS_OF_ONE = {
    "warmup": lambda p: lrcore.warmup(p, steps=3),
    "scale": lambda p: lrcore.scale(p, factor=0.5),
    "scale_factor": lambda p: lrcore.scale(lrcore.constant(value=0.1), factor=p),
    "clip": lambda p: lrcore.clip(p, max=0.1),
    "per_epoch": lambda p: lrcore.per_epoch(p, steps_per_epoch=10),
    "join": lambda p: lrcore.join([lrcore.constant(value=0.1), p], boundaries=[5]),
    "plateau_in_plateau": lambda p: lrcore.plateau(p),
}


@pytest.mark.parametrize("build", COMBINATORS_OF_ONE.values(), ids=COMBINATORS_OF_ONE.keys())
def test_every_combinator_refuses_a_plateau_when_built(build) -> None:
    p = Plateau(lrcore.cosine(start=0.1, end=0.0, steps=10))
    with pytest.raises(ConfigError, match="plateau_scheduler") as info:
        build(p)
    assert "not a schedule" in str(info.value)


def test_a_config_nesting_a_plateau_is_refused_with_its_path() -> None:
    config = {
        "type": "join",
        "schedules": [{"type": "constant", "value": 0.1}, {"type": "plateau", "schedule": 0.1}],
        "boundaries": [5],
    }
    with pytest.raises(ConfigError, match="plateau_transform") as info:
        lrcore.from_config(config)
    assert info.value.path == "schedules[1]"
    assert isinstance(lrcore.from_config({"type": "plateau", "schedule": 0.1}), Plateau)


# -- the state machine -------------------------------------------------------------------


def run(plateau: Plateau, metrics):
    state = plateau.initial_state()
    states = []
    for m in metrics:
        state = plateau.update(state, m)
        states.append(state)
    return states


def test_reduces_when_bad_epochs_exceed_patience() -> None:
    p = Plateau(1.0, patience=2, factor=0.5)
    levels = [s.level for s in run(p, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])]
    # report 1 sets best; bad epochs 1, 2 wait; the third (> patience) reduces.
    assert levels == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_cooldown_forgets_bad_epochs() -> None:
    p = Plateau(1.0, patience=0, factor=0.5, cooldown=2)
    levels = [s.level for s in run(p, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0])]
    assert levels == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert [s.cooldown_counter for s in run(p, [1.0, 2.0, 2.0, 2.0, 2.0])] == [0, 2, 1, 0, 2]


def test_min_lr_and_eps_stop_reductions() -> None:
    p = Plateau(0.1, patience=0, factor=0.1, min_lr=0.002)
    states = run(p, [1.0] + [2.0] * 5)
    assert [s.level for s in states] == [0.1, 0.010000000000000002, 0.002, 0.002, 0.002, 0.002]
    assert states[-1].reductions == 2
    tiny = Plateau(1e-7, patience=0, factor=0.1)  # 1e-7 -> 1e-8 applies, 1e-8 -> 1e-9 is < eps
    assert [s.level for s in run(tiny, [1.0, 2.0, 2.0, 2.0])] == [1e-7, 1e-7 * 0.1, 1e-7 * 0.1, 1e-7 * 0.1]
    below = Plateau(0.001, patience=0, min_lr=0.01)  # an lr below min_lr is never raised
    assert run(below, [1.0, 2.0, 2.0])[-1].level == 0.001


def test_schedule_inner_scales_and_floors() -> None:
    inner = lrcore.warmup(lrcore.cosine(start=0.1, end=0.0, steps=100), steps=10)
    p = Plateau(inner, patience=0, factor=0.1, min_lr=0.02)
    state = run(p, [1.0, 2.0])[-1]
    assert state.level == 0.1
    assert p.lr(0, state) == 0.0  # warmup from 0 is not raised to min_lr
    assert p.lr(1, state) == inner(1) < 0.02  # still below min_lr: the schedule itself
    assert p.lr(3, state) == 0.02  # reduced to 0.003, floored at min_lr
    assert p.lr(10, state) == 0.02  # 0.1 reduced to 0.01: floored
    assert p.lr(110, state) == 0.0  # the schedule itself ends at 0
    ts = np.arange(0, 130)
    lrs = np.array([p.lr(int(t), state) for t in ts])
    assert np.all(lrs <= inner.values(ts))
    assert np.all((lrs >= 0.02) | (lrs == inner.values(ts)))
    low = Plateau(inner, patience=0, factor=0.5, min_lr=0.002)
    state = run(low, [1.0, 2.0])[-1]
    assert low.lr(10, state) == 0.05 and low.lr(30, state) == inner(30) * 0.5
    # With min_lr 0 it is a pure multiplier.
    q = Plateau(inner, patience=0, factor=0.1)
    assert q.lr(50, run(q, [1.0, 2.0])[-1]) == inner(50) * 0.1


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nonfinite_metrics_count_as_bad_epochs(mode, bad) -> None:
    p = Plateau(0.1, mode=mode, patience=1)
    states = run(p, [1.0, bad, bad, bad, bad])
    assert [s.best for s in states] == [1.0] * 5
    assert [s.num_bad_epochs for s in states] == [0, 1, 0, 1, 0]
    assert [s.reductions for s in states] == [0, 0, 1, 1, 2]
    assert all(math.isfinite(p.lr(0, s)) for s in states)
    first = run(p, [bad])[0]  # before any finite metric, best stays at the worst value
    assert first.best == (math.inf if mode == "min" else -math.inf) and first.num_bad_epochs == 1


def test_nonfinite_raise() -> None:
    p = Plateau(0.1, nonfinite="raise")
    state = p.update(p.initial_state(), 1.0)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="metric"):
            p.update(state, bad)
    with pytest.raises(TypeError, match="metric"):
        p.update(state, "0.5")
    assert p.update(state, np.float32(0.5)).best == 0.5


def test_negative_metrics() -> None:
    p = Plateau(1.0, patience=0, factor=0.5, threshold=0.1, threshold_mode="abs")
    states = run(p, [-1.0, -1.05, -1.2, -1.25])
    assert [s.best for s in states] == [-1.0, -1.0, -1.2, -1.2]
    assert [s.level for s in states] == [1.0, 0.5, 0.5, 0.25]
    # torch's relative bound for a negative best: best * (1 - threshold) lies above it, so
    # a slightly worse metric still counts as an improvement (kept for torch parity).
    rel = Plateau(1.0, patience=0, threshold=0.1)
    assert [s.best for s in run(rel, [-1.0, -0.95])] == [-1.0, -0.95]
    big = Plateau(1.0, mode="max", patience=0)
    assert [s.best for s in run(big, [-1e300, -5e299, 1e-300])] == [-1e300, -5e299, 1e-300]


# -- configs and state serialization -------------------------------------------------------


PLATEAUS = [
    Plateau(0.1),
    Plateau(
        lrcore.constant(value=0.2),
        mode="max",
        factor=0.5,
        patience=3,
        threshold=0.01,
        threshold_mode="abs",
        cooldown=2,
        min_lr=1e-5,
        eps=0.0,
        nonfinite="raise",
    ),
    Plateau(INNERS["warmup_cosine"], patience=4),
]


@pytest.mark.parametrize("plateau", PLATEAUS, ids=repr)
def test_config_round_trip(plateau, tmp_path) -> None:
    config = plateau.to_config()
    assert json.loads(json.dumps(config)) == config
    assert lrcore.from_config(config) == plateau
    assert lrcore.loads(json.dumps(config)) == plateau
    assert hash(lrcore.from_config(config)) == hash(plateau)
    # repr reads as the constructor call (lrcore.plateau is Plateau once lrcore exports it)
    shim = types.SimpleNamespace(**{name: getattr(lrcore, name) for name in dir(lrcore)})
    shim.plateau = Plateau
    assert eval(repr(plateau), {"lrcore": shim}) == plateau
    for suffix in (".yaml", ".toml"):
        path = tmp_path / f"p{suffix}"
        lrcore.dump(plateau, path)
        assert lrcore.load(path) == plateau


def test_defaults_match_torch() -> None:
    assert Plateau(0.1).to_config() == {"type": "plateau", "schedule": 0.1}
    p = Plateau(0.1)
    assert (p.mode, p.factor, p.patience, p.threshold, p.threshold_mode, p.cooldown, p.min_lr, p.eps) == (
        "min",
        0.1,
        10,
        1e-4,
        "rel",
        0,
        0.0,
        1e-8,
    )


@settings(max_examples=60, deadline=None)
@given(grid_cases())
def test_state_serialization_round_trip(case) -> None:
    params, metrics = case
    p = Plateau(0.1, **params)
    state = p.initial_state()
    for m in metrics:
        data = json.loads(json.dumps(p.state_to_dict(state), allow_nan=False))
        restored = p.state_from_dict(data)
        assert restored == state
        state = p.update(restored, m)


def test_state_from_dict_validates() -> None:
    p = Plateau(0.1)
    good = p.state_to_dict(p.initial_state())
    assert good["best"] is None
    for key, value in [
        ("level", 0.5),
        ("level", -1.0),
        ("num_bad_epochs", -1),
        ("reports", 1.5),
        ("best", math.nan),
        ("best", "1"),
    ]:
        with pytest.raises(lrcore.ConfigError) as info:
            p.state_from_dict({**good, key: value})
        assert info.value.path == f"state.{key}"
    with pytest.raises(lrcore.ConfigError, match="unknown"):
        p.state_from_dict({**good, "wait": 0})
    with pytest.raises(lrcore.ConfigError, match="missing"):
        p.state_from_dict({k: v for k, v in good.items() if k != "level"})


def test_state_is_a_small_plain_value() -> None:
    p = Plateau(0.1)
    state = p.update(p.initial_state(), 0.5)
    assert isinstance(state, PlateauState) and isinstance(state, tuple)
    assert all(type(v) in (int, float) for v in state)
    assert state._replace(reports=0) != state  # immutable: updates make new values


# -- the traced transition in float32 (what JAX without x64 runs) ---------------------------


def float32_run(plateau: Plateau, metrics):
    xp = numpy_namespace(32)
    np32 = xp.np
    s = plateau.initial_state()
    state = PlateauState(
        np32.float32(s.best),
        np32.int64(0),
        np32.int64(0),
        np32.float32(s.level),
        np32.int64(0),
        np32.int64(0),
    )
    out = []
    for m in metrics:
        state = plateau.transition(xp, state, np32.float32(m))
        out.append(state)
    return out


@settings(max_examples=150, deadline=None)
@given(grid_cases(max_reports=40), st.sampled_from([0.1, 1.0, 3e-4, 1e-7]))
def test_float32_transition_levels_are_float32_of_the_reference(case, lr) -> None:
    params, metrics = case
    p = Plateau(lr, **params)
    ref = run(p, metrics)
    f32 = float32_run(p, metrics)
    for r, s in zip(ref, f32, strict=True):
        assert np.float32(r.level) == s.level
        assert (r.num_bad_epochs, r.cooldown_counter, r.reductions) == (
            int(s.num_bad_epochs),
            int(s.cooldown_counter),
            int(s.reductions),
        )
        assert p.level_after(r.reductions) == r.level


def test_level_after_beyond_the_table() -> None:
    p = Plateau(1.0, factor=0.999, eps=0.0, patience=0)
    state = p.initial_state()
    for i in range(CHAIN_CAP + 5):
        state = p.update(state, float(i))  # ever worse: a reduction per report
    assert state.reductions == CHAIN_CAP + 4
    assert p.level_after(state.reductions) == state.level


# -- atol: an absolute margin on top of the threshold (optax's rtol and atol together) -------


@pytest.mark.parametrize(
    ("mode", "threshold_mode", "threshold", "atol", "metrics", "bad"),
    [
        # min, rel: better iff m < best * (1 - threshold) - atol
        ("min", "rel", 0.1, 0.05, [1.0, 0.86, 0.84], [0, 1, 0]),
        # min, abs: better iff m < best - threshold - atol
        ("min", "abs", 0.1, 0.05, [1.0, 0.86, 0.84], [0, 1, 0]),
        # max, rel: better iff m > best * (1 + threshold) + atol
        ("max", "rel", 0.1, 0.05, [1.0, 1.14, 1.16], [0, 1, 0]),
        # max, abs: better iff m > best + threshold + atol
        ("max", "abs", 0.1, 0.05, [1.0, 1.14, 1.16], [0, 1, 0]),
        # rel with threshold 0: optax's rtol=0, a purely absolute margin
        ("min", "rel", 0.0, 0.5, [3.0, 2.6, 2.4], [0, 1, 0]),
    ],
)
def test_atol_moves_the_improvement_bound(
    mode: str, threshold_mode: str, threshold: float, atol: float, metrics: list[float], bad: list[int]
) -> None:
    p = Plateau(0.1, mode=mode, threshold=threshold, threshold_mode=threshold_mode, atol=atol, patience=5)
    without = Plateau(0.1, mode=mode, threshold=threshold, threshold_mode=threshold_mode, patience=5)
    state, plain = p.initial_state(), without.initial_state()
    seen, seen_plain = [], []
    for m in metrics:
        state, plain = p.update(state, m), without.update(plain, m)
        seen.append(state.num_bad_epochs)
        seen_plain.append(plain.num_bad_epochs)
    assert seen == bad
    assert seen_plain[1] == 0  # without the margin the second report improves
    assert lrcore.from_config(p.to_config()) == p and p.to_config()["atol"] == atol


def test_atol_defaults_to_torchs_rule_and_refuses_negatives() -> None:
    assert "atol" not in Plateau(0.1).to_config()
    assert Plateau(0.1, atol=0.0) == Plateau(0.1)
    with pytest.raises(ConfigError) as info:
        Plateau(0.1, atol=-1e-3)
    assert info.value.path == "atol"
