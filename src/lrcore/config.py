"""Reading and writing schedule configs: mappings, JSON, YAML and TOML files.

Loading never executes code: JSON and TOML are data-only, YAML is read with the safe
loader (a tag that would build a Python object is an error).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ._errors import ConfigError
from ._schedule import Schedule, from_mapping

if TYPE_CHECKING:
    from ._plateau import Plateau

_MAX_BYTES = 16 << 20
_MAX_DEPTH = 64  # containers nested deeper than this are a mistake (or a cycle of YAML aliases)
_MAX_ITEMS = 4_000_000  # values in a config, counting every repetition of a shared part
_MAX_SCHEDULES = 10_000  # mappings in a config, likewise


def from_config(config: Mapping[str, Any]) -> Schedule | Plateau:
    """The schedule a config mapping describes (``schedule.to_config()`` inverts it).

    An OmegaConf ``DictConfig`` (what Hydra hands a task) is read with its interpolations
    resolved (``steps: ${trainer.max_steps}``).

    >>> lrcore.from_config({"type": "cosine", "start": 0.1, "end": 0.0, "steps": 100})
    lrcore.cosine(start=0.1, end=0.0, steps=100)
    """
    config = _from_omegaconf(config)
    _check_shape(config)
    return cast("Schedule | Plateau", from_mapping(config))


def _from_omegaconf(config: Any) -> Any:
    """Plain containers for an OmegaConf ``DictConfig``/``ListConfig``, interpolations resolved.

    The type's module name tells, so that ``import lrcore`` (and every plain config) never
    imports omegaconf.
    """
    if not type(config).__module__.startswith("omegaconf."):
        return config
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.to_container(config, resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as error:
        # OmegaConf names the field (full_key) and what went wrong in its first line.
        path = str(getattr(error, "full_key", "") or "")
        problem = (str(error).splitlines() or [""])[0]
        raise ConfigError(path, "a value (interpolations must resolve)", problem) from None


def _check_shape(config: Any) -> None:
    """Reject configs nested too deeply or too large once shared parts are repeated.

    YAML aliases can make a small file describe a cycle or an exponentially large tree
    ("billion laughs"); building schedules from it would recurse forever or hang. Sizes
    are memoised per shared container, so the check itself stays linear in the file.
    """
    sizes: dict[int, tuple[int, int]] = {}

    def size(value: Any, path: str, depth: int) -> tuple[int, int]:
        known = sizes.get(id(value))
        if known is not None:
            return known
        if depth > _MAX_DEPTH:
            raise ConfigError(
                path,
                f"a config nested at most {_MAX_DEPTH} levels deep",
                "deeper nesting",
                hint="a cycle through YAML aliases?",
            )
        if isinstance(value, Mapping):
            children = list(value.items())
            items, mappings = 1, 1
        else:
            children = list(enumerate(value))
            items, mappings = 1, 0
        for key, child in children:
            if isinstance(child, (Mapping, list, tuple)):
                if isinstance(value, Mapping):
                    child_path = f"{path}.{key}" if path else str(key)
                else:
                    child_path = f"{path}[{key}]"
                more = size(child, child_path, depth + 1)
                items, mappings = items + more[0], mappings + more[1]
            else:
                items += 1
            if items > _MAX_ITEMS or mappings > _MAX_SCHEDULES:
                raise ConfigError(
                    "",
                    f"a config of at most {_MAX_ITEMS} values and {_MAX_SCHEDULES} schedules",
                    "more",
                    hint="YAML aliases repeat each shared part",
                )
        sizes[id(value)] = (items, mappings)
        return items, mappings

    if isinstance(config, (Mapping, list, tuple)):
        size(config, "", 0)


def loads(text: str, format: str = "json") -> Schedule | Plateau:
    """A schedule from config text in ``json``, ``yaml`` or ``toml``."""
    return from_config(_parse(text, format, "<string>"))


def load(path: str | os.PathLike[str]) -> Schedule | Plateau:
    """A schedule from a ``.json``, ``.yaml``/``.yml`` or ``.toml`` file."""
    from pathlib import Path

    file = Path(path)
    suffix = file.suffix.lower()
    formats = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
    if suffix not in formats:
        raise ConfigError("", "a .json, .yaml, .yml or .toml file", str(file))
    try:
        size = file.stat().st_size
        if size > _MAX_BYTES:
            raise ConfigError("", f"a config file under {_MAX_BYTES} bytes", f"{size} bytes")
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("", "a readable config file", str(file), hint=error.strerror or "") from None
    except UnicodeDecodeError:
        raise ConfigError("", "a UTF-8 text file", str(file)) from None
    return from_config(_parse(text, formats[suffix], str(file)))


def dump(schedule: Schedule | Plateau, path: str | os.PathLike[str]) -> None:
    """Write ``schedule.to_config()`` to a ``.json``, ``.yaml`` or ``.toml`` file."""
    import json
    from pathlib import Path

    file = Path(path)
    config = schedule.to_config()
    suffix = file.suffix.lower()
    if suffix == ".json":
        file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    elif suffix in (".yaml", ".yml"):
        import yaml

        file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    elif suffix == ".toml":
        file.write_text(_toml(config), encoding="utf-8")
    else:
        raise ConfigError("", "a .json, .yaml, .yml or .toml file", str(file))


def _parse(text: str, format: str, where: str) -> Any:
    import json

    if format == "json":
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except ConfigError:
            raise
        # ValueError covers JSONDecodeError and integers beyond Python's digit limit.
        except (ValueError, RecursionError) as error:
            raise ConfigError("", f"valid JSON in {where}", _snippet(text), hint=str(error)) from None
    elif format == "yaml":
        try:
            import yaml
        except ImportError:  # pragma: no cover - pyyaml is a dependency
            raise ConfigError("", "PyYAML installed to read YAML", where) from None
        try:
            data = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as error:  # ValueError: integers beyond the digit limit
            got, hint = _yaml_problem(error, text)
            raise ConfigError("", f"valid, plain-data YAML in {where}", got, hint=hint) from None
        except RecursionError:
            raise ConfigError("", f"YAML nested less deeply in {where}", _snippet(text)) from None
    elif format == "toml":
        import sys

        if sys.version_info >= (3, 11):
            import tomllib
        else:  # Python 3.10 has no tomllib; tomli is the same parser (a dependency on 3.10 only)
            import tomli as tomllib

        try:
            data = tomllib.loads(text)
        except (ValueError, RecursionError) as error:  # TOMLDecodeError is a ValueError
            raise ConfigError("", f"valid TOML in {where}", _snippet(text), hint=str(error)) from None
    else:
        raise ConfigError("format", "one of 'json', 'yaml', 'toml'", format)
    if not isinstance(data, Mapping):
        raise ConfigError("", f"a mapping with a 'type' at the top of {where}", data)
    return data


def _reject_constant(name: str) -> Any:
    raise ConfigError("", "finite numbers (JSON has no NaN or Infinity)", name)


def _yaml_problem(error: Exception, text: str) -> tuple[str, str]:
    """The offending line and what is wrong there (``line 3, column 7: ...``): the whole
    file says nothing, and PyYAML's own message spreads over several lines."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or (str(error).splitlines() or [""])[0]
    if mark is None:
        return _snippet(text), problem
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    return (
        f"line {mark.line + 1}: {_snippet(line)}",
        f"line {mark.line + 1}, column {mark.column + 1}: {problem}",
    )


def _snippet(text: str) -> str:
    text = text.strip()
    return text if len(text) < 60 else text[:57] + "..."


def _toml(config: Mapping[str, Any], prefix: str = "") -> str:
    """A small TOML writer for configs (plain values, nested tables, arrays of tables)."""
    import json

    plain, tables, arrays = [], [], []
    for key, value in config.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((key, value))
        else:
            plain.append(f"{key} = {json.dumps(value)}")
    lines = plain
    for key, value in tables:
        name = f"{prefix}{key}"
        lines += ["", f"[{name}]", _toml(value, name + ".")]
    for key, items in arrays:
        name = f"{prefix}{key}"
        for item in items:
            lines += ["", f"[[{name}]]", _toml(item, name + ".")]
    return "\n".join(line for line in lines if line is not None) + ("\n" if not prefix else "")
