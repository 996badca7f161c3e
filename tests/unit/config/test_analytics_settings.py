"""The ``analytics`` config section: defaults load, bad values stop with a message naming the key."""
from __future__ import annotations

import pytest

from shoplake.config import ConfigError, load_config


def test_test_config_has_ci_sized_analytics():
    cfg = load_config("test", environ={}).analytics
    assert cfg.segment_k_max <= 5 and cfg.churn_train_cutoffs <= 3 and cfg.cohort_period == "week"
    assert next(iter(cfg.segment_rules)) == "champions"  # rules keep their order: the first match names a segment


def test_rules_can_be_replaced_from_the_environment():
    cfg = load_config("test", environ={"SHOPLAKE__ANALYTICS__SEGMENT_DEFAULT_NAME": "everyone else"}).analytics
    assert cfg.segment_default_name == "everyone else"


@pytest.mark.parametrize("key, value, message", [
    ("cohort_period", "day", "analytics.cohort_period: 'day' is not one of week, month"),
    ("segment_k_min", 6, "segment_k_min <= segment_k_max"),
    ("churn_cutoff", "March", "analytics.churn_cutoff: 'March' is not a date"),
    ("anomaly_no_browsing_weight", 1.0, "browsing alone never flags"),
    ("bundle_min_support", 0.0, "analytics.bundle_min_support: must be in"),
    ("churn_test_share", 1.0, "analytics.churn_test_share"),
    ("funnel_within_days", 0, "analytics.funnel_within_days: must be >= 1"),
    ("segment_rules", {"vip": " "}, "analytics.segment_rules.vip: the condition must not be empty"),
    ("kmeans_k", 3, "unknown key 'analytics.kmeans_k'"),
])
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("'", "'")):
        load_config("test", environ={}, overrides={f"analytics.{key}": value})
