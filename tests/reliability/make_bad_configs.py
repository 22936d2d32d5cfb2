"""Regenerate the bad-config corpus in ``tests/reliability/bad_configs/``.

Every file there is an invalid schedule config; ``expected.json`` maps each file name to
the field path the resulting ``lrcore.ConfigError`` must name (``""`` for errors about
the file as a whole, such as malformed syntax) and, optionally, text the message must
contain (a did-you-mean). Cases are written in all four supported formats (``.json``,
``.yaml``, ``.yml``, ``.toml``), rotating formats so each kind of mistake appears in
several of them.

Run from the repository root: ``python -m tests.reliability.make_bad_configs``.
The corpus is generated from hand-written case lists, not from lrcore's own parameter
declarations, so a change in validation shows up as a failing test rather than as a
silently regenerated expectation.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent / "bad_configs"
FORMATS = (".json", ".yaml", ".toml", ".yml")
NAN, INF = float("nan"), float("inf")
# A file a YAML loader that builds Python objects would create; the tests check it never appears.
MARKER = "/tmp/lrcore-reliability-pwned"

# One valid config per type: the starting point of every mutation below.
BASE: dict[str, dict[str, Any]] = {
    "constant": {"type": "constant", "value": 0.1},
    "linear": {"type": "linear", "start": 0.1, "end": 0.001, "steps": 100},
    "polynomial": {"type": "polynomial", "start": 0.1, "end": 0.001, "steps": 100, "power": 2.0},
    "cosine": {"type": "cosine", "start": 0.1, "end": 0.001, "steps": 100},
    "exponential": {"type": "exponential", "start": 0.1, "rate": 0.9, "steps": 10},
    "step": {"type": "step", "start": 0.1, "gamma": 0.5, "step_size": 10},
    "multistep": {"type": "multistep", "start": 0.1, "milestones": [10, 20], "gamma": 0.1},
    "piecewise_constant": {
        "type": "piecewise_constant",
        "boundaries": [10, 20],
        "values": [0.1, 0.01, 0.001],
    },
    "piecewise_linear": {"type": "piecewise_linear", "boundaries": [0, 10, 20], "values": [0.0, 0.1, 0.01]},
    "inverse_time": {"type": "inverse_time", "start": 0.1, "rate": 0.5, "steps": 10},
    "inverse_sqrt": {"type": "inverse_sqrt", "peak": 0.1, "warmup": 10},
    "cosine_restarts": {"type": "cosine_restarts", "start": 0.1, "end": 0.001, "first_cycle": 10},
    "cyclic": {"type": "cyclic", "low": 0.001, "high": 0.1, "up": 10},
    "one_cycle": {"type": "one_cycle", "peak": 0.1, "total": 100},
    "warmup_stable_decay": {
        "type": "warmup_stable_decay",
        "peak": 0.1,
        "warmup": 10,
        "decay": 20,
        "total": 100,
    },
    "tanh": {"type": "tanh", "start": 0.1, "end": 0.001, "steps": 100},
    "table": {"type": "table", "values": [0.1, 0.05, 0.01]},
}
COSINE = BASE["cosine"]
BASE |= {
    "warmup": {"type": "warmup", "schedule": COSINE, "steps": 10},
    "join": {"type": "join", "schedules": [BASE["linear"], BASE["constant"]], "boundaries": [100]},
    "scale": {"type": "scale", "schedule": COSINE, "factor": 0.5},
    "clip": {"type": "clip", "schedule": COSINE, "max": 0.05},
    "per_epoch": {"type": "per_epoch", "schedule": BASE["step"], "steps_per_epoch": 10},
}

# Parameter classes, by hand: learning rates (>= 0), positive step counts, non-negative
# counts, other numbers, flags and choices.
RATES = {
    "constant": ["value"],
    "linear": ["start", "end"],
    "polynomial": ["start", "end"],
    "cosine": ["start", "end"],
    "exponential": ["start"],
    "step": ["start"],
    "multistep": ["start"],
    "inverse_time": ["start"],
    "inverse_sqrt": ["peak"],
    "cosine_restarts": ["start", "end"],
    "cyclic": ["low", "high"],
    "one_cycle": ["peak"],
    "warmup_stable_decay": ["peak"],
    "tanh": ["start", "end"],
    "scale": ["factor"],
    "clip": ["max"],
}
STEPS = {
    "linear": ["steps"],
    "polynomial": ["steps"],
    "cosine": ["steps"],
    "exponential": ["steps"],
    "step": ["step_size"],
    "inverse_time": ["steps"],
    "cosine_restarts": ["first_cycle"],
    "cyclic": ["up"],
    "one_cycle": ["total"],
    "warmup_stable_decay": ["total"],
    "tanh": ["steps"],
    "warmup": ["steps"],
    "per_epoch": ["steps_per_epoch"],
}
COUNTS = {"inverse_sqrt": ["warmup"], "warmup_stable_decay": ["warmup", "decay"]}
POSITIVE = {"polynomial": ["power"], "exponential": ["rate"], "step": ["gamma"], "inverse_time": ["rate"]}


class Raw:
    """Config text written verbatim (malformed files, NaN literals, YAML tags)."""

    def __init__(self, text: str | bytes) -> None:
        self.text = text


def with_(config: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(config)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


DROP = object()


def _json_with(config: dict[str, Any], name: str, literal: str) -> str:
    """``config`` as JSON with the top-level ``name`` written as a raw ``literal``."""
    text = json.dumps(with_(config, **{name: "@@"}))
    return text.replace('"@@"', literal)


def cases() -> list[tuple[str, Any, str, str, tuple[str, ...]]]:
    """``(slug, config or Raw, expected path, message text, formats)`` for every case."""
    out: list[tuple[str, Any, str, str, tuple[str, ...]]] = []

    def add(slug: str, config: Any, path: str, contains: str = "", formats: tuple[str, ...] = ()) -> None:
        out.append((slug, config, path, contains, formats))

    # -- wrong types, for every parameter class of every schedule -----------------------
    for kind, names in {**RATES, **STEPS, **COUNTS, **POSITIVE}.items():
        for name in names:
            base = BASE[kind]
            value = base.get(name, 1)
            add(f"{kind}-{name}-string", with_(base, **{name: str(value)}), name)
            add(f"{kind}-{name}-bool", with_(base, **{name: True}), name)
            add(f"{kind}-{name}-list", with_(base, **{name: [value]}), name)
            add(
                f"{kind}-{name}-mapping",
                with_(base, **{name: {"value": value}}),
                name if kind != "scale" else "factor.type",
            )
            add(f"{kind}-{name}-null", with_(base, **{name: None}), name, formats=(".json", ".yaml"))
            add(f"{kind}-{name}-nan", with_(base, **{name: NAN}), name, formats=(".yaml", ".toml"))
            add(f"{kind}-{name}-inf", with_(base, **{name: INF}), name, formats=(".yml", ".toml"))
            # JSON has no NaN: the parser rejects the literal, so the error is about the file.
            add(f"{kind}-{name}-json-nan", Raw(_json_with(base, name, "NaN")), "", "NaN", formats=(".json",))
            # 1e999 is valid JSON that Python reads as infinity: the field must be named.
            add(
                f"{kind}-{name}-json-overflow", Raw(_json_with(base, name, "1e999")), name, formats=(".json",)
            )
    for kind, names in RATES.items():
        for name in names:
            add(f"{kind}-{name}-negative", with_(BASE[kind], **{name: -0.1}), name)
            add(f"{kind}-{name}-beyond-float32", with_(BASE[kind], **{name: 1e39}), name)
    for kind, names in {**STEPS, **COUNTS}.items():
        for name in names:
            add(f"{kind}-{name}-negative", with_(BASE[kind], **{name: -5}), name)
            add(f"{kind}-{name}-fraction", with_(BASE[kind], **{name: 2.5}), name)
            add(f"{kind}-{name}-absurd", with_(BASE[kind], **{name: 10**30}), name)
    for kind, names in STEPS.items():
        for name in names:
            add(f"{kind}-{name}-zero", with_(BASE[kind], **{name: 0}), name)
    for kind, names in POSITIVE.items():
        for name in names:
            if kind != "inverse_time":  # a rate of 0 is a constant there, and allowed
                add(f"{kind}-{name}-zero", with_(BASE[kind], **{name: 0.0}), name)
            add(f"{kind}-{name}-negative", with_(BASE[kind], **{name: -0.5}), name)

    # -- missing and unknown keys, unknown types ------------------------------------------
    add("missing-type", {"start": 0.1, "end": 0.0, "steps": 10}, "type", "'type' key is missing")
    add("unknown-type-typo", with_(COSINE, type="cosin"), "type", "did you mean 'cosine'")
    add("unknown-type-typo-2", with_(BASE["warmup_stable_decay"], type="warmup_stable"), "type")
    add("unknown-type-number", with_(COSINE, type=3), "type")
    add("unknown-type-list", with_(COSINE, type=["cosine"]), "type")
    add("unknown-type-null", with_(COSINE, type=None), "type", formats=(".json", ".yml"))
    add("unknown-type-upper", with_(COSINE, type="Cosine"), "type", "did you mean 'cosine'")
    add("unknown-key-typo", with_(BASE["linear"], stpes=100, steps=DROP), "stpes", "did you mean 'steps'")
    add("unknown-key-extra", with_(BASE["linear"], warmup=10), "warmup")
    add("unknown-key-typo-gamma", with_(BASE["step"], gama=0.5, gamma=DROP), "gama", "did you mean 'gamma'")
    add(
        "unknown-key-typo-milestones",
        with_(BASE["multistep"], milestone=[10], milestones=DROP),
        "milestone",
        "did you mean 'milestones'",
    )
    add(
        "unknown-key-camel", with_(BASE["per_epoch"], stepsPerEpoch=10, steps_per_epoch=DROP), "stepsPerEpoch"
    )
    add(
        "unknown-key-nested",
        with_(BASE["warmup"], schedule=with_(COSINE, strat=0.1, start=DROP)),
        "schedule.strat",
        "did you mean 'start'",
    )
    add(
        "unknown-key-in-join",
        with_(BASE["join"], schedules=[BASE["linear"], {"type": "constant", "valu": 1}]),
        "schedules[1].valu",
        "did you mean 'value'",
    )
    add(
        "unknown-key-torch-name",
        with_(BASE["step"], step_size=DROP, **{"step-size": 10}),
        "step-size",
        "did you mean 'step_size'",
    )
    for kind in ("linear", "exponential", "one_cycle", "piecewise_linear", "cyclic", "table"):
        first = next(k for k in BASE[kind] if k != "type")
        add(f"missing-{kind}-{first}", with_(BASE[kind], **{first: DROP}), first, "missing")
    add("missing-warmup-schedule", with_(BASE["warmup"], schedule=DROP), "schedule")
    add("missing-join-boundaries", with_(BASE["join"], boundaries=DROP), "boundaries")

    # -- cross-field rules --------------------------------------------------------------
    ms = BASE["multistep"]
    add("multistep-unsorted", with_(ms, milestones=[20, 10]), "milestones[1]", "strictly increasing")
    add("multistep-duplicate", with_(ms, milestones=[10, 10, 20]), "milestones[1]")
    add("multistep-empty", with_(ms, milestones=[]), "milestones")
    add("multistep-zero", with_(ms, milestones=[0, 10]), "milestones[0]")
    add("multistep-string-item", with_(ms, milestones=[10, "20"]), "milestones[1]")
    add("multistep-nested-list", with_(ms, milestones=[[10], 20]), "milestones[0]")
    add("multistep-scalar", with_(ms, milestones=10), "milestones")
    add("multistep-gamma-above-one", with_(ms, gamma=1.5), "gamma")
    pc = BASE["piecewise_constant"]
    add("pc-unsorted", with_(pc, boundaries=[20, 10]), "boundaries[1]")
    add("pc-duplicate", with_(pc, boundaries=[10, 10]), "boundaries[1]")
    add("pc-too-few-values", with_(pc, values=[0.1, 0.01]), "values")
    add("pc-too-many-values", with_(pc, values=[0.1, 0.01, 0.001, 0.0001]), "values")
    add("pc-negative-value", with_(pc, values=[0.1, -0.01, 0.001]), "values[1]")
    add("pc-nan-value", with_(pc, values=[0.1, 0.01, NAN]), "values[2]", formats=(".yaml", ".toml"))
    add("pc-empty-values", with_(pc, boundaries=[], values=[]), "values")
    add("pc-boundary-negative", with_(pc, boundaries=[-10, 20]), "boundaries[0]")
    add("pc-values-string", with_(pc, values="0.1,0.01,0.001"), "values")
    pl = BASE["piecewise_linear"]
    add("pl-mismatch", with_(pl, values=[0.0, 0.1]), "values")
    add("pl-empty", with_(pl, boundaries=[], values=[]), "boundaries")
    add("pl-unsorted", with_(pl, boundaries=[0, 20, 10]), "boundaries[2]")
    add("pl-negative-boundary", with_(pl, boundaries=[-1, 10, 20]), "boundaries[0]")
    add("pl-inf-value", with_(pl, values=[0.0, INF, 0.1]), "values[1]", formats=(".yml", ".toml"))
    j = BASE["join"]
    add("join-too-many-boundaries", with_(j, boundaries=[10, 20]), "boundaries")
    add("join-too-few-boundaries", with_(j, boundaries=[]), "boundaries")
    add("join-no-schedules", with_(j, schedules=[], boundaries=[]), "schedules")
    add("join-schedules-mapping", with_(j, schedules=COSINE), "schedules")
    add("join-unsorted", with_(j, schedules=[COSINE, COSINE, COSINE], boundaries=[20, 10]), "boundaries[1]")
    add("join-boundary-zero", with_(j, boundaries=[0]), "boundaries[0]")
    add("join-inner-number", with_(j, schedules=[COSINE, 0.1]), "schedules[1]")
    add("join-inner-steps-zero", with_(j, schedules=[COSINE, with_(COSINE, steps=0)]), "schedules[1].steps")
    add("join-inner-missing-type", with_(j, schedules=[COSINE, {"value": 0.1}]), "schedules[1].type")
    add(
        "join-inner-bad-type",
        with_(j, schedules=[with_(COSINE, type="cosinus"), COSINE]),
        "schedules[0].type",
        "did you mean 'cosine'",
    )
    w = BASE["warmup"]
    add("warmup-inner-negative", with_(w, schedule=with_(COSINE, end=-1.0)), "schedule.end")
    add("warmup-inner-missing-type", with_(w, schedule={"value": 0.1}), "schedule.type")
    add("warmup-inner-number", with_(w, schedule=0.1), "schedule")
    add("warmup-inner-list", with_(w, schedule=[COSINE]), "schedule")
    add("warmup-inner-string", with_(w, schedule="cosine"), "schedule")
    add("warmup-shape", with_(w, shape="cos"), "shape", "did you mean 'cosine'")
    add("warmup-start-negative", with_(w, start=-0.1), "start")
    s = BASE["scale"]
    add("scale-factor-schedule-bad", with_(s, factor=with_(BASE["linear"], steps=-1)), "factor.steps")
    add("scale-factor-schedule-no-type", with_(s, factor={"start": 0.1}), "factor.type")
    add("scale-inner-bad", with_(s, schedule=with_(COSINE, steps="100")), "schedule.steps")
    add("scale-factor-string", with_(s, factor="half"), "factor")
    c = BASE["clip"]
    add("clip-no-bounds", with_(c, max=DROP), "max")
    add("clip-min-above-max", with_(c, min=0.1, max=0.01), "max")
    add("clip-min-negative", with_(c, min=-0.1), "min")
    add("clip-inner-bad", with_(c, schedule=with_(COSINE, type="linear", extra=1)), "schedule.extra")
    add(
        "per-epoch-inner-bad",
        with_(BASE["per_epoch"], schedule=with_(BASE["step"], gamma=2.0)),
        "schedule.gamma",
    )
    deep = with_(BASE["linear"], steps=DROP, stpes=10)
    deep = {"type": "scale", "schedule": deep, "factor": 0.5}
    deep = {"type": "join", "schedules": [COSINE, deep], "boundaries": [100]}
    deep = {"type": "warmup", "schedule": deep, "steps": 10}
    add("deep-unknown-key", deep, "schedule.schedules[1].schedule.stpes", "did you mean 'steps'")
    deep = {
        "type": "per_epoch",
        "steps_per_epoch": 3,
        "schedule": {
            "type": "clip",
            "min": 0.0,
            "schedule": {
                "type": "scale",
                "schedule": COSINE,
                "factor": {"type": "join", "schedules": [COSINE, {"steps": 3}], "boundaries": [5]},
            },
        },
    }
    add("deep-missing-type", deep, "schedule.schedule.factor.schedules[1].type")
    e = BASE["exponential"]
    add("exponential-growth-no-bound", with_(e, rate=1.5), "bound")
    add("exponential-floor-above-start", with_(e, bound=0.5), "bound")
    add("exponential-ceiling-below-start", with_(e, rate=1.5, bound=0.01), "bound")
    add("exponential-begin-negative", with_(e, begin=-1), "begin")
    add("exponential-staircase-string", with_(e, staircase="true"), "staircase")
    add("exponential-staircase-int", with_(e, staircase=1), "staircase")
    cy = BASE["cyclic"]
    add("cyclic-high-below-low", with_(cy, low=0.1, high=0.01), "high")
    add("cyclic-mode-typo", with_(cy, mode="triangle"), "mode", "did you mean 'triangular'")
    add("cyclic-mode-number", with_(cy, mode=2), "mode")
    add("cyclic-gamma-above-one", with_(cy, mode="exp_range", gamma=1.01), "gamma")
    add("cyclic-down-zero", with_(cy, down=0), "down")
    oc = BASE["one_cycle"]
    add("one-cycle-total-one", with_(oc, total=1), "total")
    add("one-cycle-fraction-one", with_(oc, warmup_fraction=1.0), "warmup_fraction")
    add("one-cycle-fraction-zero", with_(oc, warmup_fraction=0.0), "warmup_fraction")
    add("one-cycle-fraction-tiny", with_(oc, warmup_fraction=0.001), "warmup_fraction")
    add(
        "one-cycle-three-phase-squeezed",
        with_(oc, total=4, warmup_fraction=0.7, three_phase=True),
        "warmup_fraction",
    )
    add("one-cycle-anneal", with_(oc, anneal="cosine"), "anneal", "did you mean 'cos'")
    add("one-cycle-div-factor-zero", with_(oc, div_factor=0), "div_factor")
    add("one-cycle-div-factor-tiny", with_(oc, div_factor=1e-320), "div_factor")
    add("one-cycle-final-div-tiny", with_(oc, div_factor=1.0, final_div_factor=1e-300), "final_div_factor")
    add("one-cycle-three-phase-string", with_(oc, three_phase="no"), "three_phase")
    wsd = BASE["warmup_stable_decay"]
    add("wsd-phases-exceed-total", with_(wsd, warmup=60, decay=50), "warmup")
    add("wsd-shape", with_(wsd, decay_shape="sqrt"), "decay_shape", "did you mean '1-sqrt'")
    add("wsd-end-negative", with_(wsd, end=-0.001), "end")
    t = BASE["tanh"]
    add("tanh-lower-above-upper", with_(t, lower=3.0, upper=-7.0), "upper")
    add("tanh-lower-equals-upper", with_(t, lower=1.0, upper=1.0), "upper")
    add("tanh-lower-extreme", with_(t, lower=-1000.0), "lower")
    add("tanh-upper-nan", with_(t, upper=NAN), "upper", formats=(".yaml", ".toml"))
    add("inverse-sqrt-no-timescale", with_(BASE["inverse_sqrt"], warmup=0), "timescale")
    add("inverse-sqrt-timescale-zero", with_(BASE["inverse_sqrt"], timescale=0), "timescale")
    cr = BASE["cosine_restarts"]
    add("cr-cycle-mult-zero", with_(cr, cycle_mult=0), "cycle_mult")
    add("cr-cycle-mult-fraction", with_(cr, cycle_mult=1.5), "cycle_mult")
    add("cr-peak-decay-above-one", with_(cr, peak_decay=1.5), "peak_decay")
    add("cr-peak-decay-zero", with_(cr, peak_decay=0.0), "peak_decay")
    add("polynomial-power-zero", with_(BASE["polynomial"], power=0), "power")
    add("polynomial-cycle-string", with_(BASE["polynomial"], cycle="yes"), "cycle")
    add("cosine-exponent-negative", with_(COSINE, exponent=-1.0), "exponent")
    tb = BASE["table"]
    add("table-empty", with_(tb, values=[]), "values")
    add("table-negative", with_(tb, values=[0.1, 0.05, -0.01]), "values[2]")
    add("table-null-item", with_(tb, values=[0.1, None]), "values[1]", formats=(".json", ".yaml"))
    add("table-mapping", with_(tb, values={"0": 0.1}), "values")
    add(
        "table-long-nan-at-end",
        with_(tb, values=[0.1] * 9999 + [NAN]),
        "values[9999]",
        formats=(".yaml", ".toml"),
    )
    add(
        "table-long-negative-at-end",
        with_(tb, values=[0.1] * 9999 + [-1.0]),
        "values[9999]",
        formats=(".json",),
    )

    # -- absurd sizes -------------------------------------------------------------------
    add("linear-steps-2-pow-63", with_(BASE["linear"], steps=2**63), "steps")
    add("multistep-milestone-absurd", with_(ms, milestones=[10, 10**30]), "milestones[1]")
    add("join-boundary-absurd", with_(j, boundaries=[10**20]), "boundaries[0]")
    add("exponential-begin-absurd", with_(e, begin=10**25), "begin")
    add(
        "integer-5000-digits",
        Raw('{"type": "linear", "start": 0.1, "end": 0.0, "steps": ' + "9" * 5000 + "}"),
        "",
        formats=(".json",),
    )
    add(
        "yaml-integer-5000-digits",
        Raw("type: linear\nstart: 0.1\nend: 0.0\nsteps: " + "9" * 5000 + "\n"),
        "",
        formats=(".yaml",),
    )
    add(
        "toml-integer-5000-digits",
        Raw('type = "linear"\nstart = 0.1\nend = 0.0\nsteps = ' + "9" * 5000 + "\n"),
        "",
        formats=(".toml",),
    )
    chain = "type: constant\nvalue: 0.1\n"
    for _ in range(80):  # deeper than any sensible config
        chain = "type: warmup\nsteps: 1\nschedule:\n" + "".join(f"  {line}\n" for line in chain.splitlines())
    add("nested-too-deep", Raw(chain), "schedule." * 31, formats=(".yaml",))

    # -- malformed files, empty files, top-level non-mappings ----------------------------
    for suffix, texts in {
        ".json": {
            "trailing-comma": '{"type": "constant", "value": 0.1,}',
            "single-quotes": "{'type': 'constant'}",
            "truncated": '{"type": "cosine", "start": 0.1',
            "empty": "",
            "whitespace": "   \n",
            "list": '[{"type": "constant", "value": 0.1}]',
            "string": '"cosine"',
            "number": "0.1",
            "null": "null",
            "comment": '// lr\n{"type": "constant", "value": 0.1}',
            "bom": '\ufeff{"type": "constant", "value": 0.1}',
        },
        ".yaml": {
            "bad-indent": "type: cosine\n  start: 0.1\n end: 0.0\n",
            "unclosed": "type: table\nvalues: [0.1, 0.2\n",
            "empty": "",
            "comment-only": "# nothing here\n",
            "list": "- type: constant\n  value: 0.1\n",
            "scalar": "0.1\n",
            "string": "cosine\n",
            "two-documents": "type: constant\nvalue: 0.1\n---\ntype: constant\n",
            "tab-indent": "type: warmup\nschedule:\n\ttype: constant\n",
            "duplicate-anchor-alias": "a: *missing\n",
        },
        ".yml": {
            "empty": "",
            "null": "~\n",
            "unknown-tag": "type: constant\nvalue: !custom 0.1\n",
            "set": "!!set {type, value}\n",
        },
        ".toml": {
            "missing-quote": 'type = "constant\nvalue = 0.1\n',
            "duplicate-key": 'type = "constant"\ntype = "linear"\n',
            "bare-string": "type = constant\nvalue = 0.1\n",
            "no-equals": 'type "constant"\n',
            "unclosed-array": 'type = "table"\nvalues = [0.1, 0.2\n',
            "empty": "",
        },
    }.items():
        for slug, text in texts.items():
            path = "type" if suffix == ".toml" and slug == "empty" else ""
            add(f"malformed-{slug}", Raw(text), path, formats=(suffix,))
    add("not-utf8", Raw(b'{"type": "constant", "value": 0.1, "note": "\xff\xfe"}'), "", formats=(".json",))
    add("yaml-set-values", Raw("type: table\nvalues: !!set {0.1, 0.2}\n"), "values", formats=(".yaml",))
    add("yaml-binary-value", Raw("type: constant\nvalue: !!binary aGVsbG8=\n"), "value", formats=(".yaml",))
    add(
        "yaml-date-steps",
        Raw("type: linear\nstart: 0.1\nend: 0.0\nsteps: 2024-01-01\n"),
        "steps",
        formats=(".yml",),
    )
    add(
        "toml-datetime-value",
        Raw('type = "constant"\nvalue = 1979-05-27T07:32:00Z\n'),
        "value",
        formats=(".toml",),
    )
    add(
        "yaml-alias-cycle",
        Raw("&a {type: warmup, steps: 1, schedule: *a}\n"),
        "schedule." * 31,
        formats=(".yaml",),
    )
    laughs = "a: &a {type: constant, value: 0.1}\n"
    for level in "bcdefghij":
        prev = chr(ord(level) - 1)
        items = ", ".join([f"*{prev}"] * 10)
        laughs += f"{level}: &{level} {{type: join, schedules: [{items}], boundaries: [1, 2, 3, 4, 5, 6, 7, 8, 9]}}\n"
    laughs += "type: warmup\nsteps: 1\nschedule: *j\n"
    add("yaml-billion-laughs", Raw(laughs), "", "at most", formats=(".yaml",))

    # -- YAML tags that would build Python objects: never executed ------------------------
    for slug, text in {
        "apply-os-system": f'!!python/object/apply:os.system ["echo pwned > {MARKER}"]\n',
        "apply-nested": f'type: constant\nvalue: !!python/object/apply:os.system ["echo pwned > {MARKER}"]\n',
        "apply-subprocess": f'!!python/object/apply:subprocess.check_output [["touch", "{MARKER}"]]\n',
        "new-os-system": f'!!python/object/new:os.system ["echo pwned > {MARKER}"]\n',
        "apply-eval": f"!!python/object/apply:builtins.eval [\"__import__('os').system('touch {MARKER}')\"]\n",
        "name": "type: constant\nvalue: !!python/name:os.system\n",
        "module": "type: constant\nvalue: !!python/module:os\n",
        "object": "!!python/object:builtins.dict {type: constant, value: 0.1}\n",
        "tuple": "type: table\nvalues: !!python/tuple [0.1, 0.2]\n",
        "long-form-tag": f'!<tag:yaml.org,2002:python/object/apply:os.system> ["touch {MARKER}"]\n',
        "in-list": f'type: table\nvalues: [0.1, !!python/object/apply:os.system ["touch {MARKER}"]]\n',
    }.items():
        add(f"yaml-tag-{slug}", Raw(text), "", formats=(".yaml", ".yml"))
    return out


# -- writers -----------------------------------------------------------------------------


def to_json(config: Any) -> str | None:
    try:
        return json.dumps(config, indent=1, allow_nan=False) + "\n"
    except ValueError:
        return None


def to_yaml(config: Any) -> str:
    return yaml.safe_dump(config, sort_keys=False, width=200)


def _toml_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        items = [_toml_value(v) for v in value]
        return None if None in items else "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        items = [(k, _toml_value(v)) for k, v in value.items()]
        if any(v is None for _, v in items):
            return None
        return "{" + ", ".join(f"{_toml_key(k)} = {v}" for k, v in items) + "}"
    raise TypeError(value)


def _toml_key(key: Any) -> str:
    key = str(key)
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def to_toml(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    lines = []
    for key, value in config.items():
        text = _toml_value(value)
        if text is None:
            return None
        lines.append(f"{_toml_key(key)} = {text}")
    return "\n".join(lines) + "\n"


WRITERS = {".json": to_json, ".yaml": to_yaml, ".yml": to_yaml, ".toml": to_toml}


def main() -> None:
    if HERE.exists():
        shutil.rmtree(HERE)
    HERE.mkdir()
    expected: dict[str, dict[str, str]] = {}
    rotation = 0
    for index, (slug, config, path, contains, formats) in enumerate(cases()):
        if not formats:  # rotate through the formats that can hold this config
            usable = [f for f in FORMATS if WRITERS[f](config) is not None]
            formats = (usable[rotation % len(usable)],)
            rotation += 1
        for suffix in formats:
            name = f"{index:03d}-{slug}{suffix}"
            if isinstance(config, Raw):
                data = config.text if isinstance(config.text, bytes) else config.text.encode("utf-8")
            else:
                text = WRITERS[suffix](config)
                assert text is not None, (slug, suffix)
                data = text.encode("utf-8")
            (HERE / name).write_bytes(data)
            # A path ending in "." is a prefix (the depth limit cuts a long chain somewhere).
            entry = {"path_prefix": path} if path.endswith(".") else {"path": path}
            if contains:
                entry["contains"] = contains
            expected[name] = entry
    (HERE / "expected.json").write_text(
        json.dumps(expected, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(expected)} bad configs to {HERE}")


if __name__ == "__main__":
    main()
