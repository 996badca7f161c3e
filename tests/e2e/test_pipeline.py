"""The main job end to end through spark-submit.sh: demo data, ingest, gold; a re-run adds nothing,
skips what is up to date, and ops.pipeline_runs ties every step to the table versions it read and wrote."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from shoplake.lake import open_lake
from tests.support.processes import spark_submit

pytestmark = pytest.mark.slow


def test_pipeline_builds_every_layer_and_is_idempotent(spark, settings, tmp_path):
    from dataclasses import replace

    env = {"SHOPLAKE__LAKE__ROOT": str(tmp_path / "lake"), "SHOPLAKE__PATHS__INPUTS": str(tmp_path / "inputs")}
    args = ("--env", "test", "pipeline", "--users", "150", "--days", "7")
    first = spark_submit(*args, cwd=tmp_path, env=env, timeout=900)
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    assert "build_gold: done" in first.stdout + first.stderr
    assert "make mlflow-ui" in first.stdout  # the summary says where to look

    lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake"))))
    tables = ["bronze.clickstream", "silver.events", "silver.sessions", "silver.orders", "silver.order_lines",
              "silver.products", "gold.daily_item_sales", "gold.user_item_interactions", "gold.user_features",
              "gold.funnel_daily"]
    counts = {t: lake.read(t).count() for t in tables}
    assert all(n > 0 for n in counts.values()), counts
    silver_versions = {t: lake.version(t) for t in tables if t.startswith(("bronze", "silver.events", "silver.orders"))}
    funnel = lake.read("gold.funnel_daily").agg(F.sum("product_view"), F.sum("purchase")).first()
    assert funnel[0] > funnel[1] > 0  # a real funnel: fewer purchases than product views

    second = spark_submit(*args, cwd=tmp_path, env=env, timeout=900)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    assert "generated=False" in second.stdout + second.stderr  # inputs kept, not regenerated
    assert {t: lake.version(t) for t in silver_versions} == silver_versions  # nothing new ingested
    assert {t: lake.read(t).count() for t in tables} == counts
    assert "build_gold: up to date" in second.stdout + second.stderr  # silver unchanged: gold not rebuilt

    runs = lake.read("ops.pipeline_runs")
    assert runs.select("pipeline_run_id").distinct().count() == 2
    gold = runs.filter("step = 'build_gold'").orderBy("started_at").collect()
    assert [r.status for r in gold] == ["succeeded", "skipped"]
    assert gold[0].reads == {t: lake.version(t) for t in ("silver.events", "silver.sessions", "silver.order_lines")}
    assert gold[0].writes["gold.funnel_daily"] == lake.version("gold.funnel_daily")
