"""Configuration: YAML files in ``conf/`` loaded into typed, validated settings."""

from shoplake.config.loader import ConfigError, config_path, load_config
from shoplake.config.overrides import apply_overrides
from shoplake.config.settings import Settings

__all__ = ["ConfigError", "Settings", "apply_overrides", "config_path", "load_config"]
