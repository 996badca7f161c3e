"""``shoplake show|sql|export`` as real processes over a small lake written here: the rows they print or
write, time travel, a join with known answers, and one error line with exit code 2 for each mistake."""
from __future__ import annotations

import csv
import dataclasses
import json
import sys
from datetime import date, datetime, timezone

import pyarrow.parquet as pq
import pytest

from shoplake.catalog import SILVER_CUSTOMERS, SILVER_ORDER_LINES, SILVER_ORDERS, SILVER_PRODUCTS, table
from shoplake.explore.errors import ExploreError
from shoplake.explore.query import run_query
from shoplake.explore.tables import read_at
from shoplake.lake import open_lake
from tests.support.processes import run_command, user_error_line

pytestmark = pytest.mark.slow

D1, D2, D3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
PNG = b"\x89PNG\r\n"


def _order(order_id, customer, day, status, lines):
    at = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
    items = [(p, q, price, 0.0) for p, q, price in lines]
    return order_id, customer, at, status, at, items, at, 0, "example.com", day


@pytest.fixture(scope="module")
def shop(spark, settings, tmp_path_factory):
    """A lake with silver.orders (version 0: o1-o3, version 1: o1 delivered, o4 added), order lines and products."""
    root = tmp_path_factory.mktemp("explore")
    lake_settings = dataclasses.replace(settings.lake, root=str(root / "lake"))
    lake = open_lake(spark, dataclasses.replace(settings, lake=lake_settings))

    def frame(name, data):
        return spark.createDataFrame(data, table(name).struct())

    lake.append(frame(SILVER_ORDERS, [_order("o1", "c1", D1, "placed", [("p1", 2, 10.0)]),
                                      _order("o2", "c2", D1, "placed", [("p2", 1, 5.0)]),
                                      _order("o3", "c1", D2, "delivered", [("p1", 1, 10.0), ("p3", 3, 2.5)])]),
                SILVER_ORDERS, partition_by=["order_date"])
    lake.merge(frame(SILVER_ORDERS, [_order("o1", "c1", D1, "delivered", [("p1", 2, 10.0)]),
                                     _order("o4", "c3", D3, "placed", [("p2", 2, 5.5)])]),
               SILVER_ORDERS, keys=["order_id"])
    at = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lines = [("o1", 1, "p1", 20.0), ("o2", 1, "p2", 5.0), ("o3", 1, "p1", 10.0), ("o3", 2, "p3", 7.5),
             ("o4", 1, "p2", 11.0)]
    lake.append(frame(SILVER_ORDER_LINES, [(o, n, "c", at, "placed", at, p, 1, net, 0.0, net)
                                           for o, n, p, net in lines]), SILVER_ORDER_LINES)
    lake.append(frame(SILVER_PRODUCTS, [("p1", "Runner", "", "shoes", "b", 10.0, PNG, at, 0),
                                        ("p2", "Cap", None, "hats", "b", 5.0, None, at, 0),
                                        ("p3", "Lace", "", "shoes", "b", 2.5, b"", at, 0)]), SILVER_PRODUCTS)
    return {"lake": lake, "root": root}


def shoplake(shop, *args: str, backend: str | None = None):
    """``shoplake ARGS --env test`` as a real process on the shop's lake."""
    env = {"SHOPLAKE__LAKE__ROOT": str(shop["root"] / "lake")}
    if backend:
        env["SHOPLAKE__LAKE__BACKEND"] = backend
    return run_command([sys.executable, "-m", "shoplake.cli", *args, "--env", "test"], cwd=shop["root"], env=env)


def printed(result) -> list[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.splitlines()


def cells(lines: list[str]) -> list[list[str]]:
    """The cells of the data rows of a printed table (``|a|b|`` lines, the header row excluded)."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]
    return rows[1:]


def test_show_prints_the_latest_rows_with_version_and_count_and_the_old_ones_with_version(shop):
    latest = printed(shoplake(shop, "show", SILVER_ORDERS, "--limit", "3"))
    assert latest[0] == "silver.orders at version 1: 4 rows"
    assert [(r[0], r[3], r[-1]) for r in cells(latest)] == [
        ("o1", "delivered", "2024-01-01"), ("o2", "placed", "2024-01-01"), ("o3", "delivered", "2024-01-02")]
    assert "only showing top 3 rows" in latest[-1]
    # the older version, read by the other backend: the lake is the same
    old = printed(shoplake(shop, "show", SILVER_ORDERS, "--version", "0", backend="delta-spark"))
    assert old[0] == "silver.orders at version 0: 3 rows"
    assert [(r[0], r[3]) for r in cells(old)] == [("o1", "placed"), ("o2", "placed"), ("o3", "delivered")]


def test_sql_joins_two_tables_by_their_catalogue_names(shop):
    out = printed(shoplake(shop, "sql", "SELECT p.category, count(*) AS n, round(sum(l.net_amount), 2) AS revenue "
                                        "FROM silver.order_lines l JOIN silver.products p USING (product_id) "
                                        "GROUP BY p.category ORDER BY p.category;"))
    assert out[0] == "read silver.order_lines at version 0, silver.products at version 0"
    assert cells(out) == [["hats", "2", "16.0"], ["shoes", "3", "37.5"]]


def test_export_writes_files_that_read_back_as_the_table(shop, spark, tmp_path):
    lake = shop["lake"]
    out = printed(shoplake(shop, "export", SILVER_ORDERS, "--format", "csv", "--out", str(tmp_path / "orders")))
    assert out == [f"exported 4 rows of silver.orders (version 1) to {tmp_path / 'orders'} as csv"]
    [part] = (tmp_path / "orders").glob("*.csv")
    with part.open(newline="") as f:
        exported = {r["order_id"]: r for r in csv.DictReader(f)}
    expected = {r.order_id: r for r in lake.read(SILVER_ORDERS).collect()}
    assert exported.keys() == expected.keys()
    for order_id, row in expected.items():
        got = exported[order_id]
        assert (got["status"], got["order_date"]) == (row.status, str(row.order_date))
        assert json.loads(got["lines"]) == [line.asDict() for line in row.lines]
    assert exported["o4"]["order_time"] == "2024-01-03T10:00:00.000Z"

    out = printed(shoplake(shop, "export", SILVER_PRODUCTS, "--format", "parquet", "--out", str(tmp_path / "products"),
                           "--version", "0"))
    assert out == [f"exported 3 rows of silver.products (version 0) to {tmp_path / 'products'} as parquet"]
    columns = ["product_id", "title", "description", "category", "price", "image"]
    back = sorted(tuple(r[c] for c in columns) for r in pq.read_table(tmp_path / "products").to_pylist())
    assert back == sorted(tuple(r) for r in lake.read(SILVER_PRODUCTS, version=0).select(*columns).collect())
    assert (tmp_path / "products").is_dir() and len(list((tmp_path / "products").glob("*.parquet"))) == 1


def test_each_mistake_is_one_line_and_exit_code_2(shop, tmp_path):
    line = user_error_line(shoplake(shop, "show", "silver.order"))
    assert "shoplake show: no table 'silver.order' in the catalogue; silver tables: silver.events, " in line
    assert f"{SILVER_ORDER_LINES}, {SILVER_CUSTOMERS}" in line and "gold." not in line

    line = user_error_line(shoplake(shop, "show", SILVER_ORDERS, "--version", "7"))
    assert line.endswith("shoplake show: silver.orders has no version 7; its versions: 0-1")

    line = user_error_line(shoplake(shop, "sql", "SELECT * FROM silver.orders JOIN silver.nothing USING (order_id)"))
    assert "shoplake sql: the query names silver.nothing, which is not a table of the lake; silver tables: " in line

    line = user_error_line(shoplake(shop, "sql", "SELEC order_id FROM silver.orders"))
    assert line.endswith("shoplake sql: [PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. "
                         "SQLSTATE: 42601 (line 1, pos 0)")

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    line = user_error_line(shoplake(shop, "export", SILVER_ORDERS, "--format", "csv", "--out", str(tmp_path / "taken")))
    assert line.endswith(f"shoplake export: {tmp_path / 'taken'} is not empty; pass --overwrite to replace it")
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def test_in_process_a_table_not_written_yet_and_statements_that_are_not_queries_are_refused(shop):
    lake = shop["lake"]
    with pytest.raises(ExploreError, match=r"^silver.customers has not been written yet \(no Delta table at .*\); "
                                           r"written by: ingest_orders$"):
        read_at(lake, SILVER_CUSTOMERS)
    with pytest.raises(ExploreError, match=r"^silver.customers has not been written yet"):
        run_query(lake, "SELECT count(*) FROM silver.customers")
    with pytest.raises(ExploreError, match=r"^not a query: DROP TABLE `silver.orders` \(only SELECT, WITH"):
        run_query(lake, "DROP TABLE silver.orders")
    query = "WITH o AS (SELECT * FROM Silver.Orders) SELECT count(*) AS n FROM o -- not silver.products"
    df, versions = run_query(lake, query)
    assert versions == {SILVER_ORDERS: 1} and df.first().n == 4
