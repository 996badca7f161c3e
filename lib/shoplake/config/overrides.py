"""Config values set for one run (a job's flags) on top of loaded settings, validated like the file."""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping

from shoplake.config.loader import ConfigError, coerce
from shoplake.config.settings import Settings


def apply_overrides(settings: Settings, overrides: Mapping[str, object]) -> Settings:
    """``settings`` with ``{"section.key": value}`` replaced (``"section.key.inner"`` sets one entry of a
    mapping key); a value of the wrong type or out of bounds is a :class:`ConfigError` naming the key."""
    if not overrides:
        return settings
    sections = {}
    for dotted, value in overrides.items():
        section, key, *inner = dotted.split(".")
        current = sections.get(section) or getattr(settings, section)
        if inner:
            value = {**getattr(current, key), inner[0]: value}
        else:
            value = coerce(typing.get_type_hints(type(current))[key], value, dotted, "option")
        sections[section] = dataclasses.replace(current, **{key: value})
    errors = [error for section in sections.values() for error in section.validate()]
    if errors:
        raise ConfigError("invalid option: " + "; ".join(errors))
    return dataclasses.replace(settings, **sections)
