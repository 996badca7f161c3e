"""The input contract enforced by the ingest jobs, from the outside: files of hostile records in, tables out.

Each record that breaks a bound lands in ``bronze.quarantine`` with its own reason and its raw text;
only the valid ones reach silver, and bronze reconciles to silver plus quarantine.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest
from pyspark.sql import functions as F

from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake

pytestmark = pytest.mark.slow
KEY = b"test-pseudonym-key"
DAY = "date=2024-01-10"


def event(event_id, **fields) -> dict:
    return {"event_id": event_id, "event_time": "2024-01-09T10:00:00Z", "user_id": "u1", "session_id": "s1",
            "event_type": "search", "query": "linen shirt", **fields}


def order(order_id, **fields) -> dict:
    return {"order_id": order_id, "customer_id": "c1", "order_time": "2024-01-09T10:00:00Z", "status": "placed",
            "updated_at": "2024-01-09T10:05:00Z", "email": "ann@example.com",
            "lines": [{"product_id": "p1", "quantity": 1, "unit_price": 10.0, "discount": 0.0}], **fields}


def drop(inputs, source: str, records: list[dict]) -> list[str]:
    """Write ``records`` as one JSON-lines file of ``source``'s day folder; return the lines."""
    lines = [json.dumps(record) for record in records]
    folder = inputs / source / DAY
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.json").write_text("".join(line + "\n" for line in lines))
    return lines


@pytest.fixture
def shop(spark, settings, tmp_path):
    """An empty inputs folder and lake under ``tmp_path``, with the test config (or ``ingest`` overrides); any
    quarantined share is accepted, as these files are mostly hostile."""
    def make(**ingest):
        cfg = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")),
                      paths=replace(settings.paths, inputs=str(tmp_path / "inputs")),
                      ingest=replace(settings.ingest, **{"max_quarantine_share": 1.0, **ingest}))
        return open_lake(spark, cfg), cfg, tmp_path / "inputs"
    return make


def quarantined(lake) -> dict[str, str]:
    """Raw line -> reason of every quarantined record."""
    return {r.raw: r.reason for r in lake.read("bronze.quarantine").select("raw", "reason").collect()}


def test_hostile_events_are_quarantined_each_with_its_reason(spark, shop):
    lake, cfg, inputs = shop()
    missing_session = event("e-no-session")
    del missing_session["session_id"]
    expected = {
        "time_before_min_event_time": [event("e-epoch", event_time="1970-01-01T00:00:00Z"),
                                       event("e-year-one", event_time="0001-01-01T00:00:00Z")],
        "invalid_id_type": [event("e-object-user", user_id={"id": "u1", "email": "ann@example.com"}),
                            event(4711), event("e-number-product", product_id=1234)],
        "missing_session_id": [missing_session, event("e-empty-session", session_id="")],
        "text_too_long": [event("e-10mb-query", query="q" * 10 * 1024 * 1024)],
    }
    valid = [event("e-ok-1"), event("e-ok-2", product_id="1234", user_id="42")]
    lines = drop(inputs, "clickstream", valid + [r for records in expected.values() for r in records])

    ingest_clickstream(lake, cfg, KEY)

    assert sorted(r.event_id for r in lake.read("silver.events").select("event_id").collect()) == ["e-ok-1", "e-ok-2"]
    assert quarantined(lake) == {json.dumps(r): reason for reason, records in expected.items() for r in records}
    assert lake.read("bronze.clickstream").count() == len(lines) == 2 + len(quarantined(lake))


def test_hostile_orders_are_quarantined_each_with_its_reason(spark, shop):
    lake, cfg, inputs = shop()
    line = order("o-ok")["lines"][0]
    expected = {
        "time_before_min_event_time": [order("o-epoch", order_time="1970-01-01T00:00:00Z"),
                                       order("o-year-one", order_time="0001-01-01T00:00:00Z",
                                             updated_at="0001-01-01T00:05:00Z")],
        "invalid_id_type": [order(9001), order("o-object-customer", customer_id={"email": "ann@example.com"}),
                            order("o-number-product", lines=[line, {**line, "product_id": 77}])],
        "text_too_long": [order("o-long-address", address="x" * 5000)],
    }
    drop(inputs, "orders", [order("o-ok")] + [r for records in expected.values() for r in records])

    ingest_orders(lake, cfg, KEY)

    assert [r.order_id for r in lake.read("silver.orders").select("order_id").collect()] == ["o-ok"]
    assert quarantined(lake) == {json.dumps(r): reason for reason, records in expected.items() for r in records}


def test_configured_bounds_reach_the_ingest_job(spark, shop):
    lake, cfg, inputs = shop(min_event_time="2024-01-09T00:00:00Z", max_text_length_by_field={"query": 16})
    records = [event("e-ok", query="q" * 16), event("e-early", event_time="2024-01-08T23:59:59Z"),
               event("e-long", query="q" * 17)]
    drop(inputs, "clickstream", records)

    ingest_clickstream(lake, cfg, KEY)

    assert [r.event_id for r in lake.read("silver.events").select("event_id").collect()] == ["e-ok"]
    reasons = Counter(r.reason for r in lake.read("bronze.quarantine").select("reason").collect())
    assert reasons == {"time_before_min_event_time": 1, "text_too_long": 1}
    early = lake.read("bronze.quarantine").filter(F.col("reason") == "time_before_min_event_time").first()
    assert json.loads(early.raw)["event_id"] == "e-early"
