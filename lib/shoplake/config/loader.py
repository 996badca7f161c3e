"""Load a YAML file into :class:`Settings`, apply environment overrides, validate once.

Environment overrides use ``SHOPLAKE__<SECTION>__<KEY>=value`` (for example
``SHOPLAKE__LAKE__ROOT=/data/lake`` or ``SHOPLAKE__MLFLOW__TRACKING_URI=http://mlflow:5000``).
Values are parsed as YAML scalars and then checked like file values.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shoplake.config.settings import Settings
from shoplake.errors import ConfigurationError

ENV_PREFIX = "SHOPLAKE__"
CONF_DIR = Path(__file__).resolve().parents[3] / "conf"


class ConfigError(ConfigurationError):
    """A configuration file or override is missing, malformed or invalid."""


def config_path(env_or_path: str) -> Path:
    """Resolve ``local``/``test``/``cluster`` to ``conf/<env>.yaml``; a path is returned as is."""
    candidate = Path(env_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    return CONF_DIR / f"{env_or_path}.yaml"


def load_config(
    env_or_path: str = "local",
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read the config for an environment name or YAML path and return validated settings.

    ``environ`` supplies ``SHOPLAKE__SECTION__KEY`` overrides (pass ``os.environ`` from a
    job entry point); ``overrides`` is a ``{"section.key": value}`` mapping applied last.
    """
    path = config_path(env_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CONF_DIR.glob("*.yaml")))
        raise ConfigError(f"config file not found: {path} (known environments: {known})")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: top level must be a mapping of sections")
    origins = {}
    for dotted, value in _environment_overrides(environ or {}).items():
        origins[dotted] = f"environment variable {ENV_PREFIX}{dotted.replace('.', '__').upper()}"
        _set_dotted(raw, dotted, value, origins[dotted])
    for dotted, value in (overrides or {}).items():
        origins[dotted] = f"override {dotted}"
        _set_dotted(raw, dotted, value, origins[dotted])
    raw.setdefault("env", path.stem)
    settings = _build(Settings, raw, prefix="", where=str(path))
    settings = dataclasses.replace(settings, source_file=str(path))
    errors = [_with_origin(e, origins) for section in _sections(settings) for e in section.validate()]
    if errors:
        raise ConfigError(f"{path}: invalid configuration: " + "; ".join(errors))
    return settings


def _with_origin(error: str, origins: Mapping[str, str]) -> str:
    """``error`` plus where its key's value came from, when an override set it."""
    keys = error.split(":", 1)[0]
    origin = next((o for dotted, o in origins.items() if dotted in keys), None)
    return f"{error} (set by {origin})" if origin else error


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out = {}
    for name, text in environ.items():
        if name.startswith(ENV_PREFIX):
            dotted = name[len(ENV_PREFIX):].lower().replace("__", ".")
            try:
                out[dotted] = yaml.safe_load(text) if text != "" else ""
            except yaml.YAMLError as exc:
                raise ConfigError(
                    f"environment variable {name}: not a valid YAML value ({_yaml_problem(exc)}); "
                    f"quote it to pass a plain string, e.g. {name}=\"'...'\""
                ) from exc
    return out


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: what is wrong and where (line and column, 1-based)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def _set_dotted(raw: dict, dotted: str, value: Any, origin: str) -> None:
    parts = dotted.split(".")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"{origin}: expected SECTION.KEY, got {dotted!r}")
    section, key = parts
    node = raw.setdefault(section, {})
    if not isinstance(node, dict):
        raise ConfigError(f"{origin}: section {section!r} is not a mapping")
    section_type = typing.get_type_hints(Settings).get(section)
    if dataclasses.is_dataclass(section_type):
        declared = typing.get_type_hints(section_type).get(key)
        if declared is not None:
            coerce(declared, value, dotted, origin)  # a wrong type names the variable, not the file
    node[key] = value


def _sections(settings: Settings) -> list:
    return [getattr(settings, f.name) for f in dataclasses.fields(settings) if dataclasses.is_dataclass(getattr(settings, f.name))]


def _build(cls: type, raw: Any, prefix: str, where: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: {prefix.rstrip('.') or 'top level'} must be a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source_file"}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = prefix + unknown[0]
        raise ConfigError(f"{where}: unknown key {key!r} (allowed in {prefix.rstrip('.') or 'top level'}: {', '.join(fields)})")
    values = {}
    for name, value in raw.items():
        values[name] = coerce(hints[name], value, prefix + name, where)
    return cls(**values)


def coerce(hint: Any, value: Any, key: str, where: str):
    """``value`` as the type ``hint`` declares; a :class:`ConfigError` naming ``key`` and ``where`` if it is not."""
    if dataclasses.is_dataclass(hint):
        return _build(hint, value if value is not None else {}, key + ".", where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: {key!r} must be a list, got {value!r}")
        item_hint = typing.get_args(hint)[0]
        return tuple(coerce(item_hint, v, f"{key}[{i}]", where) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key!r} must be a mapping, got {value!r}")
        value_hint = typing.get_args(hint)[1]
        return {str(k): coerce(value_hint, v, f"{key}.{k}", where) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key!r} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {key!r} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {key!r} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{where}: {key!r} must be a string, got {value!r}")
        return str(value)
    return value
