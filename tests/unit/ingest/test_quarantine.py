"""A batch's outcomes by reason, the share bound exact at its edge, and the one-line refusal."""
from __future__ import annotations

import logging

import pytest

from shoplake.ingest.errors import QuarantineTooHigh
from shoplake.ingest.parse import REASON
from shoplake.ingest.quarantine import (
    ACCEPT_FLAG,
    Outcomes,
    Reason,
    allowed_quarantine,
    check_share,
    count_outcomes,
    refusal,
)

FOUR_REASONS = Outcomes(2, (Reason("missing_order_id", 5, "date=2024-01-10/part-0.json: {\"id\": 1}"),
                            Reason("malformed_json", 3, "date=2024-01-10/part-0.json: {\"order"),
                            Reason("unknown_status", 2, "date=2024-01-10/part-1.json: {\"status\": \"lost\"}"),
                            Reason("unreadable_file", 1, "date=2024-01-10/junk.json")))


@pytest.mark.parametrize("records, share, allowed", [(100, 0.29, 29), (8, 0.25, 2), (7, 0.25, 1), (12, 0.05, 0),
                                                     (12, 1.0, 12), (0, 0.05, 0)])
def test_the_share_allows_exactly_its_bound(records, share, allowed):
    assert allowed_quarantine(records, share) == allowed  # 100 * 0.29 is 28.999... in floating point


def test_the_refusal_is_one_line_naming_the_top_reasons_with_their_counts_and_an_example():
    message = refusal("orders", 3, FOUR_REASONS, 0.05)
    assert "\n" not in message
    assert message.startswith("orders batch 3 refused: 11 of 13 records quarantined (84.6%, more than "
                              "ingest.max_quarantine_share 5.0%): missing_order_id 5 (e.g. "
                              "date=2024-01-10/part-0.json: {\"id\": 1}), malformed_json 3 (e.g. ")
    assert "unknown_status 2 (e.g. date=2024-01-10/part-1.json" in message and "and 1 more reason(s)" in message
    assert "unreadable_file" not in message and ACCEPT_FLAG in message


def test_a_batch_at_the_share_passes_one_over_is_refused_unless_accepted(caplog):
    at_bound = Outcomes(6, (Reason("malformed_json", 2, "f: x"),))  # 2 of 8 = 25%
    check_share("orders", 0, at_bound, 0.25, accept=False)
    over = Outcomes(5, (Reason("malformed_json", 2, "f: x"),))  # 2 of 7
    with pytest.raises(QuarantineTooHigh, match=r"orders batch 1 refused: 2 of 7 records quarantined \(28.6%"):
        check_share("orders", 1, over, 0.25, accept=False)
    with caplog.at_level(logging.WARNING):
        check_share("orders", 1, over, 0.25, accept=True)
    assert f"accepted with {ACCEPT_FLAG}" in caplog.text


def test_outcomes_count_landed_and_quarantined_records_with_the_first_example_of_each_reason(spark):
    long_line = "{\"order_id\": \"" + "x" * 200 + "\"}"
    parsed = spark.createDataFrame(
        [("{\"ok\": 1}", "file:/in/orders/date=2024-01-10/a.json", None),
         ("{\"ok\": 2}", "file:/in/orders/date=2024-01-10/a.json", None),
         ("line one\nline two", "file:/in/orders/date=2024-01-10/b.json", "malformed_json"),
         ("zzz", "file:/in/orders/date=2024-01-10/c.json", "malformed_json"),
         (long_line, "file:/in/orders/part-9.json", "missing_customer_id")],
        f"value string, _source_file string, {REASON} string")
    unreadable = spark.createDataFrame([("file:/in/orders/date=2024-01-11/junk.json", "unreadable_file")] * 3,
                                       "_source_file string, reason string")
    found = count_outcomes(parsed, unreadable)
    assert (found.landed, found.quarantined) == (2, 6)
    assert found.by_reason() == {"unreadable_file": 3, "malformed_json": 2, "missing_customer_id": 1}
    assert [r.name for r in found.reasons] == ["unreadable_file", "malformed_json", "missing_customer_id"]
    examples = {r.name: r.example for r in found.reasons}
    assert examples["unreadable_file"] == "date=2024-01-11/junk.json"
    assert examples["malformed_json"] == "date=2024-01-10/b.json: line one line two"
    assert examples["missing_customer_id"] == "orders/part-9.json: " + long_line[:80] + "..."
