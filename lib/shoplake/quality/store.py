"""``ops.dq_results``: appending a run's results and the look-ups the gate, the baselines and the
report need. Each look-up filters in Spark and brings only the rows of one run per table back."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.catalog import OPS_DQ_RESULTS, table
from shoplake.lake import Lake
from shoplake.quality.results import ADDED_COLUMNS, RESULTS_SCHEMA, CheckResult

BASELINE_KINDS = ("volume", "drift")


def append_results(lake: Lake, results: Sequence[CheckResult]) -> int:
    """Append a run's results to ``ops.dq_results`` in one commit (adding columns a table written before they
    were lacks); return the table version."""
    df = lake.spark.createDataFrame([r.as_row() for r in results], RESULTS_SCHEMA)
    return lake.append(df, OPS_DQ_RESULTS, partition_by=list(table(OPS_DQ_RESULTS).partition_by),
                       evolve_schema=True)


def _results(lake: Lake, tables: Iterable[str] | None) -> DataFrame | None:
    """The results of ``tables`` (all when None), with the added columns null where the table lacks them."""
    if not lake.exists(OPS_DQ_RESULTS):
        return None
    df = lake.read(OPS_DQ_RESULTS, partitions={"table": sorted(set(tables))} if tables is not None else None)
    for name in ADDED_COLUMNS:
        if name not in df.columns:
            df = df.withColumn(name, F.lit(None).cast(RESULTS_SCHEMA[name].dataType))
    return df


def _latest_run(df: DataFrame) -> DataFrame:
    """The rows of each table's newest run in ``df``."""
    newest = Window.partitionBy("table")
    return df.withColumn("_newest", F.max("checked_at").over(newest)).filter(
        F.col("checked_at") == F.col("_newest")).drop("_newest")


def _grouped(rows: Iterable) -> dict[str, list[CheckResult]]:
    out: dict[str, list[CheckResult]] = {}
    for row in rows:
        result = CheckResult.from_row(row.asDict())
        out.setdefault(result.table, []).append(result)
    return out


def results_for_versions(lake: Lake, versions: Mapping[str, int]) -> dict[str, list[CheckResult]]:
    """Each table's results from its newest run on exactly that version; tables never checked are absent."""
    df = _results(lake, versions)
    if df is None or not versions:
        return {}
    wanted: Column = reduce(lambda a, b: a | b, [(F.col("table") == t) & (F.col("table_version") == v)
                                                 for t, v in versions.items()])
    return _grouped(_latest_run(df.filter(wanted)).collect())


def latest_results(lake: Lake, tables: Sequence[str] | None = None) -> dict[str, list[CheckResult]]:
    """Each table's results from its newest run (all tables when ``tables`` is None)."""
    df = _results(lake, tables)
    return {} if df is None else _grouped(_latest_run(df).collect())


def baselines(lake: Lake, tables: Sequence[str]) -> dict[str, dict[str, CheckResult]]:
    """Per table, the volume and drift results of its newest successful run (no failed critical check)."""
    df = _results(lake, tables)
    if df is None:
        return {}
    failed = F.max(((F.col("severity") == "critical") & ~F.col("success")).cast("int"))
    runs = df.groupBy("table", "run_id").agg(F.max("checked_at").alias("checked_at"), failed.alias("failed"))
    newest_ok = _latest_run(runs.filter(F.col("failed") == 0)).select("table", "run_id")
    rows = df.filter(F.col("kind").isin(*BASELINE_KINDS)).join(newest_ok, ["table", "run_id"]).collect()
    return {table: {r.check: r for r in results} for table, results in _grouped(rows).items()}
