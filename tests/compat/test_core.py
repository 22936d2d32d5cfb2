"""Porting tests that need no framework: from_function and the seeds' Keras examples, the
transformers mappings against a transcription of transformers' lambdas, native-named errors,
and the examples of docs/porting.md."""

from __future__ import annotations

import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import lrcore
import lrcore.compat.keras as K
import lrcore.compat.optax as O
import lrcore.compat.torch as T
import lrcore.compat.transformers as H
from lrcore.compat import load_plateau
from lrcore.porting import from_function
from tests.compat._parity import assert_close

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_porting_imports_no_framework() -> None:
    code = (
        "import sys, lrcore.porting, lrcore.compat.torch, lrcore.compat.keras, lrcore.compat.optax, "
        "lrcore.compat.transformers, lrcore.compat.timm, lrcore.compat.deepspeed\n"
        "lrcore.from_timm\n"
        "frameworks = ('torch', 'jax', 'optax', 'tensorflow', 'keras', 'transformers', 'timm', 'deepspeed')\n"
        "bad = [m for m in frameworks if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the seeds' Keras LearningRateScheduler examples --------------------------------------


def test_seed_step_function_matches_catalog() -> None:
    """seed 001: ``lr = 0.01 * 0.1 ** (epoch // 5)``, a one-argument Keras schedule."""
    tabulated = from_function(lambda epoch: 0.01 * 0.1 ** (epoch // 5), steps=30)
    catalog = lrcore.step(start=0.01, gamma=0.1, step_size=5)
    epochs = np.arange(40)
    assert_close(tabulated.values(epochs[:30]), catalog.values(epochs[:30]))
    assert tabulated(0) == tabulated(4) == 0.01
    assert math.isclose(tabulated(5), 0.001, rel_tol=1e-15)
    assert math.isclose(tabulated(29), 1e-7, rel_tol=1e-14)


@pytest.mark.parametrize("state_bits", [64, 32])
def test_seed_recurrence(state_bits: int) -> None:
    """seed 000: keep lr for ten epochs, then ``lr * exp(-0.1)``; 0.00607 after 15 epochs."""

    def scheduler(epoch: int, lr: float) -> float:
        return lr if epoch < 10 else lr * math.exp(-0.1)

    s = from_function(scheduler, steps=15, initial_lr=0.01, state_bits=state_bits)
    # Keras hands the function the lr read back from its float32 variable
    assert s(0) == s(9) == (0.01 if state_bits == 64 else float(np.float32(0.01)))
    assert round(s(14), 5) == 0.00607  # the lr of the 15th epoch, as the Keras docs print it
    assert math.isclose(s(14), 0.01 * math.exp(-0.5), rel_tol=1e-14 if state_bits == 64 else 1e-6)
    assert s(100) == s(14)  # held past the tabulated horizon
    on_steps = lrcore.per_epoch(s, steps_per_epoch=20)
    assert on_steps(20 * 14 + 19) == s(14)


def test_from_function_lambda_lr_multiplier() -> None:
    s = from_function(lambda t: 0.5 ** (t // 100), steps=1000, base_lr=0.2)
    assert s(0) == 0.2 and s(100) == 0.1 and s(999) == 0.2 * 0.5**9


@pytest.mark.parametrize("bad", [float("nan"), -1e-3, float("inf"), "0.1", None])
def test_from_function_rejects_bad_outputs_naming_the_step(bad: object) -> None:
    with pytest.raises(lrcore.ConfigError, match=r"fn\(3\)"):
        from_function(lambda t: bad if t == 3 else 0.1, steps=10)
    with pytest.raises(lrcore.ConfigError, match=r"fn\(3, lr\)"):
        from_function(lambda e, lr: bad if e == 3 else lr, steps=10, initial_lr=0.1)


def test_from_function_arguments() -> None:
    with pytest.raises(lrcore.ConfigError, match="steps"):
        from_function(lambda t: 0.1, steps=0)
    with pytest.raises(lrcore.ConfigError, match="base_lr"):
        from_function(lambda e, lr: lr, steps=3, initial_lr=0.1, base_lr=0.1)


# -- transformers: the lambdas of transformers/optimization.py, transcribed ----------------
# (Copied from transformers v4.5x optimization.py, Apache-2.0; the parity test against the real
# package lives in test_transformers.py and runs when transformers is installed.)


def _linear(t: int, w: int, n: int) -> float:
    if t < w:
        return float(t) / float(max(1, w))
    return max(0.0, float(n - t) / float(max(1, n - w)))


def _cosine(t: int, w: int, n: int, num_cycles: float = 0.5, min_lr_rate: float = 0.0) -> float:
    if t < w:
        return float(t) / float(max(1, w))
    progress = float(t - w) / float(max(1, n - w))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0, factor * (1 - min_lr_rate) + min_lr_rate)


def _hard_restarts(t: int, w: int, n: int, num_cycles: int = 1) -> float:
    if t < w:
        return float(t) / float(max(1, w))
    progress = float(t - w) / float(max(1, n - w))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def _polynomial(
    t: int, w: int, n: int, lr_end: float = 1e-7, power: float = 1.0, lr_init: float = 0.1
) -> float:
    if t < w:
        return float(t) / float(max(1, w))
    if t > n:
        return lr_end / lr_init
    decay = (lr_init - lr_end) * (1 - (t - w) / (n - w)) ** power + lr_end
    return decay / lr_init


def _inverse_sqrt(t: int, w: int, timescale: int | None = None) -> float:
    timescale = timescale or w or 10_000
    if t < w:
        return float(t) / float(max(1, w))
    return 1.0 / math.sqrt((t + timescale - w) / timescale)


def _cosine_warmup_min(
    t: int,
    w: int,
    n: int,
    num_cycles: float = 0.5,
    min_lr_rate: float = 0.0,
    warmup_lr_rate: float | None = None,
) -> float:
    step, warm, total = float(t), float(w), float(n)
    if step < warm:
        if warmup_lr_rate is None:
            return (step + 1.0) / max(1.0, warm)
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * step / max(1, warm - 1)
    progress = (step - warm + 1.0) / max(1.0, total - warm)
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    return max(0, factor * (1 - min_lr_rate) + min_lr_rate)


def _wsd(
    t: int,
    w: int,
    d: int,
    s: int,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> float:
    r = min_lr_ratio
    if t < w:
        p = float(t) / float(max(1, w))
        f = {"linear": p, "cosine": 0.5 * (1.0 - math.cos(math.pi * p)), "1-sqrt": 1.0 - math.sqrt(1.0 - p)}
        return max(0.0, f[warmup_type] * (1.0 - r) + r)
    if t < w + s:
        return 1.0
    if t < w + s + d:
        p = float(t - w - s) / float(max(1, d))
        g = {
            "linear": 1.0 - p,
            "cosine": 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * p)),
            "1-sqrt": 1.0 - math.sqrt(p),
        }
        return max(0.0, g[decay_type] * (1.0 - r) + r)
    return r


def _case(kind: str, w: int | None, n: int | None, kwargs: dict, factor: object) -> tuple:
    return kind, w, n, kwargs, H.get_scheduler(kind, 0.1, w, n, kwargs), factor


TRANSFORMERS_CASES = {
    "constant": _case("constant", None, None, {}, lambda t: 1.0),
    "constant_with_warmup": _case("constant_with_warmup", 700, None, {}, lambda t: min(1.0, t / 700)),
    "linear": _case("linear", 500, 10_000, {}, lambda t: _linear(t, 500, 10_000)),
    "cosine": _case("cosine", 500, 10_000, {}, lambda t: _cosine(t, 500, 10_000)),
    "cosine_two_cycles": _case(
        "cosine", 0, 10_000, {"num_cycles": 2.0}, lambda t: _cosine(t, 0, 10_000, 2.0)
    ),
    "cosine_tabulated": _case(
        "cosine", 300, 10_000, {"num_cycles": 0.7}, lambda t: _cosine(t, 300, 10_000, 0.7)
    ),
    "cosine_with_restarts": _case(
        "cosine_with_restarts", 400, 10_000, {"num_cycles": 4}, lambda t: _hard_restarts(t, 400, 10_000, 4)
    ),
    "cosine_with_restarts_tabulated": _case(
        "cosine_with_restarts", 400, 10_000, {"num_cycles": 3}, lambda t: _hard_restarts(t, 400, 10_000, 3)
    ),
    "polynomial": _case(
        "polynomial",
        500,
        9_000,
        {"lr_end": 1e-4, "power": 2.0},
        lambda t: _polynomial(t, 500, 9_000, 1e-4, 2.0),
    ),
    "inverse_sqrt": _case("inverse_sqrt", 1000, None, {}, lambda t: _inverse_sqrt(t, 1000)),
    "cosine_with_min_lr": _case(
        "cosine_with_min_lr",
        500,
        10_000,
        {"min_lr": 1e-3},
        lambda t: _cosine(t, 500, 10_000, 0.5, 1e-3 / 0.1),
    ),
    "cosine_warmup_with_min_lr": _case(
        "cosine_warmup_with_min_lr",
        500,
        10_000,
        {"min_lr_rate": 0.05},
        lambda t: _cosine_warmup_min(t, 500, 10_000, 0.5, 0.05),
    ),
    "cosine_warmup_with_min_lr_rate": _case(
        "cosine_warmup_with_min_lr",
        500,
        10_000,
        {"min_lr_rate": 0.05, "warmup_lr_rate": 0.1},
        lambda t: _cosine_warmup_min(t, 500, 10_000, 0.5, 0.05, 0.1),
    ),
    "warmup_stable_decay": _case(
        "warmup_stable_decay",
        500,
        10_000,
        {"num_decay_steps": 2000, "min_lr_ratio": 0.1},
        lambda t: _wsd(t, 500, 2000, 7500, min_lr_ratio=0.1),
    ),
    "warmup_stable_decay_shapes": _case(
        "warmup_stable_decay",
        500,
        10_000,
        {"num_decay_steps": 3000, "warmup_type": "cosine", "decay_type": "1-sqrt"},
        lambda t: _wsd(t, 500, 3000, 6500, "cosine", "1-sqrt"),
    ),
    "warmup_stable_decay_sqrt_warmup": _case(
        "warmup_stable_decay",
        500,
        10_000,
        {"num_decay_steps": 3000, "warmup_type": "1-sqrt", "decay_type": "linear"},
        lambda t: _wsd(t, 500, 3000, 6500, "1-sqrt", "linear"),
    ),
}


@pytest.mark.parametrize("name", list(TRANSFORMERS_CASES))
def test_transformers_against_transcribed_lambdas(name: str) -> None:
    _, _, n, _, ours, factor = TRANSFORMERS_CASES[name]
    steps = n or 10_000
    reference = np.array([0.1 * factor(t) for t in range(steps)])
    assert_close(ours.values(np.arange(steps)), reference, what=name)
    assert lrcore.from_config(ours.to_config()) == ours


def test_transformers_scheduler_types_are_all_covered() -> None:
    assert set(H.SCHEDULER_TYPES) == {
        "linear",
        "cosine",
        "cosine_with_restarts",
        "polynomial",
        "constant",
        "constant_with_warmup",
        "inverse_sqrt",
        "reduce_lr_on_plateau",
        "cosine_with_min_lr",
        "cosine_warmup_with_min_lr",
        "warmup_stable_decay",
    }
    plateau = load_plateau()
    assert plateau is not None
    ported = H.get_scheduler("reduce_lr_on_plateau", 0.1, scheduler_specific_kwargs={"patience": 3})
    assert ported == plateau(0.1, patience=3)
    with pytest.raises(lrcore.ConfigError, match="num_training_steps"):
        H.get_scheduler("cosine", 0.1, num_warmup_steps=10)
    with pytest.raises(lrcore.ConfigError, match="SchedulerType"):
        H.get_scheduler("cosine_annealing", 0.1)


# -- errors name the native parameter ------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: T.CosineAnnealingLR(base_lr=0.1, T_max=0), "CosineAnnealingLR.T_max"),
        (lambda: T.StepLR(base_lr=0.1, step_size=10, gamma=1.5), "StepLR.gamma"),
        (lambda: T.CyclicLR(base_lr=0.1, max_lr=0.01), "CyclicLR.high"),
        (lambda: K.CosineDecayRestarts(0.1, 100, t_mul=1.5), "CosineDecayRestarts.horizon"),
        (lambda: K.ExponentialDecay(0.1, 2.5, 0.9, staircase=True), "ExponentialDecay.decay_steps"),
        (
            lambda: O.warmup_cosine_decay_schedule(0.0, 0.1, 100, 100),
            "warmup_cosine_decay_schedule.decay_steps",
        ),
        (lambda: O.exponential_decay(0.1, 10, 1.5), "exponential_decay.end_value"),
        (
            lambda: H.get_scheduler("polynomial", 0.1, 0, 100, {"lr_end": 0.2}),
            "get_polynomial_decay_schedule_with_warmup.lr_end",
        ),
    ],
)
def test_errors_name_the_native_parameter(build: object, path: str) -> None:
    with pytest.raises(lrcore.ConfigError) as info:
        build()
    assert info.value.path == path


# -- docs/porting.md -----------------------------------------------------------------------


def test_docs_examples_run() -> None:
    """Every ```python block of docs/porting.md runs (each states its traps with asserts)."""
    text = (ROOT / "docs" / "porting.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/porting.md", "exec"), {})
