"""One results format: JSON of what GE observed, rows of ops.dq_results, readable sentences."""
import json
import math
from dataclasses import replace
from datetime import datetime

import numpy as np

from shoplake.quality.describe import describe
from shoplake.quality.results import RESULTS_SCHEMA, CheckResult, details_of, observed_of, to_json

T = datetime(2025, 3, 1, 12, 0)


def result(check="c", observed=None, details=None, success=False, severity="critical", expectation="x",
           column=None):
    return CheckResult(run_id="r1", checked_at=T, table="silver.events", table_version=4, check=check, kind="key",
                       expectation=expectation, column=column, severity=severity, success=success,
                       observed_value=to_json(observed), details=to_json(details or {}), table_seconds=2.5)


def test_json_holds_timestamps_as_text_numpy_as_numbers_and_no_infinities():
    text = to_json({"max": T, "kl": math.inf, "nan": float("nan"), "n": np.int64(3), "w": [np.float64(0.5)]})
    assert json.loads(text) == {"max": "2025-03-01 12:00:00", "kl": None, "nan": None, "n": 3, "w": [0.5]}


def test_observed_is_the_observed_value_or_the_unexpected_counts_of_a_row_level_check():
    assert observed_of({"observed_value": 41}) == 41
    row_level = {"element_count": 10, "unexpected_count": 2, "unexpected_percent": 20.0,
                 "partial_unexpected_list": ["x"]}
    assert observed_of(row_level) == {"element_count": 10, "unexpected_count": 2, "unexpected_percent": 20.0}
    assert observed_of({}) is None


def test_details_keep_the_bounds_examples_error_and_baseline_but_not_runtime_flags():
    details = details_of({"column": "price", "min_value": 0, "max_value": None, "catch_exceptions": True},
                         {"partial_unexpected_list": [-1.0], "details": {"k": 1}}, "boom", "run-0")
    assert details == {"expected": {"min_value": 0}, "details": {"k": 1}, "examples": [-1.0], "error": "boom",
                       "baseline_run": "run-0"}


def test_a_result_round_trips_through_a_row_of_the_results_table():
    r = result(observed={"unexpected_count": 1}, details={"expected": {"min_value": 1}})
    row = dict(zip(RESULTS_SCHEMA.fieldNames(), r.as_row()))
    assert CheckResult.from_row(row) == r
    assert r.observed() == {"unexpected_count": 1} and r.details_dict()["expected"] == {"min_value": 1}
    assert r.failed_critical and not result(severity="warning").failed_critical
    assert not result(success=True).failed_critical


def test_a_row_written_before_reference_versions_were_recorded_reads_without_them():
    r = result(success=True)
    row = dict(zip(RESULTS_SCHEMA.fieldNames(), r.as_row()))
    del row["reference_versions"]
    assert CheckResult.from_row(row) == r and r.reference_versions is None
    with_versions = replace(r, reference_versions={"silver.products": 3})
    assert CheckResult.from_row(dict(zip(RESULTS_SCHEMA.fieldNames(), with_versions.as_row()))) == with_versions


def test_a_skipped_check_neither_passed_nor_failed():
    skipped = result(success=None, details={"skipped": "silver.products is not in the lake (no product catalogue)"})
    assert skipped.skipped and not skipped.failed and not skipped.failed_critical
    assert result(success=False).failed and not result(success=False).skipped
    assert describe(skipped) == "skipped: silver.products is not in the lake (no product catalogue)"


def test_sentences_say_what_was_observed_against_what_was_expected():
    counts = {"unexpected_count": 3, "element_count": 200, "unexpected_percent": 1.5}
    assert describe(result(observed=counts, details={"examples": ["a", "b"]})) == \
        "3 of 200 rows unexpected (1.50%), e.g. 'a', 'b'"
    assert describe(result(observed=5000, details={"expected": {"min_value": 800, "max_value": 1200}})) == \
        "observed 5000, expected 800 to 1200"
    assert describe(result(observed=0.0, details={"expected": {"min_value": 0, "strict_min": True}})) == \
        "observed 0, expected above 0"
    assert describe(result(observed=0.42, details={"expected": {"threshold": 0.1}})) == \
        "observed 0.42, expected at most 0.1"
    assert describe(result(observed="StringType", details={"expected": {"type_": "DoubleType"}})) == \
        "observed StringType, expected DoubleType"
    assert describe(result(observed=7, column="product_id", details={"reference": "silver.products v2"})) == \
        "7 rows with a product_id that silver.products v2 does not have"
    assert describe(result(expectation="expect_table_columns_to_match_set", observed=["a"],
                           details={"details": {"mismatched": {"missing": ["b"], "unexpected": ["c"]}}})) == \
        "columns differ: missing b; unexpected c"
    assert describe(result(details={"error": 'The column "x" in BatchData does not exist.'})) == \
        'could not be evaluated: The column "x" in BatchData does not exist.'
