"""``ingest.sources``: what a source mapping accepts, and one message per problem."""
from __future__ import annotations

import pytest

from shoplake.schemas.source_mapping import ColumnSource, MappingProblems, mapping_problems, source_mapping


def test_unlisted_columns_come_from_the_same_named_file_column_and_renames_join_in():
    mapping = source_mapping("orders", {"columns": {"status": {"constant": "paid"}}}, renames={"buyer": "customer_id"})
    assert mapping.column_source("order_id") == ColumnSource(column="order_id")
    assert mapping.column_source("customer_id") == ColumnSource(column="buyer")
    assert mapping.source_key("customer_id") == "buyer"
    assert mapping.source_key("status") is None  # a constant: no file column holds it
    assert not mapping.is_identity and source_mapping("orders").is_identity


def test_a_parsed_time_is_not_read_as_it_is():
    mapping = source_mapping("orders", {"columns": {"order_time": {"column": "day", "format": "yyyyMMdd"}}})
    assert mapping.source_key("order_time") is None and mapping.column_source("order_time").reads() == ("day",)


@pytest.mark.parametrize("raw, problem", [
    ({"format": "xlsx"}, "ingest.sources.orders.format: 'xlsx' is not one of json, csv, parquet"),
    ({"sheet": 1}, "ingest.sources.orders.sheet: unknown key"),
    ({"format": "csv", "csv": {"header": False}},
     "ingest.sources.orders.csv.columns: a file without a header row needs its column names"),
    ({"format": "csv", "csv": {"delimiter": ";;"}}, "ingest.sources.orders.csv.delimiter: one character"),
    ({"csv": {"delimiter": ";"}}, "ingest.sources.orders.csv: only for format: csv"),
    ({"columns": {"order_id": {}}}, "ingest.sources.orders.columns.order_id: give exactly one of column, constant, "
                                    "derive (got none)"),
    ({"columns": {"status": {"constant": "paid", "column": "s"}}}, "give exactly one of column, constant, derive "
                                                                    "(got column, constant)"),
    ({"columns": {"order_id": {"derive": ["a"], "format": "yyyy"}}}, "format and time_zone apply to a column"),
    ({"columns": {"order_time": {"column": "t", "time_zone": "Mars/Olympus"}}}, "unknown time zone 'Mars/Olympus'"),
    ({"columns": {"order_date": "day"}}, "ingest.sources.orders.columns.order_date: not a column of the orders"),
    ({"lines": {"per": "row"}}, "ingest.sources.orders.lines.per: 'row' is not one of order, line"),
    ({"lines": {"per": "order", "quantity": "q", "unit_price": "p"}}, "ingest.sources.orders.lines.product_id: needed"),
    ({"lines": {"per": "order", "product_id": "p", "quantity": "q"}}, "give exactly one of unit_price and amount"),
    ({"lines": {"per": "order", "product_id": "p", "quantity": "q", "amount": "a"}, "columns": {"lines": "l"}},
     "ingest.sources.orders.columns.lines: built by ingest.sources.orders.lines"),
])
def test_each_problem_is_named_with_its_key(raw, problem):
    with pytest.raises(MappingProblems) as error:
        source_mapping("orders", raw)
    assert any(problem in p for p in error.value.problems), error.value.problems


def test_order_lines_belong_to_orders_only_and_every_source_is_checked():
    problems = mapping_problems({"products": {"lines": {"per": "order", "product_id": "p", "quantity": "q",
                                                        "amount": "a"}},
                                 "reviews": {"format": "xml"}}, {})
    assert problems == ["ingest.sources.products.lines: only the orders source has order lines",
                        "ingest.sources.reviews.format: 'xml' is not one of json, csv, parquet"]
