"""Suites: check names, kinds and severities, and bounds from the time, the config and the baseline."""
import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from shoplake.config.settings import QualitySettings
from shoplake.quality.results import CheckResult
from shoplake.quality.suites import SuiteContext, build_checks, previous_mix, severity_of
from shoplake.catalog import Range, Table, table
from shoplake.quality.specs import generic_spec, known_tables, spec_for

NOW = datetime(2025, 3, 1, 12, 0)
SETTINGS = QualitySettings()
VIEW = "dq_ref_silver_products_test"


def context(table="silver.events", settings=SETTINGS, baseline=None):
    return SuiteContext(table, settings, NOW, baseline or {}, {"silver.products": VIEW})


def checks_by_name(spec, ctx):
    return {c.name: c for c in build_checks(spec, ctx)}


def previous(check, observed, details=None, run_id="run-1"):
    return CheckResult(run_id=run_id, checked_at=NOW, table="silver.events", table_version=3, check=check,
                       kind="drift", expectation="x", column=None, severity="warning", success=True,
                       observed_value=json.dumps(observed), details=json.dumps(details or {}), table_seconds=1.0)


def test_every_check_kind_of_the_issue_is_in_the_events_suite_with_its_default_severity():
    checks = checks_by_name(table("silver.events"), context())
    kinds = {c.kind for c in checks.values()}
    assert kinds == {"schema", "key", "allowed", "range", "referential", "freshness", "rows", "volume", "drift"}
    assert checks["event_id_unique"].severity == checks["event_id_not_null"].severity == "critical"
    assert checks["event_type_allowed"].severity == checks["product_id_known"].severity == "critical"
    assert checks["freshness"].severity == checks["volume"].severity == checks["price_mean_drift"].severity == "warning"
    assert all(c.expectation.meta["check"] == name for name, c in checks.items())
    assert all(c.expectation.severity.value == c.severity for c in checks.values())


def test_keys_are_not_null_and_unique_single_or_compound():
    events = checks_by_name(table("silver.events"), context())
    assert events["event_id_unique"].expectation.expectation_type == "expect_column_values_to_be_unique"
    lines = checks_by_name(table("silver.order_lines"), context("silver.order_lines"))
    compound = lines["order_id_line_no_unique"].expectation
    assert compound.expectation_type == "expect_compound_columns_to_be_unique"
    assert compound.column_list == ["order_id", "line_no"]
    assert {"order_id_not_null", "line_no_not_null", "product_id_not_null"} <= set(lines)


def test_allowed_values_and_ranges_come_from_the_spec():
    spec = Table("silver.t", "a test table", allowed={"status": ("a", "b")},
                 ranges={"rating": Range(1, 5), "price": Range(0, strict_min=True)})
    checks = checks_by_name(spec, context())
    assert checks["status_allowed"].expectation.value_set == ["a", "b"]
    rating, price = checks["rating_range"].expectation, checks["price_range"].expectation
    assert (rating.min_value, rating.max_value, rating.strict_min) == (1, 5, False)
    assert (price.min_value, price.max_value, price.strict_min) == (0, None, True)


def test_time_checks_are_relative_to_now_and_the_configured_delays():
    settings = replace(SETTINGS, freshness_max_delay_hours=6, future_tolerance_minutes=15)
    checks = checks_by_name(table("silver.events"), context(settings=settings))
    assert checks["event_time_not_future"].expectation.max_value == NOW + timedelta(minutes=15)
    assert checks["freshness"].expectation.min_value == NOW - timedelta(hours=6)
    assert checks["freshness"].expectation.column == "event_time"


def test_referential_check_anti_joins_the_reference_view_on_the_column():
    check = checks_by_name(table("silver.events"), context())["product_id_known"]
    query = check.expectation.unexpected_rows_query
    assert "LEFT ANTI JOIN " + VIEW in query and "b.`product_id` = r.`product_id`" in query
    assert "{batch}" in query and "IS NOT NULL" in query


def test_a_reference_to_a_table_without_a_view_gets_no_check():
    without = SuiteContext("silver.order_lines", SETTINGS, NOW, {}, {})
    checks = checks_by_name(table("silver.order_lines"), without)
    assert "product_id_known" not in checks and "product_id_not_null" in checks
    assert not any(c.kind == "referential" for c in checks.values())


def test_schema_checks_name_every_column_and_its_spark_type_class():
    spec = table("silver.orders")
    checks = checks_by_name(spec, context("silver.orders"))
    assert checks["columns"].expectation.column_set == list(spec.columns)
    assert checks["lines_type"].expectation.type_ == "ArrayType"
    assert checks["order_time_type"].expectation.type_ == "TimestampType"
    assert checks["_batch_id_type"].expectation.type_ == "LongType"


def test_without_history_volume_and_drift_only_observe():
    checks = checks_by_name(table("silver.events"), context())
    volume = checks["volume"].expectation
    assert (volume.min_value, volume.max_value) == (0, None)
    nulls = checks["price_nulls_drift"].expectation
    assert (nulls.min_value, nulls.max_value) == (0.0, 1.0)
    mean = checks["price_mean_drift"].expectation
    assert (mean.min_value, mean.max_value) == (None, None)
    assert checks["event_type_mix_drift"].expectation.partition_object is None


def test_with_history_bounds_come_from_the_previous_successful_run_and_the_config():
    settings = replace(SETTINGS, volume_max_change=0.2, drift_null_share_max_change=0.05, drift_mean_max_change=0.1)
    baseline = {
        "volume": previous("volume", 1000),
        "price_nulls_drift": previous("price_nulls_drift", 0.98),
        "product_id_nulls_drift": previous("product_id_nulls_drift", 0.5),
        "price_mean_drift": previous("price_mean_drift", 40.0),
    }
    checks = checks_by_name(table("silver.events"), context(settings=settings, baseline=baseline))
    volume = checks["volume"].expectation
    assert (volume.min_value, volume.max_value) == (800, 1200)
    price_nulls = checks["price_nulls_drift"].expectation
    assert price_nulls.min_value == pytest.approx(0.93) and price_nulls.max_value == 1.0  # clipped to a share
    product_nulls = checks["product_id_nulls_drift"].expectation
    assert (product_nulls.min_value, product_nulls.max_value) == pytest.approx((0.45, 0.55))
    mean = checks["price_mean_drift"].expectation
    assert (mean.min_value, mean.max_value) == pytest.approx((36.0, 44.0))


def test_the_previous_mix_drops_empty_categories_and_sums_to_one():
    details = {"details": {"observed_partition": {"values": ["a", "b", "c"], "weights": [0.6, 0.0, 0.2]}}}
    mix = previous_mix(previous("event_type_mix_drift", 0.0, details))
    assert mix["values"] == ["a", "c"]
    assert mix["weights"] == pytest.approx([0.75, 0.25])
    assert previous_mix(previous("event_type_mix_drift", None, {})) is None
    assert previous_mix(None) is None


def test_severity_overrides_by_table_check_then_kind_then_default():
    settings = replace(SETTINGS, severity={"freshness": "critical", "silver.events:device_nulls_drift": "critical",
                                           "silver.orders:freshness": "warning"})
    assert severity_of(settings, "silver.events", "freshness", "freshness") == "critical"
    assert severity_of(settings, "silver.orders", "freshness", "freshness") == "warning"
    assert severity_of(settings, "silver.events", "device_nulls_drift", "drift") == "critical"
    assert severity_of(settings, "silver.events", "channel_nulls_drift", "drift") == "warning"
    checks = checks_by_name(table("silver.events"), context(settings=settings))
    assert checks["device_nulls_drift"].severity == "critical"
    assert checks["device_nulls_drift"].expectation.severity.value == "critical"


def test_a_table_without_a_spec_gets_volume_and_null_share_drift_of_every_column():
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField("user_id", StringType()), StructField("item", StringType())])
    assert spec_for("gold.recommendations", schema) == generic_spec("gold.recommendations", schema)
    names = set(checks_by_name(spec_for("gold.recommendations", schema), context("gold.recommendations")))
    assert names == {"volume", "user_id_nulls_drift", "item_nulls_drift"}


def test_every_spec_references_and_checks_only_its_own_columns():
    for name in known_tables():
        spec = table(name)
        columns = set(spec.columns)
        used = {c for key in spec.keys for c in key} | set(spec.required) | set(spec.allowed) | set(spec.ranges) \
            | set(spec.not_future) | set(spec.references) | set(spec.drift_nulls) | set(spec.drift_means) \
            | set(spec.drift_mix) | ({spec.freshness} if spec.freshness else set())
        assert used <= columns, (name, used - columns)
        assert set(spec.references.values()) <= set(known_tables()), name


def test_the_tables_with_suites_of_their_own_are_the_ingested_ones_and_those_of_build_gold():
    assert known_tables("bronze") == ["bronze.clickstream", "bronze.orders", "bronze.products", "bronze.reviews",
                                      "bronze.quarantine"]
    assert known_tables("silver") == ["silver.events", "silver.sessions", "silver.orders", "silver.order_lines",
                                      "silver.customers", "silver.products", "silver.reviews"]
    assert known_tables("gold") == ["gold.daily_item_sales", "gold.user_item_interactions", "gold.user_features",
                                    "gold.funnel_daily"]
    assert known_tables("ops") == [] and len(known_tables()) == 16
    assert spec_for("ops.dq_results", table("ops.dq_results").struct()).columns is None  # generic, not its columns
