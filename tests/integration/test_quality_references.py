"""Referential checks follow the table they refer to: order lines checked without a catalogue record the check as
skipped; once an incomplete catalogue arrives the gate checks them again and refuses them, and once the catalogue
is complete it checks them again and lets them through, with no manual re-check and every check recorded. Real
Spark, Delta, Great Expectations and MLflow, in temp dirs."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.catalog import table
from shoplake.lake import open_lake
from shoplake.quality import QualityGateFailed, check_tables, require_passing
from shoplake.quality.results import RESULTS_SCHEMA
from shoplake.quality.store import results_for_versions

pytestmark = pytest.mark.slow

LINES, PRODUCTS, RESULTS = "silver.order_lines", "silver.products", "ops.dq_results"
T = datetime(2024, 3, 1, 12, 0)


def order_lines(spark, products):
    rows = [(f"o{i}", 1, "c1", T, "delivered", T, product, 1, 10.0, 0.0, 10.0) for i, product in enumerate(products)]
    return spark.createDataFrame(rows, table(LINES).struct())


def catalogue(spark, products):
    rows = [(p, f"title {p}", None, "shoes", None, 10.0, None, T, 0) for p in products]
    return spark.createDataFrame(rows, table(PRODUCTS).struct())


def product_check(lake, version=0):
    """The newest result of the order lines' product_id_known check on ``version``, and how many runs checked it."""
    runs = lake.read(RESULTS).filter((F.col("table") == LINES) & (F.col("table_version") == version))
    latest = {r.check: r for r in results_for_versions(lake, {LINES: version})[LINES]}
    return latest["product_id_known"], runs.select("run_id").distinct().count()


@pytest.fixture
def lake(spark, settings, tmp_path):
    own = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")))
    lake = open_lake(spark, own)
    lake.overwrite(order_lines(spark, ["p1", "p2", "p3"]), LINES)
    return lake, own


def test_the_gate_checks_again_when_the_catalogue_a_check_referred_to_changes(spark, lake):
    lake, settings = lake
    assert require_passing(lake, settings, [LINES]) == {LINES: 0}  # no catalogue: the reference is skipped
    known, runs = product_check(lake)
    assert (known.skipped, known.reference_versions, runs) == (True, {PRODUCTS: None}, 1)
    assert "no product catalogue" in known.details_dict()["skipped"]

    lake.overwrite(catalogue(spark, ["p1", "p2"]), PRODUCTS)  # incomplete: p3 is unknown
    with pytest.raises(QualityGateFailed, match=r"product_id_known: 1 rows with a product_id that silver\.products v0"):
        require_passing(lake, settings, [LINES])
    known, runs = product_check(lake)
    assert (known.failed_critical, known.reference_versions, runs) == (True, {PRODUCTS: 0}, 2)
    with pytest.raises(QualityGateFailed):  # the catalogue did not change: the failed result stands
        require_passing(lake, settings, [LINES])
    assert product_check(lake)[1] == 2

    lake.overwrite(catalogue(spark, ["p1", "p2", "p3"]), PRODUCTS)  # the fix: a new version of the catalogue
    assert require_passing(lake, settings, [LINES]) == {LINES: 0}
    known, runs = product_check(lake)
    assert (known.success, known.reference_versions, runs) == (True, {PRODUCTS: 1}, 3)
    assert lake.version(LINES) == 0, "the order lines themselves never changed"
    require_passing(lake, settings, [LINES])
    assert check_tables(lake, settings, [LINES], changed_only=True).tables == []
    assert product_check(lake)[1] == 3, "a passed check is not checked again"


def test_changed_only_checks_a_table_whose_failed_reference_changed(spark, lake):
    lake, settings = lake
    lake.overwrite(catalogue(spark, ["p1"]), PRODUCTS)
    assert check_tables(lake, settings, [LINES]).failed_tables == [LINES]
    lake.overwrite(catalogue(spark, ["p1", "p2", "p3"]), PRODUCTS)
    again = check_tables(lake, settings, [LINES, PRODUCTS], changed_only=True)
    assert [(t.table, t.status) for t in again.tables] == [(LINES, "passed"), (PRODUCTS, "passed")]


def test_a_failure_recorded_before_referenced_versions_were_is_checked_again(spark, lake):
    """A lake whose ops.dq_results has no reference_versions column: its failed reference check is out of date,
    checked again, and the column is added to the table by the new run's results."""
    lake, settings = lake
    lake.overwrite(catalogue(spark, ["p1", "p2", "p3"]), PRODUCTS)
    old_columns = [f.name for f in RESULTS_SCHEMA.fields if f.name != "reference_versions"]
    failed = spark.createDataFrame([("old-run", T, LINES, 0, "product_id_known", "referential",
                                     "unexpected_rows_expectation", "product_id", "critical", False, "1",
                                     '{"reference": "silver.products (missing)"}', 1.0)],
                                   StructType([RESULTS_SCHEMA[c] for c in old_columns]))
    lake.append(failed, RESULTS, partition_by=["table"])
    known, runs = product_check(lake)
    assert (known.failed_critical, known.reference_versions, runs) == (True, None, 1)

    assert require_passing(lake, settings, [LINES]) == {LINES: 0}
    known, runs = product_check(lake)
    assert (known.success, known.reference_versions, runs) == (True, {PRODUCTS: 0}, 2)
    assert "reference_versions" in lake.schema(RESULTS).fieldNames()
