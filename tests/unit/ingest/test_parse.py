"""Contract parsing: every kind of bad record gets its own reason; good ones come out typed."""
from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from shoplake.errors import ConfigurationError
from shoplake.schemas.source_mapping import source_mapping
from shoplake.ingest.parse import REASON, Rule, parse_records
from shoplake.schemas.mapping import MAPPED, map_records
from shoplake.schemas import CLICKSTREAM, ORDERS

GOOD = ('{"event_id":"e1","event_time":"2026-03-01T10:00:00Z","user_id":"u1","session_id":"s1",'
        '"event_type":"product_view","product_id":"p1","price":9.5,"quantity":1}')


def parse(spark, lines, contract=CLICKSTREAM, rules=(), column_map=None, ingest=None):
    """Parse ``lines`` mapped by ``column_map`` renames; the rows by their position in ``lines``."""
    raw = spark.createDataFrame([(line, i) for i, line in enumerate(lines)], "value string, pos int")
    mapped = map_records(raw, source_mapping(contract.name, renames=column_map), contract)
    return {r.pos: r for r in parse_records(mapped, contract, rules, value_column=MAPPED, ingest=ingest).collect()}


def test_valid_record_is_typed(spark):
    row = parse(spark, [GOOD])[0]
    assert row[REASON] is None
    assert row.event_time == dt.datetime(2026, 3, 1, 10, 0)
    assert row.price == 9.5 and row.quantity == 1
    assert row.value == GOOD  # the raw text is kept


@pytest.mark.parametrize(
    "line, reason",
    [
        ('{"event_id":"e1", "event_time":', "malformed_json"),
        ("not json at all", "malformed_json"),
        ('{"event_time":"2026-03-01T10:00:00Z","user_id":"u1","event_type":"search"}', "missing_event_id"),
        ('{"event_id":"e1","event_time":"2026-03-01T10:00:00Z","event_type":"search"}', "missing_user_id"),
        ('{"event_id":"e1","event_time":"2026-03-01T10:00:00Z","user_id":"u1","event_type":"search"}',
         "missing_session_id"),
        ('{"event_id":"e1","event_time":"yesterday","user_id":"u1","session_id":"s1","event_type":"search"}',
         "wrong_type_event_time"),
        ('{"event_id":"e1","event_time":"2026-03-01T10:00:00Z","user_id":"u1","session_id":"s1","event_type":"search",'
         '"quantity":"two"}', "wrong_type_quantity"),
        ('{"event_id":"e1","event_time":"2026-03-01T10:00:00Z","user_id":"u1","session_id":"s1","event_type":"search",'
         '"price":"cheap"}', "wrong_type_price"),
    ],
)
def test_each_bad_record_gets_its_reason(spark, line, reason):
    assert parse(spark, [line])[0][REASON] == reason


def test_domain_rules_apply_after_structure(spark):
    rules = [Rule("negative_quantity", F.col("quantity") < 0), Rule("zero_price", F.col("price") <= 0)]
    rows = parse(spark, [GOOD.replace('"quantity":1', '"quantity":-2'), GOOD.replace("9.5", "0"), GOOD,
                         '{"event_id":"e9","quantity":-1}'], rules=rules)
    assert rows[0][REASON] == "negative_quantity"
    assert rows[1][REASON] == "zero_price"
    assert rows[2][REASON] is None
    assert rows[3][REASON] == "missing_event_time"  # structural reasons come first


def test_nested_order_lines_with_wrong_types_are_caught(spark):
    base = ('{"order_id":"o1","customer_id":"c1","order_time":"2026-03-01T10:00:00Z","status":"placed",'
            '"updated_at":"2026-03-01T10:00:00Z","lines":[%s]}')
    good = base % '{"product_id":"p1","quantity":2,"unit_price":5.0,"discount":0.0}'
    bad = base % '{"product_id":"p1","quantity":"lots","unit_price":5.0,"discount":0.0}'
    rows = parse(spark, [good, bad], contract=ORDERS)
    assert rows[0][REASON] is None
    assert rows[0].lines[0].quantity == 2
    assert rows[1][REASON] == "wrong_type_lines"


def test_column_mapping_reads_shop_keys(spark):
    line = GOOD.replace('"user_id"', '"customer"').replace('"event_id"', '"id"')
    row = parse(spark, [line], column_map={"customer": "user_id", "id": "event_id"})[0]
    assert row[REASON] is None
    assert (row.user_id, row.event_id) == ("u1", "e1")


def test_column_mapping_to_unknown_column_is_an_error(spark):
    with pytest.raises(ConfigurationError, match="ingest.sources.clickstream.columns.userid: not a column of the "
                                                 "clickstream contract"):
        parse(spark, [GOOD], column_map={"customer": "userid"})


def test_one_shop_key_can_feed_two_columns(spark):
    # "session_id" feeds user_id by the map and session_id by its own name
    row = parse(spark, [GOOD], column_map={"session_id": "user_id"})[0]
    assert row[REASON] is None
    assert (row.user_id, row.session_id) == ("s1", "s1")
