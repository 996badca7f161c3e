"""The input contract's bounds: earliest valid time, identifiers as JSON strings, a session id, text lengths."""
from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from shoplake.config.settings import IngestSettings
from shoplake.schemas.source_mapping import source_mapping
from shoplake.datasets.export import write_input
from shoplake.datasets.movielens import to_clickstream
from shoplake.ingest.parse import REASON, parse_records
from shoplake.schemas import CLICKSTREAM, ORDERS, PRODUCTS, REVIEWS
from shoplake.schemas.mapping import MAPPED, map_records
from tests.unit.ingest.test_parse import GOOD, parse

EVENT = json.loads(GOOD)
ORDER = {"order_id": "o1", "customer_id": "c1", "order_time": "2026-03-01T10:00:00Z", "status": "placed",
         "updated_at": "2026-03-01T11:00:00Z", "lines": [{"product_id": "p1", "quantity": 1, "unit_price": 5.0}]}
REVIEW = {"review_id": "r1", "product_id": "p1", "user_id": "u1", "rating": 4, "text": "fits well",
          "review_time": "2026-03-01T10:00:00Z"}


def reasons(spark, records, contract=CLICKSTREAM, column_map=None, ingest=None):
    """The reason of each record (dicts are written as JSON lines), in order; None for a valid one.

    Only the reasons are collected: Python cannot hold a timestamp of year 1 in every time zone.
    """
    raw = spark.createDataFrame([(json.dumps(r), i) for i, r in enumerate(records)], "value string, pos int")
    mapped = map_records(raw, source_mapping(contract.name, renames=column_map), contract)
    parsed = parse_records(mapped, contract, value_column=MAPPED, ingest=ingest)
    return [row[REASON] for row in parsed.orderBy("pos").select(REASON).collect()]


def test_times_before_the_default_earliest_time_are_quarantined(spark):
    times = ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1989-12-31T23:59:59Z", "1990-01-01T00:00:00Z"]
    assert reasons(spark, [{**EVENT, "event_time": t} for t in times]) == [
        "time_before_min_event_time", "time_before_min_event_time", "time_before_min_event_time", None]


def test_earliest_time_is_configurable_and_compared_in_utc(spark):
    ingest = IngestSettings(min_event_time="2024-01-01")
    times = ["2023-12-31T23:59:59Z", "2024-01-01T01:00:00+02:00", "2024-01-01T00:00:00Z", "2024-01-01T00:30:00-01:00"]
    assert reasons(spark, [{**EVENT, "event_time": t} for t in times], ingest=ingest) == [
        "time_before_min_event_time", "time_before_min_event_time", None, None]


def test_every_time_column_of_orders_and_reviews_is_bounded(spark):
    early = "1970-01-01T00:00:00Z"
    orders = [ORDER, {**ORDER, "order_time": early}, {**ORDER, "updated_at": early, "order_time": early}]
    assert reasons(spark, orders, contract=ORDERS) == [None, "time_before_min_event_time", "time_before_min_event_time"]
    reviews = [REVIEW, {**REVIEW, "review_time": early}, {**REVIEW, "review_time": None}]
    assert reasons(spark, reviews, contract=REVIEWS) == [None, "time_before_min_event_time", None]


def test_an_identifier_that_is_not_a_json_string_is_quarantined(spark):
    records = [{**EVENT, column: value} for column in ("event_id", "user_id", "session_id", "product_id")
               for value in ({"id": "u1"}, ["u1"], 123, 1.5, True)]
    assert reasons(spark, records) == ["invalid_id_type"] * len(records)


def test_identifiers_that_are_strings_of_digits_or_absent_optional_ones_are_valid(spark):
    records = [{**EVENT, "user_id": "123", "event_id": "7"}, {**EVENT, "product_id": None},
               {k: v for k, v in EVENT.items() if k != "product_id"}]
    rows = parse(spark, [json.dumps(r) for r in records])
    assert [rows[i][REASON] for i in range(3)] == [None, None, None]
    assert (rows[0].user_id, rows[0].event_id) == ("123", "7")


def test_order_identifiers_are_checked_also_inside_order_lines(spark):
    line = ORDER["lines"][0]
    orders = [{**ORDER, "order_id": 1001}, {**ORDER, "customer_id": {"email": "a@b.c"}},
              {**ORDER, "lines": [line, {**line, "product_id": 42}]},
              {**ORDER, "lines": [{**line, "product_id": "42"}]}]
    assert reasons(spark, orders, contract=ORDERS) == ["invalid_id_type", "invalid_id_type", "invalid_id_type", None]


def test_identifier_types_are_read_under_the_shops_own_keys(spark):
    shop = {("visitor" if k == "user_id" else k): v for k, v in EVENT.items()}
    records = [shop, {**shop, "visitor": 77}]
    assert reasons(spark, records, column_map={"visitor": "user_id"}) == [None, "invalid_id_type"]


def test_review_identifiers_must_be_strings(spark):
    assert reasons(spark, [{**REVIEW, "review_id": 5}, {**REVIEW, "user_id": None}], contract=REVIEWS) == [
        "invalid_id_type", None]


def test_an_event_without_a_session_id_is_quarantined(spark):
    absent = {k: v for k, v in EVENT.items() if k != "session_id"}
    records = [absent] + [{**EVENT, "session_id": session} for session in (None, "", "   ")]
    assert reasons(spark, records) == ["missing_session_id"] * 4


def test_text_longer_than_the_limit_is_quarantined_counting_characters(spark):
    records = [{**EVENT, "query": "q" * 4096}, {**EVENT, "query": "q" * 4097}, {**EVENT, "query": "é" * 4096},
               {**EVENT, "user_agent": "x" * 5000}, {**EVENT, "user_id": "u" * 5000}]
    assert reasons(spark, records) == [None, "text_too_long", None, "text_too_long", "text_too_long"]


def test_a_column_can_have_its_own_text_limit(spark):
    ingest = IngestSettings(max_text_length=50, max_text_length_by_field={"query": 10})
    records = [{**EVENT, "query": "q" * 10}, {**EVENT, "query": "q" * 11}, {**EVENT, "user_agent": "x" * 50},
               {**EVENT, "user_agent": "x" * 51}]
    assert reasons(spark, records, ingest=ingest) == [None, "text_too_long", None, "text_too_long"]


def test_encoded_images_have_no_text_limit_unless_configured(spark):
    product = {"product_id": "p1", "category": "Shirt", "image": "A" * 20_000}
    assert reasons(spark, [product], contract=PRODUCTS) == [None]
    ingest = IngestSettings(max_text_length_by_field={"image": 10_000})
    assert reasons(spark, [product], contract=PRODUCTS, ingest=ingest) == ["text_too_long"]


def test_structural_reasons_come_before_the_new_bounds(spark):
    records = [{**EVENT, "session_id": None, "user_id": 5},                 # missing before id type
               {**EVENT, "user_id": 5, "quantity": "two"},                  # id type before wrong type
               {**EVENT, "quantity": "two", "query": "q" * 5000},           # wrong type before text length
               {**EVENT, "query": "q" * 5000, "event_time": "1970-01-01T00:00:00Z"}]  # text before time
    assert reasons(spark, records) == ["missing_session_id", "invalid_id_type", "wrong_type_quantity", "text_too_long"]


def test_movielens_interactions_meet_the_clickstream_contract(spark, tmp_path):
    ratings = pd.DataFrame({"user_id": ["1", "1", "2"], "item_id": ["50", "172", "50"], "rating": [5.0, 3.0, 4.0],
                            "timestamp": pd.to_datetime([874965758, 874965800, 891717742], unit="s", utc=True)})
    write_input(to_clickstream(ratings), CLICKSTREAM, tmp_path)  # 1997-1998, as MovieLens 100k
    raw = spark.read.option("recursiveFileLookup", "true").text(str(tmp_path / "clickstream"))
    parsed = parse_records(raw, CLICKSTREAM).select(REASON, "session_id").collect()
    assert len(parsed) == 5 and {row[REASON] for row in parsed} == {None}
    assert {row.session_id for row in parsed} == {"ml-1-1997-09-22", "ml-2-1998-04-04"}


def test_a_contract_names_only_string_columns_as_ids():
    with pytest.raises(ValueError, match=r"'lines\.sku' is not a field of 'lines'"):
        replace(ORDERS, ids=("lines.sku",))
    with pytest.raises(ValueError, match=r"\['rating'\] must be string columns"):
        replace(REVIEWS, ids=("rating",))
