"""Regenerate the bad-config corpus in ``tests/reliability/bad_configs/``.

Every file there is an invalid schedule config; ``expected.json`` maps each file name to
the field path the resulting ``lrcore.ConfigError`` must name (``""`` for errors about
the file as a whole, such as malformed syntax) and, optionally, text the message must
contain (a did-you-mean). Cases are written in all four supported formats (``.json``,
``.yaml``, ``.yml``, ``.toml``), rotating formats so each kind of mistake appears in
several of them.

The checked-in corpus is a regression corpus: it is not regenerated when a schedule type
is added. Each type's own invalid configs come from the case table
(``tests/catalog_cases.py``: its base config, field classes and bad rows) through
:func:`type_cases`, which ``test_bad_configs.py`` also runs at test time, so a new type is
covered without touching the corpus. Written here by hand is what no type owns: missing
and unknown keys, deep nesting, absurd sizes, malformed files, YAML tags.

Run from the repository root, only when the corpus itself should change (and review the
diff): ``python -m tests.reliability.make_bad_configs``. Neither this file nor the case
table reads lrcore's own parameter declarations, so a change in validation shows up as a
failing test rather than as a silently regenerated expectation.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.catalog_cases import BASE, DROP, TABLE, bad_configs, with_

HERE = Path(__file__).parent / "bad_configs"
FORMATS = (".json", ".yaml", ".toml", ".yml")
# A file a YAML loader that builds Python objects would create; the tests check it never appears.
MARKER = "/tmp/lrcore-reliability-pwned"
COSINE = BASE["cosine"]

# (slug, config or Raw, expected path, message text, formats; empty: any that holds it)
Case = tuple[str, Any, str, str, tuple[str, ...]]


class Raw:
    """Config text written verbatim (malformed files, NaN literals, YAML tags)."""

    def __init__(self, text: str | bytes) -> None:
        self.text = text


def _json_with(config: dict[str, Any], name: str, literal: str) -> str:
    """``config`` as JSON with the top-level ``name`` written as a raw ``literal``."""
    text = json.dumps(with_(config, **{name: "@@"}))
    return text.replace('"@@"', literal)


def type_cases(kind: str) -> list[Case]:
    """Every invalid config of one schedule type, from its rows in the case table."""
    out: list[Case] = [(slug, config, path, text, ()) for slug, config, path, text in bad_configs(kind)]
    for name in TABLE[kind].fields:
        base = BASE[kind]
        # JSON has no NaN: the parser rejects the literal, so the error is about the file.
        out.append((f"{kind}-{name}-json-nan", Raw(_json_with(base, name, "NaN")), "", "NaN", (".json",)))
        # 1e999 is valid JSON that Python reads as infinity: the field must be named.
        out.append(
            (f"{kind}-{name}-json-overflow", Raw(_json_with(base, name, "1e999")), name, "", (".json",))
        )
    return out


def cases() -> list[Case]:
    """Every case of the corpus."""
    out: list[Case] = []

    def add(slug: str, config: Any, path: str, contains: str = "", formats: tuple[str, ...] = ()) -> None:
        out.append((slug, config, path, contains, formats))

    # -- every schedule type's own invalid configs, from the case table -----------------
    for kind in TABLE:
        out += type_cases(kind)

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

    # -- mistakes inside nested configs ----------------------------------------------------
    j = BASE["join"]
    add(
        "join-inner-bad-type",
        with_(j, schedules=[with_(COSINE, type="cosinus"), COSINE]),
        "schedules[0].type",
        "did you mean 'cosine'",
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

    # -- absurd sizes -------------------------------------------------------------------
    add("linear-steps-2-pow-63", with_(BASE["linear"], steps=2**63), "steps")
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
