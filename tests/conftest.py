"""Shared fixtures: test settings with a per-session temp lake, and one SparkSession."""
from __future__ import annotations

import dataclasses
import os

import pytest

from shoplake.config import load_config


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """conf/test.yaml with the lake, MLflow store and inputs under a temp directory."""
    root = tmp_path_factory.mktemp("shoplake")
    return load_config(
        "test",
        environ=os.environ,
        overrides={
            "lake.root": str(root / "lake"),
            "mlflow.tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
            "mlflow.artifact_root": str(root / "mlartifacts"),
            "paths.inputs": str(root / "inputs"),
        },
    )


@pytest.fixture(scope="session", autouse=True)
def spark_local_dirs(tmp_path_factory):
    """Spark's scratch folders (``SPARK_LOCAL_DIRS``) of this run and of every process it starts, under the
    run's temp directory: a job killed with SIGKILL cannot remove its own, and pytest prunes old runs."""
    os.environ["SPARK_LOCAL_DIRS"] = str(tmp_path_factory.mktemp("spark-local"))


@pytest.fixture(scope="session")
def spark(settings, spark_local_dirs):
    """One real local SparkSession for the whole test run (2 cores, no UI), with hadoop-aws for the S3 tests."""
    from shoplake.session import build_session
    from tests.support.s3 import HADOOP_AWS

    with_s3a = dataclasses.replace(settings.spark, packages=(*settings.spark.packages, HADOOP_AWS))
    session = build_session(dataclasses.replace(settings, spark=with_s3a))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def demo_shop(spark, settings, tmp_path_factory):
    """A small clean generated shop (no corruption), ingested bronze to gold into its own lake.

    Returns ``{"lake", "settings", "inputs", "truth"}``; ``truth`` is the generator's ground truth
    (planted bundles, anomalies, churners, seasonality). Shared by every test that needs real
    gold tables, so the shop is generated and ingested once per test run. Tests must not write
    to its tables; copy what they change.
    """
    from dataclasses import replace
    from datetime import date

    from shoplake.datasets.generator import generate, make_config
    from shoplake.ingest.load_catalog import ingest_catalog
    from shoplake.ingest.load_clickstream import ingest_clickstream
    from shoplake.gold.build import build_gold
    from shoplake.ingest.load_orders import ingest_orders
    from shoplake.lake import open_lake

    root = tmp_path_factory.mktemp("demo-shop")
    inputs, truth = root / "inputs", root / "truth"
    config = make_config("small", users=1500, days=90, seed=7, start_date=date(2024, 1, 1))  # the same shop every day
    generate(spark, config, str(inputs), str(truth), settings.paths.cache)
    cfg = replace(settings, lake=replace(settings.lake, root=str(root / "lake")),
                  paths=replace(settings.paths, inputs=str(inputs)))
    lake = open_lake(spark, cfg)
    key = b"demo-shop-pseudonym-key"
    for load in (ingest_clickstream, ingest_orders, ingest_catalog):
        load(lake, cfg, key)
    build_gold(lake, cfg)
    return {"lake": lake, "settings": cfg, "inputs": inputs, "truth": truth}
