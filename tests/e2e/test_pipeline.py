"""The main job end to end through spark-submit.sh: demo data, ingest, gold, models; a re-run adds nothing,
skips what is up to date, and ops.pipeline_runs ties every step to the table versions it read and wrote.
The MLflow UI then serves the runs the pipeline logged."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F
from pyspark.sql.types import MapType

from mlflow.tracking import MlflowClient

from shoplake.config import load_config
from shoplake.lake import open_lake
from shoplake.privacy.all_tables import lake_tables
from tests.support.browser import load_page, require_chromium
from tests.support.delta_tables import digest, spark_history, version_digests
from tests.support.jobs import run_job_main
from tests.support.processes import ROOT, spark_submit
from tests.support.standalone import free_port, standalone_cluster

pytestmark = pytest.mark.slow
# explicit dates (70 days from 2024-01-01): the same demo shop on any day, for every run of this module
ARGS = ("--env", "test", "pipeline", "--users", "800", "--days", "70", "--end-date", "2024-03-10")
CLUSTER_STEPS = [arg for step in ("environment", "demo_data", "ingest_clickstream", "ingest_orders", "ingest_catalog",
                                  "quality_silver", "build_gold") for arg in ("--only", step)]
TABLES = ["bronze.clickstream", "silver.events", "silver.sessions", "silver.orders", "silver.order_lines",
          "silver.products", "gold.daily_item_sales", "gold.user_item_interactions", "gold.user_features",
          "gold.funnel_daily"]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, spark, settings):
    """One pipeline run into a temp lake and MLflow store; returns the folder, env, its output and the version
    it left of every table (tests re-run the pipeline on this lake)."""
    root = tmp_path_factory.mktemp("pipeline")
    env = {"SHOPLAKE__LAKE__ROOT": str(root / "lake"), "SHOPLAKE__PATHS__INPUTS": str(root / "inputs"),
           "SHOPLAKE__MLFLOW__TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
           "SHOPLAKE__MLFLOW__ARTIFACT_ROOT": str(root / "mlartifacts")}
    first = spark_submit(*ARGS, cwd=root, env=env, timeout=1500)
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root / "lake"))))
    return {"root": root, "env": env, "output": first.stdout + first.stderr,
            "tables": {table: lake.version(table) for table in lake_tables(lake)}}


def test_pipeline_builds_every_layer_and_is_idempotent(spark, settings, pipeline_run):
    root, env, output = pipeline_run["root"], pipeline_run["env"], pipeline_run["output"]
    assert "build_gold: done" in output and "recommend: done" in output
    assert "make mlflow-ui" in output  # the summary says where to look

    lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root / "lake"))))
    counts = {t: lake.read(t).count() for t in TABLES}
    assert all(n > 0 for n in counts.values()), counts
    silver_versions = {t: lake.version(t) for t in TABLES if t.startswith(("bronze", "silver.events", "silver.orders"))}
    funnel = lake.read("gold.funnel_daily").agg(F.sum("product_view"), F.sum("purchase")).first()
    assert funnel[0] > funnel[1] > 0  # a real funnel: fewer purchases than product views

    second = spark_submit(*ARGS, cwd=root, env=env, timeout=1500)
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    again = second.stdout + second.stderr
    assert "generated=False" in again  # inputs kept, not regenerated
    assert {t: lake.version(t) for t in silver_versions} == silver_versions  # nothing new ingested
    assert {t: lake.read(t).count() for t in TABLES} == counts
    assert "build_gold: up to date" in again and "recommend: up to date" in again

    runs = lake.read("ops.pipeline_runs")
    assert runs.select("pipeline_run_id").distinct().count() == 2
    gold = runs.filter("step = 'build_gold'").orderBy("started_at").collect()
    assert [r.status for r in gold] == ["succeeded", "skipped"]
    assert gold[0].reads == {t: lake.version(t) for t in ("silver.events", "silver.sessions", "silver.order_lines")}
    assert gold[0].writes["gold.funnel_daily"] == lake.version("gold.funnel_daily")
    als = runs.filter("step = 'recommend' AND status = 'succeeded'").first()
    assert als.reads == {"gold.user_item_interactions": lake.version("gold.user_item_interactions")}
    assert len(als.mlflow_run_ids) == 1


PUBLISHED = ["gold.recommendations", "gold.similar_items", "gold.forecasts", "gold.review_sentiment",
             "gold.product_sentiment", "gold.item_embeddings", "gold.visually_similar_items", "gold.rfm_segments",
             "gold.bundles", "gold.churn_scores", "gold.cohort_retention", "gold.funnel_steps"]


def test_the_main_job_delivers_every_capability(spark, settings, pipeline_run):
    """Every step done, every model published, every report section drawn; the recommender beat popularity."""
    root, output = pipeline_run["root"], pipeline_run["output"]
    assert "not run:" not in output and " failed after " not in output, output[-4000:]
    assert "section(s) drawn, 0 not built yet" in output
    report = (root / "lake-test" / "report.html").read_text()  # conf/test.yaml's report.output, under the run's folder
    assert "not built yet" not in report and "no data yet" not in report
    lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root / "lake"))))
    empty = [t for t in PUBLISHED if not lake.exists(t) or lake.read(t).limit(1).count() == 0]
    assert not empty, empty

    client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    entry = max(client.search_model_versions("name = 'shoplake-als'"), key=lambda v: int(v.version))
    run = client.get_run(entry.run_id)
    assert run.data.params["split"] == "chrono"
    metrics = run.data.metrics
    assert metrics["model_ndcg_at_k"] > metrics["popularity_ndcg_at_k"]
    assert metrics["margin_over_popularity"] == pytest.approx(
        metrics["model_ndcg_at_k"] / metrics["popularity_ndcg_at_k"] - 1)
    assert entry.tags["family"] == run.data.params["best_family"]
    for name in ("shoplake-sentiment", "shoplake-resnet"):
        assert client.search_model_versions(f"name = '{name}'"), f"{name} is not registered"


def _get_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_mlflow_ui_serves_the_pipeline_runs(pipeline_run, tmp_path):
    port = free_port()
    env = {**os.environ, **pipeline_run["env"]}
    server = subprocess.Popen([str(Path(sys.executable).with_name("shoplake")), "mlflow-ui", "--env", "test",
                               "--port", str(port)], cwd=pipeline_run["root"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                experiments = _get_json(f"{base}/api/2.0/mlflow/experiments/search", {"max_results": 100})
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read().decode()[-3000:]
                time.sleep(1)
        names = {e["name"]: e["experiment_id"] for e in experiments["experiments"]}
        assert "shoplake-als" in names, names
        runs = _get_json(f"{base}/api/2.0/mlflow/runs/search", {"experiment_ids": [names["shoplake-als"]]})["runs"]
        parent = [r for r in runs if r["info"]["run_name"] == "train_als"]
        assert len(parent) == 1
        metrics = {m["key"]: m["value"] for m in parent[0]["data"]["metrics"]}
        assert 0 <= metrics["als_ndcg_at_k"] <= 1 and "popularity_ndcg_at_k" in metrics
        require_chromium()
        runs_page = f"{base}/#/experiments/{names['shoplake-als']}/runs?workflowType=machine_learning"
        page = load_page(runs_page, tmp_path / "ui", settle_ms=8000)
        assert "train_als" in page.dom  # the runs table rendered the pipeline's run
        # MLflow's UI asks for the signed-in user, which a server without auth answers with 404
        failed = [r for r in page.failed_requests() if not r.url.endswith("/ajax-api/2.0/mlflow/users/current")]
        assert not failed, failed
        assert page.screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    finally:
        os.killpg(server.pid, 9)
        server.wait(timeout=30)


def business_rows(lake, table: str) -> list:
    """A table's rows without ingest-time metadata, sorted: what must match between two runs."""
    df = lake.read(table)
    return sorted(df.select(*[c for c in df.columns if not c.startswith("_")]).collect(), key=repr)


def pipeline_losing_a_worker(env_name: str, extra_args: list[str], env: dict[str, str], workdir: Path) -> tuple[str, str]:
    """The module's pipeline (``ARGS``' shop, plus ``extra_args``) with ``--env env_name`` through spark-submit.sh on a
    master and two 1-core workers; one worker is killed with ``kill -9`` while clickstream ingest runs. The run
    must still succeed; returns the master's URL and the run's output."""
    log_path = workdir / "pipeline.log"
    with standalone_cluster(workdir, workers=2, cores=1) as cluster, open(log_path, "w") as log_file:
        job = subprocess.Popen([str(ROOT / "spark-submit.sh"), "--env", env_name, "--master", cluster.master_url,
                                *ARGS[2:], *extra_args], cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900
        while "ingest_clickstream: started" not in log_path.read_text():
            assert job.poll() is None and time.monotonic() < deadline, log_path.read_text()[-4000:]
            time.sleep(0.5)
        time.sleep(3)  # into the micro-batch
        cluster.kill_worker(0)
        assert job.wait(timeout=1800) == 0, log_path.read_text()[-4000:]
        assert cluster.alive_workers() == 1
    return cluster.master_url, log_path.read_text()


@pytest.mark.cluster
def test_pipeline_on_a_standalone_cluster_survives_a_lost_worker(spark, settings, pipeline_run, tmp_path):
    """The pipeline's data steps (demo data, ingest, quality, gold) through spark-submit.sh on a master and
    two workers; one worker is killed with ``kill -9`` while clickstream ingest runs. The run still
    finishes, with exactly the local run's tables."""
    env = {**os.environ, "SHOPLAKE_PYTHON": sys.executable, "SHOPLAKE__LAKE__ROOT": str(tmp_path / "lake"),
           "SHOPLAKE__PATHS__INPUTS": str(tmp_path / "inputs"),
           "SHOPLAKE__MLFLOW__TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
           "SHOPLAKE__MLFLOW__ARTIFACT_ROOT": str(tmp_path / "mlartifacts")}
    shutil.copytree(pipeline_run["root"] / "lake.keys", tmp_path / "lake.keys")  # the same pseudonyms as the local run
    pipeline_losing_a_worker("test", CLUSTER_STEPS, env, tmp_path)
    cluster_lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake"))))
    local_lake = open_lake(spark, replace(settings, lake=replace(settings.lake,
                                                                 root=str(pipeline_run["root"] / "lake"))))
    for table in TABLES:
        assert business_rows(cluster_lake, table) == business_rows(local_lake, table), table


# The sections that size the models and checks: conf/test.yaml's, whole, on the cluster run too, so both runs
# train and check the same things (cluster.yaml's full-size models would take hours on 2 cores, and its
# critical freshness rule stops a shop that ended on 2024-03-10).
TEST_SIZED_SECTIONS = ("dl", "als", "forecast", "analytics", "report", "quality")


def _yaml(value) -> str:
    """``value`` as the one YAML value a SHOPLAKE__SECTION__KEY variable holds (a mapping keeps its order:
    the first of ``analytics.segment_rules`` that matches names a segment)."""
    value = list(value) if isinstance(value, tuple) else value
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000)
    return text.removesuffix("...\n").strip()


def laptop_cluster_environment(settings, keys: Path, root: Path) -> dict[str, str]:
    """The overrides that fit conf/cluster.yaml onto a standalone cluster of two 1-core workers on this machine.

    Lake, inputs, MLflow store and model scratch folders go under ``root``; datasets and model weights come
    from the test config's cache (nothing to download); the sections of ``TEST_SIZED_SECTIONS`` are the test
    config's; the pseudonym and audit keys are the ones in ``keys`` (``privacy.require_key`` reads them
    from the environment only).
    """
    cluster = load_config("cluster")
    conf = {**cluster.spark.conf,  # Delta's extension and catalog stay; sized for 1-core, 1 GiB executors
            "spark.executor.cores": "1", "spark.executor.memory": "1g", "spark.dynamicAllocation.enabled": "false",
            "spark.default.parallelism": "2", "spark.databricks.delta.snapshotPartitions": "2"}
    env = {f"SHOPLAKE__{section.upper()}__{field.name.upper()}": _yaml(getattr(getattr(settings, section), field.name))
           for section in TEST_SIZED_SECTIONS for field in dataclasses.fields(getattr(settings, section))}
    return env | {
        "SHOPLAKE__SPARK__CONF": json.dumps(conf), "SHOPLAKE__SPARK__SHUFFLE_PARTITIONS": "2",
        "SHOPLAKE__SPARK__DRIVER_MEMORY": settings.spark.driver_memory,
        "SHOPLAKE__LAKE__ROOT": str(root / "lake"), "SHOPLAKE__PATHS__INPUTS": str(root / "inputs"),
        "SHOPLAKE__PATHS__CACHE": settings.paths.cache,
        "SHOPLAKE__MLFLOW__TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "SHOPLAKE__MLFLOW__ARTIFACT_ROOT": str(root / "mlartifacts"),
        "SHOPLAKE__DL__PETASTORM_CACHE_DIR": str(root / "petastorm-cache"),
        "SHOPLAKE__DL__CHECKPOINT_DIR": str(root / "checkpoints"),
        "SHOPLAKE_PSEUDONYM_KEY": (keys / "pseudonym.key").read_text().strip(),
        "SHOPLAKE_AUDIT_KEY": (keys / "audit.key").read_text().strip(),
    }


# What two runs of the pipeline on the same shop legitimately write differently, per table ("*": every table), and
# why. These columns ("column[key]": one key of a map column) are left out of the table's checksum; its row count
# is still compared, and every other column must agree.
RUN_SPECIFIC = {
    "*": {"_ingested_at": "the clock of the run that ingested the line",
          "_source_file": "the path of the line's file, under each run's own inputs folder"},
    "gold.churn_scores": {"model_run_id": "the MLflow run of the churn model this run trained",
                          "churn_probability": "the GBT's trees depend on the order its training rows come in "
                                               "(shuffle output): the same rows in another order move a few "
                                               "customers' scores by up to 0.1 (the features agree)",
                          "risk_decile": "the decile of churn_probability"},
    "gold.recommendations": {"score": "dot products of ALS factors summed in partition order: a cluster run's "
                                       "can differ from the embedded run's in the last bits"},
    "gold.similar_items": {"similarity": "cosines from numpy matrix products over blocks of item factors gathered "
                                        "with collect_list, in partition order: they differ in the last bit "
                                        "(the ranks agree)"},
    "ops.dq_results": {"run_id": "the run's MLflow quality run", "checked_at": "the run's clock",
                       "table_seconds": "how long the check took",
                       "details": "bounds computed from the run's clock, reference views named after its MLflow run",
                       "observed_value": "means of double columns, summed in partition order (the last bits)"},
    "ops.pipeline_runs": {"pipeline_run_id": "the run's own id", "started_at": "the run's clock",
                          "seconds": "how long the step took", "mlflow_run_ids": "the MLflow runs the step created",
                          "figures[inputs]": "each run's own inputs folder",
                          "figures[delta_backend]": "delta-rs in the embedded run, delta-spark on the cluster"},
}


def _checksum_columns(df, table: str) -> list:
    """The columns of ``table`` its checksum covers, each in a form xxhash64 takes (a map as its sorted entries)."""
    skipped = RUN_SPECIFIC["*"].keys() | RUN_SPECIFIC.get(table, {}).keys()
    unknown = [c for c in RUN_SPECIFIC.get(table, {}) if c.split("[")[0] not in df.columns]
    assert not unknown, f"RUN_SPECIFIC names columns {table} does not have: {unknown}"
    columns = []
    for field in df.schema.fields:
        if field.name in skipped:
            continue
        column = F.col(field.name)
        if isinstance(field.dataType, MapType):
            keys = [spec[len(field.name) + 1:-1] for spec in skipped if spec.startswith(f"{field.name}[")]
            kept = F.map_filter(column, lambda key, _: ~key.isin(keys)) if keys else column
            column = F.array_sort(F.map_entries(kept))
        columns.append(column)
    return columns


def fingerprint(lake, table: str, version: int | None = None) -> tuple[str, int, int]:
    """``table``'s schema, row count and order-independent checksum (see ``digest``), latest or as of ``version``."""
    df = lake.read(table, version=version)
    return (df.schema.simpleString(), *digest(df, _checksum_columns(df, table)))


@pytest.mark.cluster
def test_the_cluster_profile_runs_the_pipeline_and_writes_the_embedded_runs_tables(spark, settings, pipeline_run,
                                                                                     tmp_path):
    """``spark-submit.sh --env cluster --master spark://...`` on a master and two 1-core workers: delta-spark from
    ``--packages``, the pipeline of the module's run on the same shop and keys. One worker is killed with
    ``kill -9`` while clickstream ingest runs. Every step is done, and the run writes the same tables as the
    embedded delta-rs run, with the same rows (up to ``RUN_SPECIFIC``)."""
    env = {**os.environ, "SHOPLAKE_PYTHON": sys.executable,
           **laptop_cluster_environment(settings, pipeline_run["root"] / "lake.keys", tmp_path)}
    master_url, output = pipeline_losing_a_worker("cluster", [], env, tmp_path)
    assert f"master={master_url} delta backend=delta-spark" in output
    assert "not run:" not in output and "section(s) drawn, 0 not built yet" in output, output[-4000:]

    def lake_at(root: Path):  # both lakes read by one engine: only the writers differ
        return open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root), backend="delta-spark")))

    cluster_lake, embedded_lake = lake_at(tmp_path / "lake"), lake_at(pipeline_run["root"] / "lake")
    embedded = pipeline_run["tables"]  # as the module's first run left them
    tables = lake_tables(cluster_lake)
    assert {t: cluster_lake.version(t) for t in tables} == embedded  # the same tables, as many commits each
    assert {"ops.pipeline_runs", "gold.recommendations", "gold.churn_scores", "silver.fashion_mnist"} <= set(tables)
    differ = {t: (ours, theirs) for t in tables
              if (ours := fingerprint(cluster_lake, t)) != (theirs := fingerprint(embedded_lake, t, embedded[t]))}
    assert not differ, differ


def test_delta_spark_reads_every_version_of_every_table_the_pipeline_wrote(spark, settings, pipeline_run, tmp_path):
    """Delta's reference engine on the embedded backend's tables: every version of every table the pipeline runs
    wrote (appends, merges, overwrites) reads the same rows through both engines, with the same history; so does
    every table after an erasure (deletes across the lake) and a vacuum."""
    shutil.copytree(pipeline_run["root"] / "lake", tmp_path / "lake")
    shutil.copytree(pipeline_run["root"] / "lake.keys", tmp_path / "lake.keys")  # the erasure needs the run's keys
    copied = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")))
    embedded, reference = (open_lake(spark, replace(copied, lake=replace(copied.lake, backend=backend)))
                           for backend in ("delta-rs", "delta-spark"))
    tables = lake_tables(embedded)
    assert len(tables) >= 30, tables
    for table in tables:
        versions = range(embedded.version(table) + 1)
        assert version_digests(reference, table, versions) == version_digests(embedded, table, versions), table
        assert spark_history(spark, reference.path(table)) == sorted(
            (c.version, c.operation) for c in embedded.history(table)), table

    email = (embedded.read("bronze.orders").select(F.get_json_object("value", "$.email").alias("email"))
             .where("email IS NOT NULL").orderBy("email").first().email)
    orders_before = reference.read("silver.orders").count()
    run_job_main(spark, copied, "erase_customer", "--email", email)
    for table in tables:
        embedded.vacuum(table, 0, enforce_retention=False)
        assert digest(reference.read(table)) == digest(embedded.read(table)), table
        assert spark_history(spark, reference.path(table)) == sorted(
            (c.version, c.operation) for c in embedded.history(table)), table
    assert reference.read("silver.orders").count() < orders_before  # the erasure removed the customer's orders
