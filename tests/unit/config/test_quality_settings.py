"""The quality config section: thresholds and severities are validated with messages naming the key."""
import os

import pytest

from shoplake.config import ConfigError, load_config


def test_the_test_config_has_a_quality_section():
    settings = load_config("test", environ={})
    assert settings.quality.volume_max_change > 0 and settings.quality.unexpected_examples >= 0


@pytest.mark.parametrize("key, value, message", [
    ("volume_max_change", 0, "quality.volume_max_change: must be > 0"),
    ("freshness_max_delay_hours", -1, "quality.freshness_max_delay_hours: must be > 0"),
    ("unexpected_examples", -2, "quality.unexpected_examples: must be >= 0"),
    ("severity", {"freshness": "fatal"}, "quality.severity.freshness: 'fatal' is not one of critical, warning"),
    ("severity", {"freshnes": "critical"}, "quality.severity.freshnes: not a check kind"),
    ("drift_mix_max_divergence", "high", "'quality.drift_mix_max_divergence' must be a number"),
])
def test_bad_quality_settings_are_refused_with_the_key_named(key, value, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_config("test", environ={}, overrides={f"quality.{key}": value})


def test_a_table_check_severity_override_is_accepted_from_the_environment():
    environ = {**os.environ, "SHOPLAKE__QUALITY__SEVERITY": "{silver.events:freshness: critical}"}
    settings = load_config("test", environ=environ)
    assert settings.quality.severity == {"silver.events:freshness": "critical"}
