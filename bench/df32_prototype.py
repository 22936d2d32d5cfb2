"""Prototype (issue 20): float32-only evaluation that returns float32(reference) exactly.

Evaluates ``linear`` and ``cosine`` (falling and rising, the anneal form: from the nearer
end) in *double-float* arithmetic: a value is a pair of float32 ``(hi, lo)`` with
``hi == float32(hi + lo)``, about 48 significant bits. The design survives XLA's rewrites
on CPU (multiply-add contraction, ``x / c -> x * (1 / c)``):

- no division at run time: ``1 / length`` and every table are host float64 values stored
  as float32 pairs;
- every multiplication whose result an error-free transformation relies on is *exact*:
  the factors are split into 12-bit halves by masking their bit patterns (an integer
  ``and``, which no float rewrite touches), so a contracted ``fma(a, b, c)`` of such a
  product equals ``a * b + c`` rounded once, as written;
- sums use TwoSum, which has no multiplication for a contraction to fuse;
- constants pass through ``lax.optimization_barrier``: XLA's algebraic simplifier folds
  ``(x + c) - c`` into ``x`` for a constant ``c`` (found here: it zeroed TwoSum's error
  term and left 8-17% of the steps 1 ulp off under ``jit``, none in eager mode).

The result is ``hi`` of the final pair: the float32 nearest to the double-float value.
This script measures, under ``jax.jit`` on this machine's backend, the steps where it
differs from ``float32(schedule.values(t))`` and the largest distance in ulps, next to
the current float32 path (``lrcore.adapters.optax.schedule(s, bits=32)``), and the cost
of both per jitted evaluation.

    python bench/df32_prototype.py [steps]     # exactness and cost of the prototype
    python bench/df32_prototype.py --step-cost # the integrated namespace in an optax step
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import lrcore
from lrcore.adapters.optax import schedule
from lrcore.precision import ulps

F32 = jnp.float32
DF = tuple[Any, Any]


# -- error-free transformations --------------------------------------------------------


def split(x: Any) -> DF:
    """``x == hi + lo`` exactly, both with at most 12 significant bits (bit masking)."""
    bits = lax.bitcast_convert_type(x, jnp.int32)
    hi = lax.bitcast_convert_type(bits & jnp.int32(-4096), F32)
    return hi, x - hi


def two_sum(a: Any, b: Any) -> DF:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Any, b: Any) -> DF:
    """``|a| >= |b|`` (or ``a == 0``)."""
    s = a + b
    return s, b - (s - a)


def two_prod(a: Any, b: Any) -> DF:
    """``a * b`` as a pair, from exact partial products of the 12-bit halves."""
    a1, a2 = split(a)
    b1, b2 = split(b)
    s, e1 = two_sum(a1 * b1, a1 * b2)
    s, e2 = two_sum(s, a2 * b1)
    return fast_two_sum(s, (e1 + e2) + a2 * b2)


def df_add(x: DF, y: DF) -> DF:
    s, e = two_sum(x[0], y[0])
    return fast_two_sum(s, e + (x[1] + y[1]))


def df_mul(x: DF, y: DF) -> DF:
    p, e = two_prod(x[0], y[0])
    return fast_two_sum(p, e + (x[0] * y[1] + x[1] * y[0]))


def df_neg(x: DF) -> DF:
    return -x[0], -x[1]


def const(v: float) -> DF:
    """A host float64 as a pair, hidden from XLA's algebraic simplifier: it folds
    ``(x + c) - c`` into ``x`` for a constant ``c``, which erases TwoSum's error term."""
    hi = np.float32(v)
    pair = jnp.asarray(hi, F32), jnp.asarray(np.float32(v - float(hi)), F32)
    return lax.optimization_barrier(pair)


def table(values: Any) -> DF:
    v = np.asarray(values, dtype=np.float64)
    hi = v.astype(np.float32)
    return jnp.asarray(hi), jnp.asarray((v - hi.astype(np.float64)).astype(np.float32))


def take(t: DF, i: Any) -> DF:
    return jnp.take(t[0], i, mode="clip"), jnp.take(t[1], i, mode="clip")


def int_pair(k: Any) -> DF:
    """An int32 ``k >= 0`` as an exact pair (float32 alone is exact only below 2**24)."""
    low = k & 4095
    return fast_two_sum((k - low).astype(F32), low.astype(F32))


# -- shapes ----------------------------------------------------------------------------


def fraction(k: Any, length: int) -> DF:
    return df_mul(int_pair(k), const(1.0 / length))


def sin2_quarter(k: Any, length: int) -> DF:
    """``sin(pi/2 * k / length) ** 2``: angle addition over host digit tables, each term a
    non-negative product, in double-float."""
    kmax = length
    base = max(1, math.isqrt(kmax) + 1)
    alpha = math.pi / 2 / length
    a = alpha * (np.arange(kmax // base + 1, dtype=np.float64) * base)
    b = alpha * np.arange(base, dtype=np.float64)
    hi, lo = k // base, k % base
    sin2_a, cos_2a, half_sin_2a = (
        take(table(v), hi) for v in (np.sin(a) ** 2, np.cos(2 * a), np.sin(2 * a) / 2)
    )
    sin2_b, sin_2b = (take(table(v), lo) for v in (np.sin(b) ** 2, np.sin(2 * b)))
    return df_add(df_add(sin2_a, df_mul(sin2_b, cos_2a)), df_mul(half_sin_2a, sin_2b))


def anneal(shape: str, start: float, end: float, length: int) -> Any:
    """The jitted prototype of ``anneal`` (lrcore._interpolation) for a whole schedule."""

    def fn(t: Any) -> Any:
        # constants made inside the trace, so that their barrier is part of it
        span = const(start - end)
        a, b = const(start), const(end)
        t = jnp.minimum(t, length)
        done, remaining = t, length - t
        first = done <= remaining
        k = jnp.minimum(done, remaining)
        part = fraction(k, length) if shape == "linear" else sin2_quarter(k, length)
        drop = df_mul(span, part)
        up = df_add(a, df_neg(drop))
        down = df_add(b, drop)
        return jnp.where(first, up[0], down[0])

    return fn


# -- measurement -------------------------------------------------------------------------


def cases(n: int) -> list[tuple[str, lrcore.Schedule, Any]]:
    out = []
    for shape, make in (("linear", lrcore.linear), ("cosine", lrcore.cosine)):
        for label, start, end in (("falling", 0.1, 1e-5), ("to zero", 3e-4, 0.0), ("rising", 1e-6, 0.1)):
            s = make(start=start, end=end, steps=n)
            out.append((f"{shape} {label}", s, anneal(shape, start, end, n)))
    return out


def timed(fn: Any, steps: Any) -> float:
    jax.block_until_ready(fn(steps))
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        jax.block_until_ready(fn(steps))
        best = min(best, time.perf_counter() - start)
    return best


def main(n: int = 10**6) -> None:
    steps_np = np.arange(n + 1, dtype=np.int64)
    steps = jnp.asarray(steps_np, jnp.int32)
    print(f"backend {jax.default_backend()}, steps 0..{n}, under jax.jit(jax.vmap(...))")
    print(
        f"{'case':18s} {'current: differ':>16s} {'max ulps':>9s} {'double-float: differ':>21s} {'max ulps':>9s}"
        f" {'current ms':>11s} {'df ms':>8s}"
    )
    for name, s, proto in cases(n):
        reference = s.values(steps_np)
        ref32 = reference.astype(np.float32)
        current = jax.jit(jax.vmap(schedule(s, bits=32)))
        ours = jax.jit(jax.vmap(proto))
        cur = np.asarray(current(steps))
        new = np.asarray(ours(steps))
        d_cur, d_new = ulps(reference, cur), ulps(reference, new)
        print(
            f"{name:18s} {int(np.count_nonzero(cur != ref32)):16d} {int(d_cur.max()):9d} "
            f"{int(np.count_nonzero(new != ref32)):21d} {int(d_new.max()):9d} "
            f"{timed(current, steps) * 1e3:11.2f} {timed(ours, steps) * 1e3:8.2f}"
        )


def step_cost(rounds: int = 7) -> None:
    """The jitted optax step (bench_optax's MLP, sgd and adamw) with the integrated
    extended namespace against the current float32 path: compile CPU time and time per
    step, in paired rounds (``bench._timing``)."""
    import optax

    from bench import bench_optax as b
    from bench._timing import entry, paired_by
    from lrcore.adapters.optax import JaxNamespace

    params, batch = b.problem()
    ext = JaxNamespace(32, extended=True)
    for label, s in (
        ("warmup_cosine", lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=9000), steps=1000)),
        ("exponential", lrcore.exponential(start=0.1, rate=0.96, steps=100)),
    ):
        for opt_name, factory in (("sgd", optax.sgd), ("adamw", optax.adamw)):

            def extended(count: Any, s: lrcore.Schedule = s) -> Any:
                return s.evaluate(ext.as_int(count), ext).astype(F32)

            sides = [{"opt": factory(extended)}, {"opt": factory(schedule(s, bits=32))}]

            def compile_into(side: dict[str, Any]) -> float:
                seconds, side["compiled"] = b.time_compile(side["opt"], params, batch)
                return seconds

            compiled = paired_by(compile_into, *sides, rounds)
            steps = paired_by(
                lambda side: b.time_steps(side["compiled"], side["opt"], params, batch), *sides, 3 * rounds
            )
            for what, pair in (("compile", compiled), ("step", steps)):
                row = entry(f"{label}/{opt_name}/{what}", *pair, 1.02, "current float32 path")
                print(
                    f"{row['name']:32s} extended {row['lrcore_median_s'] * 1e3:8.3f} ms  current "
                    f"{row['native_median_s'] * 1e3:8.3f} ms  ratio {row['ratio']:.3f} "
                    f"[{row['ratio_low']:.3f}, {row['ratio_high']:.3f}] {row['verdict']}"
                )


if __name__ == "__main__":
    if sys.argv[1:] == ["--step-cost"]:
        sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
        step_cost()
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 10**6)
