"""The case table (tests/catalog_cases.py) and the README keep up with the registry: every
registered schedule type has its rows and its line in the README's catalog, and a missing
one fails here by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrcore
from lrcore._schedule import REGISTRY
from tests.catalog_cases import (
    CONFIG_DOMAIN,
    CONFORMANCE_DOMAIN,
    FUZZ_DOMAIN,
    TABLE,
    bad_configs,
    schedule_types,
    type_configs,
)

README = Path(__file__).resolve().parents[2] / "README.md"
KINDS = sorted(schedule_types() | set(TABLE))


@pytest.mark.parametrize("kind", KINDS)
def test_every_registered_type_has_its_rows(kind: str) -> None:
    assert kind in TABLE, (
        f"schedule type {kind!r} is registered but has no rows in tests/catalog_cases.py: add "
        f"TABLE[{kind!r}] with its cases, goldens, long cases, config strategy and bad rows"
    )
    assert kind in schedule_types(), (
        f"tests/catalog_cases.py has rows for {kind!r}, which is no registered type"
    )
    rows = TABLE[kind]
    assert rows.cases, f"{kind}: no cases"
    assert rows.goldens, f"{kind}: no golden values"
    assert rows.long, f"{kind}: no long-horizon case"
    assert bad_configs(kind), f"{kind}: no bad-config rows (fields or bad)"
    built = [*rows.cases.values(), *(g.schedule for g in rows.goldens), *rows.long.values()]
    assert {s.type for s in built} == {kind}, f"{kind}: rows hold schedules of another type"
    assert all(g.exact or g.near for g in rows.goldens), f"{kind}: a golden row without values"
    assert lrcore.from_config(rows.base).type == kind, f"{kind}: the base config is not valid"


@pytest.mark.parametrize("kind", sorted(TABLE))
@pytest.mark.parametrize(
    "domain", [CONFIG_DOMAIN, FUZZ_DOMAIN, CONFORMANCE_DOMAIN], ids=["config", "fuzz", "conformance"]
)
def test_every_strategy_draws_valid_configs_of_its_type(kind: str, domain: object) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        config = data.draw(type_configs(kind, domain))  # type: ignore[arg-type]
        assert lrcore.from_config(config).type == kind

    draw()


def catalog_section(text: str) -> str:
    match = re.search(r"^## The catalog\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, "README.md has no '## The catalog' section"
    return match.group(1)


def table_types(section: str) -> set[str]:
    """The first cell of every row of the markdown tables in a section (headers and the
    separator rows left out)."""
    types = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells and cells[0] not in ("type", "") and not set(cells[0]) <= set("-: "):
            types.add(cells[0].strip("`"))
    return types


def test_table_parser_reads_rows_not_headers() -> None:
    section = "| type | parameters |\n|---|---|\n| constant | value |\n| `cosine` | start |\n\nprose | here\n"
    assert table_types(section) == {"constant", "cosine"}


@pytest.mark.parametrize("kind", KINDS)
def test_readme_catalog_lists_every_registered_type(kind: str) -> None:
    """A catalog type is a row of the README's catalog table; a combinator may instead be
    named as a constructor (``warmup(``) in the section's prose, as the README lists them."""
    section = catalog_section(README.read_text(encoding="utf-8"))
    listed = kind in table_types(section)
    if kind in TABLE and TABLE[kind].combinator:
        listed = listed or f"`{kind}(" in section
    assert listed, f"schedule type {kind!r} is missing from README.md's catalog table (## The catalog)"


def table_parameters(section: str) -> dict[str, list[str]]:
    """Each catalog row's parameter names (the second cell, ``name`` or ``name=default``)."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) > 1 and cells[0] not in ("type", "") and not set(cells[0]) <= set("-: "):
            rows[cells[0].strip("`")] = [p.split("=")[0].strip() for p in cells[1].split(",")]
    return rows


@pytest.mark.parametrize("kind", [k for k in KINDS if not (k in TABLE and TABLE[k].combinator)])
def test_readme_catalog_row_names_every_parameter(kind: str) -> None:
    """The README's row lists exactly the type's config keys: a parameter added to the code
    (cycle_momentum, say) is added to the docs."""
    rows = table_parameters(catalog_section(README.read_text(encoding="utf-8")))
    keys = [p.key for p in REGISTRY[kind]._fields]
    assert sorted(rows[kind]) == sorted(keys), f"README catalog row of {kind!r}: {rows[kind]} vs {keys}"
