"""The main job end to end through spark-submit.sh: demo data, ingest, gold; a re-run adds nothing."""
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
    assert "[6/6] build_gold: done" in first.stdout + first.stderr

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
