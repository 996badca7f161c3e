"""The report: one block per table, failed tables first, failed checks listed under each."""
from dataclasses import replace
from datetime import datetime

from shoplake.quality.summary import format_report, table_status
from shoplake.quality.results import CheckResult, to_json


def result(table, check, success, severity="critical", version=1):
    return CheckResult(run_id="run-9", checked_at=datetime(2025, 3, 1, 12, 0), table=table, table_version=version,
                       check=check, kind="key", expectation="x", column=None, severity=severity, success=success,
                       observed_value=to_json(5), details=to_json({"expected": {"max_value": 1}}), table_seconds=1.25)


def test_status_is_failed_on_a_critical_failure_warning_on_a_warning_only():
    assert table_status([result("t.a", "x", False), result("t.a", "y", True)]) == "FAILED"
    assert table_status([result("t.a", "x", False, "warning"), result("t.a", "y", True)]) == "WARNING"
    assert table_status([result("t.a", "x", True)]) == "PASSED"


def test_failed_tables_come_first_then_warnings_then_passes_with_their_failed_checks():
    latest = {
        "gold.a": [result("gold.a", "ok", True)],
        "silver.b": [result("silver.b", "volume", False, "warning", version=3), result("silver.b", "ok", True)],
        "silver.c": [result("silver.c", "volume", False, "warning"), result("silver.c", "key_unique", False),
                     result("silver.c", "ok", True)],
    }
    text = format_report(latest)
    lines = text.splitlines()
    assert lines[0].startswith("Data quality, latest run per table: 1 failed, 1 with warnings, 1 passed")
    order = [line.split()[1] for line in lines[1:] if not line.startswith(" ")]
    assert order == ["silver.c", "silver.b", "gold.a"]
    c_block = lines[lines.index(next(l for l in lines if " silver.c " in l)) + 1:][:2]
    assert c_block[0].split()[:2] == ["critical", "key_unique:"]  # critical failures before warnings
    assert c_block[1].split()[:2] == ["warning", "volume:"]
    assert "observed 5, expected at most 1" in c_block[0]
    assert "v3" in next(l for l in lines if " silver.b " in l)
    assert "run run-9" in lines[1] and "3 checks, 2 failed" in lines[1]


def test_skipped_checks_are_listed_after_the_failed_ones_and_do_not_fail_the_table():
    skipped = replace(result("silver.l", "product_id_known", None),
                      details=to_json({"skipped": "silver.products is not in the lake"}))
    latest = {"silver.l": [skipped, result("silver.l", "volume", False, "warning"), result("silver.l", "ok", True)]}
    assert table_status(latest["silver.l"]) == "WARNING" and table_status([skipped]) == "PASSED"
    lines = format_report(latest).splitlines()
    assert "3 checks, 1 failed, 1 skipped" in lines[1]
    assert [line.split()[:2] for line in lines[2:]] == [["warning", "volume:"], ["critical", "product_id_known:"]]
    assert lines[3].endswith("product_id_known: skipped: silver.products is not in the lake")


def test_no_results_yet_says_how_to_get_some():
    assert "run `shoplake run quality_checks`" in format_report({})
