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


def add_model_arguments(parser, default_key: str) -> None:
    """``--registered-model`` and ``--model-version`` of a job that scores with a registered model."""
    parser.add_argument("--registered-model", help=f"MLflow registered model name (default: dl.{default_key})")
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")
