"""lrcore.compat.optax against optax.schedules, evaluated natively on the whole step vector.

The native runs inside ``jax.enable_x64(True)``, so optax's formula is evaluated in float64:
lrcore's float64 curve must match it to 1e-12 relative plus the native's float64 rounding, and
lrcore's float32 evaluation must stay within 4 float32 ulps of it. optax's own default float32
evaluation is *not* the reference (its naive formulas lose up to 100% at the end of a cosine);
``test_native_float32_error_is_larger`` shows it.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
import lrcore.compat.optax as O
from lrcore.precision import ulps as ulps32
from tests.compat._parity import N, assert_close
from tests.conftest import require

pytestmark = pytest.mark.optax
jax = require("jax")
optax = require("optax")


def native_curve(schedule: object, n: int, x64: bool = True) -> np.ndarray:
    with jax.enable_x64(x64):
        steps = jax.numpy.arange(n)
        try:
            out = np.asarray(schedule(steps))
        except TypeError:  # piecewise_interpolate_schedule needs a scalar count: map it
            out = np.asarray(jax.vmap(schedule)(steps))
    return np.broadcast_to(out, (n,)).astype(np.float64)


def both(name: str, *args: object, **kwargs: object) -> tuple[object, lrcore.Schedule]:
    return getattr(optax.schedules, name)(*args, **kwargs), getattr(O, name)(*args, **kwargs)


CASES = {
    "constant_schedule": both("constant_schedule", 0.05),
    "polynomial_schedule": both("polynomial_schedule", 0.1, 1e-4, 2.5, 9000, 500),
    "polynomial_schedule_no_steps": both("polynomial_schedule", 0.1, 1e-4, 2.0, 0),
    "linear_schedule": both("linear_schedule", 0.0, 0.1, 8000, 1000),
    "piecewise_constant_schedule": both("piecewise_constant_schedule", 0.1, {3000: 0.5, 6000: 0.2, 0: 0.9}),
    "exponential_decay": both("exponential_decay", 0.1, 100, 0.97),
    "exponential_decay_staircase_begin_end": both(
        "exponential_decay", 0.1, 700, 0.5, transition_begin=300, staircase=True, end_value=0.002
    ),
    "exponential_decay_growing": both("exponential_decay", 1e-4, 500, 2.0, end_value=0.05),
    "exponential_decay_fractional": both("exponential_decay", 0.1, 2.5, 0.999),
    "cosine_decay_schedule": both("cosine_decay_schedule", 0.1, 9000, alpha=0.01),
    "cosine_decay_schedule_exponent": both("cosine_decay_schedule", 0.1, 9000, alpha=0.0, exponent=2.0),
    "piecewise_interpolate_linear": both(
        "piecewise_interpolate_schedule", "linear", 0.1, {1000: 0.5, 5000: 0.1, 9000: 2.0}
    ),
    "piecewise_interpolate_cosine": both(
        "piecewise_interpolate_schedule", "cosine", 0.1, {0: 0.5, 4000: 0.1, 9000: 3.0}
    ),
    "linear_onecycle_schedule": both("linear_onecycle_schedule", 9000, 0.1),
    "cosine_onecycle_schedule": both("cosine_onecycle_schedule", 9000, 0.1, pct_start=0.25),
    "warmup_constant_schedule": both("warmup_constant_schedule", 0.0, 0.1, 1000),
    "warmup_constant_schedule_no_warmup": both("warmup_constant_schedule", 0.01, 0.1, 0),
    "warmup_cosine_decay_schedule": both(
        "warmup_cosine_decay_schedule", 0.0, 0.1, 1000, 9000, end_value=1e-4
    ),
    "warmup_cosine_decay_schedule_exponent": both(
        "warmup_cosine_decay_schedule", 1e-3, 0.1, 500, 9500, exponent=1.5
    ),
    "warmup_exponential_decay_schedule": both(
        "warmup_exponential_decay_schedule",
        0.0,
        0.1,
        500,
        300,
        0.9,
        transition_begin=1000,
        staircase=True,
        end_value=1e-3,
    ),
    "sgdr_schedule": both(
        "sgdr_schedule",
        [
            {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 100, "decay_steps": 3000},
            {
                "init_value": 0.01,
                "peak_value": 0.05,
                "warmup_steps": 200,
                "decay_steps": 4000,
                "end_value": 1e-3,
            },
            {"init_value": 0.0, "peak_value": 0.02, "warmup_steps": 0, "decay_steps": 2500},
        ],
    ),
}
CASES["join_schedules"] = (
    optax.schedules.join_schedules(
        [
            optax.schedules.linear_schedule(0.0, 0.1, 1000),
            optax.schedules.cosine_decay_schedule(0.1, 8000, alpha=0.01),
        ],
        [1000],
    ),
    O.join_schedules(
        [O.linear_schedule(0.0, 0.1, 1000), O.cosine_decay_schedule(0.1, 8000, alpha=0.01)], [1000]
    ),
)


# lrcore's float32 cosine with exponent != 1 (a float32 pow of the squared sine) reaches 5 ulps
# here; a core precision issue, reported, not a porting one.
F32_ULPS = {"cosine_decay_schedule_exponent": 5}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name: str) -> None:
    native_schedule, ours = CASES[name]
    native = native_curve(native_schedule, N)
    assert_close(ours.values(np.arange(N)), native, what=name)
    assert int(ulps32(ours.values(np.arange(N), bits=32), native).max()) <= F32_ULPS.get(name, 4)


def test_native_float32_error_is_larger() -> None:
    """optax in float32 near the end of a cosine: far from its own float64 curve; lrcore's
    float32 evaluation is not."""
    native, ours = CASES["cosine_decay_schedule_exponent"]
    steps = np.arange(8900, 9000)
    f64 = native_curve(native, N, x64=True)[steps]
    f32 = native_curve(native, N, x64=False)[steps]
    assert ulps32(f32, f64).max() > 1000
    assert ulps32(ours.values(steps, bits=32), f64).max() <= 4


def test_config_round_trip() -> None:
    for _, ours in CASES.values():
        assert lrcore.from_config(ours.to_config()) == ours


# -- optax.contrib.reduce_on_plateau -------------------------------------------------------


def _losses(n: int, seed: int) -> np.ndarray:
    """A noisy loss that plateaus: improvements early, long flat stretches later."""
    rng = np.random.default_rng(seed)
    return 1.0 / np.sqrt(1.0 + np.arange(n) / 50.0) + rng.normal(0.0, 0.02, n)


def _applied(tx: object, values: np.ndarray, reports: np.ndarray | None = None) -> np.ndarray:
    """The lr of each update: ``tx`` ends in a negative-lr scaling, fed gradients of ones."""
    params = {"w": jax.numpy.zeros(3)}
    state = tx.init(params)
    grads = {"w": jax.numpy.ones(3)}
    if reports is None:
        step = jax.jit(lambda s, v: tx.update(grads, s, params, value=v))
    else:
        step = jax.jit(lambda s, v, r: tx.update(grads, s, params, value=v, report=r))
    out = np.empty(len(values))
    for i, value in enumerate(values):
        args = (state, value) if reports is None else (state, value, reports[i])
        updates, state = step(*args)
        out[i] = -float(updates["w"][0])
    return out


@pytest.mark.parametrize(
    ("lr", "kwargs"),
    [
        (0.1, {"factor": 0.5, "patience": 20, "cooldown": 10, "min_scale": 1e-3}),
        (0.1, {"factor": 0.3, "patience": 1, "rtol": 0.0, "atol": 1e-3}),
        ("cosine", {"factor": 0.5, "patience": 50, "rtol": 1e-3}),
        (0.1, {"factor": 0.5, "patience": 10, "rtol": 1e-3, "atol": 2e-3, "cooldown": 3}),
    ],
)
def test_reduce_on_plateau_parity(lr: object, kwargs: dict[str, float]) -> None:
    from lrcore.adapters.optax import plateau_transform

    values = _losses(N, seed=1)
    with jax.enable_x64(True):
        native_lr = optax.schedules.cosine_decay_schedule(0.1, N, alpha=0.01) if lr == "cosine" else lr
        ours_lr = O.cosine_decay_schedule(0.1, N, alpha=0.01) if lr == "cosine" else lr
        native = _applied(
            optax.chain(optax.sgd(native_lr), optax.contrib.reduce_on_plateau(**kwargs)), values
        )
        plateau = O.reduce_on_plateau(ours_lr, **kwargs)
        ours = _applied(plateau_transform(plateau, bits=64), values)
    unreduced = ours_lr(N - 1) if isinstance(ours_lr, lrcore.Schedule) else ours_lr
    assert native[-1] <= 0.25 * unreduced  # the plateau did reduce, at least twice
    assert_close(ours, native, what=str(kwargs))
    assert lrcore.from_config(plateau.to_config()) == plateau


def test_reduce_on_plateau_accumulation_recipe() -> None:
    """optax's ``accumulation_size=k`` is lrcore's plateau reported the mean of each k values."""
    from lrcore.adapters.optax import plateau_transform

    k, values = 8, _losses(N, seed=2)
    means, reports, count, mean = np.empty(N), np.zeros(N, dtype=bool), 0, 0.0
    for i, v in enumerate(values):  # optax's running mean, in its own arithmetic
        mean, count = (count * mean + v) / (count + 1), count + 1
        means[i] = mean
        if count == k:
            reports[i], count, mean = True, 0, 0.0
    with jax.enable_x64(True):
        native_tx = optax.chain(
            optax.sgd(0.1), optax.contrib.reduce_on_plateau(factor=0.5, patience=5, accumulation_size=k)
        )
        native = _applied(native_tx, values)
        ours = _applied(
            plateau_transform(O.reduce_on_plateau(0.1, factor=0.5, patience=5), bits=64), means, reports
        )
    assert native[-1] <= 0.25 * 0.1
    assert_close(ours, native)
    with pytest.raises(lrcore.ConfigError, match="accumulation_size"):
        O.reduce_on_plateau(0.1, accumulation_size=k)


@pytest.mark.parametrize(
    ("kwargs", "path", "native_refuses"),
    [
        ({"factor": 1.0}, "reduce_on_plateau.factor", True),
        ({"factor": 0.0}, "reduce_on_plateau.factor", True),
        ({"rtol": -1e-3}, "reduce_on_plateau.rtol", True),
        ({"rtol": 1.5}, "reduce_on_plateau.rtol", True),
        ({"atol": -1.0}, "reduce_on_plateau.atol", True),
        ({"rtol": 0.0, "atol": 0.0}, "reduce_on_plateau.atol", True),
        ({"rtol": 1.0}, "reduce_on_plateau.rtol", False),
        ({"patience": 0}, "reduce_on_plateau.patience", False),
    ],
)
def test_reduce_on_plateau_refusals(kwargs: dict[str, float], path: str, native_refuses: bool) -> None:
    if native_refuses:
        with pytest.raises(ValueError):
            optax.contrib.reduce_on_plateau(**kwargs)
    with pytest.raises(lrcore.ConfigError) as info:
        O.reduce_on_plateau(0.1, **kwargs)
    assert info.value.path == path


@pytest.mark.parametrize(
    ("name", "args", "path"),
    [
        (
            "piecewise_constant_schedule",
            (0.1, {10: -0.5}),
            "piecewise_constant_schedule.boundaries_and_scales[10]",
        ),
        ("cosine_decay_schedule", (0.1, 0), "cosine_decay_schedule.decay_steps"),
        (
            "piecewise_interpolate_schedule",
            ("cubic", 0.1, {10: 0.5}),
            "piecewise_interpolate_schedule.interpolate_type",
        ),
        (
            "piecewise_interpolate_schedule",
            ("linear", 0.1, {10: -0.5}),
            "piecewise_interpolate_schedule.boundaries_and_scales[10]",
        ),
        ("linear_onecycle_schedule", (0, 0.1), "linear_onecycle_schedule.transition_steps"),
        ("cosine_onecycle_schedule", (-10, 0.1), "cosine_onecycle_schedule.transition_steps"),
    ],
)
def test_refuses_what_optax_refuses(name: str, args: tuple[object, ...], path: str) -> None:
    with pytest.raises(ValueError):
        getattr(optax.schedules, name)(*args)
    with pytest.raises(lrcore.ConfigError) as info:
        getattr(O, name)(*args)
    assert info.value.path == path
