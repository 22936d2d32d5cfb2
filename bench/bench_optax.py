"""lrcore's optax schedules against optax's own: compile time and time per training step.

For four schedules that optax ships (cosine, warmup + cosine, exponential, piecewise
constant) and the equivalent lrcore schedules, build a jitted training step of a small
MLP (64-256-256-10, batch 128, float32) with ``optax.sgd`` and ``optax.adamw`` and
measure, in one process and interleaved (lrcore and native alternate, their order
flipping every repeat):

- ``compile``: trace + lower + XLA compile of a fresh step function, in CPU time of this
  process (``time.process_time``: on a shared machine wall time mostly measures the
  neighbours; XLA compiles on this thread);
- ``step``: wall time per call of the compiled step from a Python loop (dispatch
  included, as a user runs it), averaged over ``STEPS_PER_SAMPLE`` calls; short samples
  in many rounds, so that each round's two samples see the same machine.

Each round compiles and runs both sides back to back; ``ratio`` is the median of the
per-round ratios lrcore/native, with a 95% interval and a verdict (``bench._timing``):
a target is missed only when the whole interval lies above it. Run
``python bench/bench_optax.py``.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrcore
from lrcore.adapters.optax import schedule

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._timing import entry, paired_by

TARGET = 1.02
STEPS_PER_SAMPLE = 50
STEP_ROUNDS_PER_REPEAT = 3
HORIZON = 10_000


def pairs() -> list[tuple[str, Any, lrcore.Schedule]]:
    """(name, optax schedule, equivalent lrcore schedule)."""
    return [
        (
            "cosine",
            optax.cosine_decay_schedule(init_value=0.1, decay_steps=HORIZON, alpha=0.01),
            lrcore.cosine(start=0.1, end=0.001, steps=HORIZON),
        ),
        (
            # optax counts the warmup inside decay_steps: the cosine lasts decay_steps - warmup_steps.
            "warmup_cosine",
            optax.warmup_cosine_decay_schedule(
                init_value=0.0, peak_value=0.1, warmup_steps=1000, decay_steps=HORIZON, end_value=0.001
            ),
            lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=HORIZON - 1000), steps=1000),
        ),
        (
            "exponential",
            optax.exponential_decay(init_value=0.1, transition_steps=100, decay_rate=0.96),
            lrcore.exponential(start=0.1, rate=0.96, steps=100),
        ),
        (
            # optax scales at count >= boundary, as lrcore switches at the boundary; its
            # values are the running products of the scales.
            "piecewise_constant",
            optax.piecewise_constant_schedule(init_value=0.1, boundaries_and_scales={3000: 0.1, 6000: 0.1}),
            lrcore.piecewise_constant(boundaries=[3000, 6000], values=[0.1, 0.01, 0.001]),
        ),
    ]


def check_equivalent(name: str, native: Any, ours: lrcore.Schedule) -> None:
    """The pair really is the same schedule (optax's float32 arithmetic aside)."""
    counts = jnp.arange(0, HORIZON + 500, 7)
    a = np.asarray(jax.vmap(native)(counts), dtype=np.float64)
    b = ours.values(np.asarray(counts))
    if not np.allclose(a, b, rtol=1e-4, atol=1e-7):
        worst = int(np.argmax(np.abs(a - b)))
        raise AssertionError(f"{name}: optax {a[worst]} vs lrcore {b[worst]} at step {int(counts[worst])}")


def problem() -> tuple[Any, Any]:
    keys = jax.random.split(jax.random.PRNGKey(0), 5)
    sizes = [64, 256, 256, 10]
    params = [
        (jax.random.normal(k, (m, n), jnp.float32) / np.sqrt(m), jnp.zeros(n, jnp.float32))
        for k, m, n in zip(keys[:3], sizes[:-1], sizes[1:], strict=True)
    ]
    x = jax.random.normal(keys[3], (128, 64), jnp.float32)
    y = jax.random.randint(keys[4], (128,), 0, 10)
    return params, (x, y)


def make_step(opt: optax.GradientTransformation) -> Any:
    """A fresh (never compiled) training step function."""

    def loss(params: Any, batch: Any) -> Any:
        x, y = batch
        for w, b in params[:-1]:
            x = jax.nn.relu(x @ w + b)
        w, b = params[-1]
        return optax.softmax_cross_entropy_with_integer_labels(x @ w + b, y).mean()

    def step(params: Any, state: Any, batch: Any) -> Any:
        grads = jax.grad(loss)(params, batch)
        moves, state = opt.update(grads, state, params)
        return optax.apply_updates(params, moves), state

    return step


def time_compile(opt: optax.GradientTransformation, params: Any, batch: Any) -> tuple[float, Any]:
    state = opt.init(params)
    gc.collect()
    start = time.process_time()
    compiled = jax.jit(make_step(opt)).lower(params, state, batch).compile()
    return time.process_time() - start, compiled


def time_steps(compiled: Any, opt: optax.GradientTransformation, params: Any, batch: Any) -> float:
    state = opt.init(params)
    params, state = compiled(params, state, batch)  # warm up
    jax.block_until_ready(params)
    start = time.perf_counter()
    for _ in range(STEPS_PER_SAMPLE):
        params, state = compiled(params, state, batch)
    jax.block_until_ready(params)
    return (time.perf_counter() - start) / STEPS_PER_SAMPLE


def _compile_into(side: dict[str, Any], params: Any, batch: Any) -> float:
    """Compile a fresh step for ``side["opt"]``, keep it in ``side["compiled"]``; seconds."""
    seconds, side["compiled"] = time_compile(side["opt"], params, batch)
    return seconds


def run(repeats: int = 7) -> list[dict[str, Any]]:
    """Per pair and optimizer: ``repeats`` paired compile rounds, then
    ``STEP_ROUNDS_PER_REPEAT * repeats`` paired rounds of ``STEPS_PER_SAMPLE`` steps."""
    params, batch = problem()
    results = []
    for name, native_schedule, ours in pairs():
        check_equivalent(name, native_schedule, ours)
        for opt_name, factory in (("sgd", optax.sgd), ("adamw", optax.adamw)):
            sides = [{"opt": factory(schedule(ours))}, {"opt": factory(native_schedule)}]
            compile_s = paired_by(lambda side: _compile_into(side, params, batch), *sides, repeats)
            step_s = paired_by(
                lambda side: time_steps(side["compiled"], side["opt"], params, batch),
                *sides,
                STEP_ROUNDS_PER_REPEAT * repeats,
            )
            label = f"{name}/{opt_name}"
            native = f"optax {name} schedule, optax.{opt_name}"
            row = entry(f"{label}/compile", *compile_s, TARGET, native)
            # the one-time cost in milliseconds, beside the native compile (informational)
            row["overhead_ms"] = (row["lrcore_median_s"] - row["native_median_s"]) * 1e3
            results.append(row)
            results.append(entry(f"{label}/step", *step_s, TARGET, native))
    return results


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
