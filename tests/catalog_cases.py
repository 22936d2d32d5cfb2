"""One schedule per catalog type and combinator, plus nested combinations.

Every parametrized test (core, adapters, conformance) draws from ``CASES``, so a new
schedule is tested everywhere by adding it here once. Horizons sit around 1,500 steps so
that a 2,000-update run sees every regime, including the hold past the horizon.
"""

from __future__ import annotations

import lrcore

CATALOG_CASES: dict[str, lrcore.Schedule] = {
    "constant": lrcore.constant(value=0.05),
    "linear": lrcore.linear(start=0.1, end=0.001, steps=1500),
    "polynomial": lrcore.polynomial(start=0.1, end=0.0001, steps=1500, power=2.5),
    "polynomial_cycle": lrcore.polynomial(start=0.1, end=0.001, steps=400, power=1.0, cycle=True),
    "cosine": lrcore.cosine(start=0.1, end=0.0, steps=1500),
    "cosine_exponent": lrcore.cosine(start=0.1, end=0.001, steps=1500, exponent=2.0),
    "exponential": lrcore.exponential(start=0.1, rate=0.96, steps=100),
    "exponential_staircase": lrcore.exponential(
        start=0.1, rate=0.5, steps=300, staircase=True, begin=100, bound=0.001
    ),
    "step": lrcore.step(start=0.1, gamma=0.5, step_size=250),
    "multistep": lrcore.multistep(start=0.1, milestones=[300, 800, 1200], gamma=0.1),
    "piecewise_constant": lrcore.piecewise_constant(boundaries=[500, 1000], values=[0.1, 0.05, 0.01]),
    "piecewise_linear": lrcore.piecewise_linear(boundaries=[0, 200, 1500], values=[0.0, 0.1, 0.001]),
    "inverse_time": lrcore.inverse_time(start=0.1, rate=0.5, steps=100),
    "inverse_sqrt": lrcore.inverse_sqrt(peak=0.1, warmup=200),
    "cosine_restarts": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=300, peak_decay=0.7),
    "cosine_restarts_mult": lrcore.cosine_restarts(start=0.1, end=0.001, first_cycle=100, cycle_mult=2),
    "cyclic": lrcore.cyclic(low=0.001, high=0.1, up=200),
    "cyclic_triangular2": lrcore.cyclic(low=0.001, high=0.1, up=150, down=250, mode="triangular2"),
    "cyclic_exp_range": lrcore.cyclic(low=0.001, high=0.1, up=200, mode="exp_range", gamma=0.999),
    "one_cycle": lrcore.one_cycle(peak=0.1, total=1500),
    "one_cycle_three_phase": lrcore.one_cycle(
        peak=0.1, total=1333, warmup_fraction=0.25, anneal="linear", three_phase=True
    ),
    "warmup_stable_decay": lrcore.warmup_stable_decay(peak=0.1, warmup=100, decay=500, total=1500),
    "warmup_stable_decay_cosine": lrcore.warmup_stable_decay(
        peak=0.1, warmup=100, decay=500, total=1500, end=0.001, decay_shape="cosine"
    ),
    "warmup_stable_decay_sqrt": lrcore.warmup_stable_decay(
        peak=0.1, warmup=100, decay=500, total=1500, decay_shape="1-sqrt"
    ),
    "tanh": lrcore.tanh(start=0.1, end=0.001, steps=1500),
    "table": lrcore.table(values=[0.1 * 0.999**i for i in range(1200)]),
}

COMBINATOR_CASES: dict[str, lrcore.Schedule] = {
    "warmup": lrcore.warmup(lrcore.cosine(start=0.1, end=0.001, steps=1300), steps=200),
    "warmup_cosine_shape": lrcore.warmup(
        lrcore.exponential(start=0.1, rate=0.9, steps=100), steps=150, start=0.001, shape="cosine"
    ),
    "join": lrcore.join(
        [
            lrcore.linear(start=0.0, end=0.1, steps=100),
            lrcore.cosine(start=0.1, end=0.01, steps=900),
            lrcore.constant(value=0.01),
        ],
        boundaries=[100, 1000],
    ),
    "scale": lrcore.scale(lrcore.cosine(start=1.0, end=0.0, steps=1500), factor=0.1),
    "scale_by_schedule": lrcore.scale(
        lrcore.step(start=0.1, gamma=0.5, step_size=400), factor=lrcore.linear(start=0.1, end=1.0, steps=300)
    ),
    "clip": lrcore.clip(lrcore.inverse_time(start=0.2, rate=1.0, steps=100), min=0.01, max=0.1),
    "per_epoch": lrcore.per_epoch(lrcore.step(start=0.1, gamma=0.5, step_size=3), steps_per_epoch=97),
    "warmup_join_nested": lrcore.warmup(
        lrcore.join(
            [lrcore.cosine(start=0.1, end=0.01, steps=800), lrcore.constant(value=0.01)], boundaries=[800]
        ),
        steps=250,
    ),
}

CASES: dict[str, lrcore.Schedule] = {**CATALOG_CASES, **COMBINATOR_CASES}
