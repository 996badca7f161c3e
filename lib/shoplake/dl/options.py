"""Job flags that override ``dl`` settings for one run (e.g. ``--epochs``), validated like the config file."""
from __future__ import annotations

from dataclasses import replace

from shoplake.config import ConfigError, Settings


def with_dl_options(settings: Settings, **values) -> Settings:
    """``settings`` with the given ``dl`` keys replaced (``None`` values are left as configured)."""
    changed = {name: value for name, value in values.items() if value is not None}
    if not changed:
        return settings
    dl = replace(settings.dl, **changed)
    errors = dl.validate()
    if errors:
        raise ConfigError("invalid option: " + "; ".join(errors))
    return replace(settings, dl=dl)
