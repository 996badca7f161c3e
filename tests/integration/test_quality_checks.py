"""Data quality end to end on a copy of the demo shop: every table passes its suite on clean data,
planted defects fail exactly the checks they target, the gate blocks build_gold on a failed version
and lets it through once the data is fixed, and volume/drift compare against the previous
successful run. Real Spark, Delta, Great Expectations and MLflow, in temp dirs."""
import argparse
import io
import math
import shutil
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from pyspark.sql import Window
from pyspark.sql import functions as F

from shoplake.cli import main as cli_main
from shoplake.datasets.generator.flags import add_generator_arguments, config_from_args
from shoplake.datasets.generator import generate
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.quality import QualityError, QualityGateFailed, check_layer, check_tables, require_passing
from shoplake.quality.describe import describe
from shoplake.quality.summary import report
from shoplake.quality.store import latest_results
from shoplake.quality.specs import known_tables
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EVENTS, LINES = "silver.events", "silver.order_lines"
GOLD = "gold.daily_item_sales"
UNKNOWN_PRODUCT = "no-such-product"

# planted row -> (column, value) it gets, and the check that must fail because of it
EVENT_DEFECTS = {
    1: ("event_id", None, "event_id_not_null"),
    2: ("event_id", "keep", "event_id_unique"),  # a copy of an existing event: its id twice
    3: ("event_type", "teleport", "event_type_allowed"),
    4: ("price", -5.0, "price_range"),
    5: ("quantity", 0, "quantity_range"),
    6: ("event_time", "future", "event_time_not_future"),
    7: ("product_id", UNKNOWN_PRODUCT, "product_id_known"),
    8: ("user_id", None, "user_id_not_null"),
    9: ("event_time", None, "event_time_not_null"),
    10: ("event_type", None, "event_type_not_null"),
}
LINE_DEFECTS = {
    1: ("order_id", None, "order_id_not_null"),
    2: ("order_id", "keep", "order_id_line_no_unique"),
    3: ("line_no", None, "line_no_not_null"),
    4: ("status", "lost", "status_allowed"),
    5: ("quantity", 0, "quantity_range"),
    6: ("unit_price", -1.0, "unit_price_range"),
    7: ("discount", -1.0, "discount_range"),
    8: ("net_amount", -3.0, "net_amount_range"),
    9: ("product_id", UNKNOWN_PRODUCT, "product_id_known"),
    10: ("product_id", None, "product_id_not_null"),
    11: ("status", None, "status_not_null"),
}


def planted(df, key, defects, now):
    """``df`` plus one copy of a row per defect, each copy with a fresh key and its one defect."""
    copies = df.filter(F.col("product_id").isNotNull()).orderBy(key).limit(len(defects)).withColumn(
        "_i", F.row_number().over(Window.orderBy(key)))
    copies = copies.withColumn(key, F.concat(F.lit("planted-"), F.col("_i").cast("string")))
    for i, (column, value, _) in defects.items():
        if value == "keep":
            continue
        new = F.lit(now + timedelta(days=1)) if value == "future" else F.lit(value)
        copies = copies.withColumn(column, F.when(F.col("_i") == i, new.cast(df.schema[column].dataType))
                                   .otherwise(F.col(column)))
    originals = df.orderBy(key).limit(len(defects)).withColumn("_i", F.row_number().over(Window.orderBy(key)))
    kept = [i for i, (_, value, _) in defects.items() if value == "keep"]
    copies = copies.filter(~F.col("_i").isin(kept)).unionByName(originals.filter(F.col("_i").isin(kept)))
    return df.unionByName(copies.drop("_i"))


def drifted(events):
    """A quarter of the events, prices doubled, half the devices missing, product views relabelled."""
    return (events.filter(F.rand(1) < 0.25)
            .withColumn("price", F.col("price") * 2)
            .withColumn("device", F.when(F.rand(2) < 0.5, F.lit(None)).otherwise(F.col("device")))
            .withColumn("event_type", F.when(F.col("event_type") == "product_view", "add_to_cart")
                        .otherwise(F.col("event_type"))))


def printed(function, *args):
    """What ``function(*args)`` prints, with its return value checked to be 0 when it returns an exit code."""
    out = io.StringIO()
    with redirect_stdout(out):
        result = function(*args)
    assert not isinstance(result, int) or result == 0
    return out.getvalue()


def failed(results):
    return {r.check for r in results if not r.success}


def by_check(results):
    return {r.check: r for r in results}


@pytest.fixture(scope="module")
def shop(spark, demo_shop, tmp_path_factory):
    """The demo lake copied, then: run A (job, every table, clean) -> planted events and lines, run B
    -> build_gold refused by the gate -> report -> fixed (drifted) versions -> build_gold, whose gate
    checks the new versions on the spot (run C, strict freshness)."""
    root = tmp_path_factory.mktemp("quality")
    shutil.copytree(demo_shop["settings"].lake.root, root / "lake")
    base = demo_shop["settings"]
    lenient = replace(base, lake=replace(base.lake, root=str(root / "lake")),
                      quality=replace(base.quality, freshness_max_delay_hours=24 * 365 * 20))
    strict = replace(lenient, quality=base.quality)
    lake = open_lake(spark, lenient)
    out = {"lake": lake, "settings": lenient, "tables": [t for t in known_tables() if lake.exists(t)]}
    clean = {t: lake.version(t) for t in (EVENTS, LINES)}
    gold_before = lake.version(GOLD)

    out["job_output"] = printed(run_job_main, spark, lenient, "quality_checks")
    out["versions_A"] = {t: lake.version(t) for t in out["tables"]}
    out["A"] = latest_results(lake)
    out["changed_only"] = check_tables(lake, lenient, changed_only=True)
    out["gold_layer"] = check_layer(lake, lenient, "gold")

    now = datetime.now()
    lake.overwrite(planted(lake.read(EVENTS), "event_id", EVENT_DEFECTS, now), EVENTS)
    lake.overwrite(planted(lake.read(LINES), "order_id", LINE_DEFECTS, now), LINES)
    out["B"] = check_tables(lake, lenient, [EVENTS, LINES], now=now)
    with pytest.raises(QualityGateFailed) as refused:
        run_job_main(spark, strict, "build_gold")
    out["refused"], out["gold_after_refusal"] = refused.value, lake.version(GOLD)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SHOPLAKE__LAKE__ROOT", lenient.lake.root)
        out["report"] = printed(cli_main, ["dq", "report", "--env", "test"])

    lake.overwrite(drifted(lake.read(EVENTS, version=clean[EVENTS])), EVENTS)
    lake.overwrite(lake.read(LINES, version=clean[LINES]), LINES)
    run_job_main(spark, strict, "build_gold")
    out["C"] = latest_results(lake, [EVENTS, LINES])
    out["gold_versions"] = (gold_before, lake.version(GOLD))
    return out


def test_every_table_passes_every_check_on_the_clean_demo_shop(shop):
    assert set(shop["A"]) == set(shop["tables"]) and len(shop["tables"]) == len(known_tables())
    assert {t: failed(results) for t, results in shop["A"].items() if failed(results)} == {}
    runs = {r.run_id for results in shop["A"].values() for r in results}
    assert len(runs) == 1, "one quality run checks all tables"
    for table, results in shop["A"].items():
        assert all(r.table_version == shop["versions_A"][table] for r in results)
        assert sorted(r.check for r in results) == sorted({r.check for r in results}), "one row per check per run"
    assert "16 passed" in shop["job_output"] and "Data Docs: " in shop["job_output"]


def test_the_first_run_has_no_history_so_volume_and_drift_only_record_a_baseline(shop):
    events = by_check(shop["A"][EVENTS])
    volume = events["volume"]
    assert volume.success and volume.details_dict()["expected"] == {"min_value": 0}
    assert "baseline_run" not in volume.details_dict()
    assert volume.observed() == shop["lake"].read(EVENTS, version=volume.table_version).count()
    assert events["price_nulls_drift"].details_dict()["expected"] == {"min_value": 0.0, "max_value": 1.0}
    assert events["event_type_mix_drift"].observed() == 0.0
    mix = events["event_type_mix_drift"].details_dict()["details"]["observed_partition"]
    assert math.isclose(sum(mix["weights"]), 1.0) and "product_view" in mix["values"]


def test_a_version_already_checked_is_not_checked_again_when_only_changes_are_asked_for(shop):
    assert shop["changed_only"].tables == [] and shop["changed_only"].run_id is None
    assert shop["gold_layer"]["tables"] == 0


def test_each_planted_defect_fails_exactly_the_check_it_targets(shop):
    results = shop["B"].results()
    assert failed(results[EVENTS]) == {check for _, _, check in EVENT_DEFECTS.values()}
    assert failed(results[LINES]) == {check for _, _, check in LINE_DEFECTS.values()}
    assert all(r.severity == "critical" for t in (EVENTS, LINES) for r in results[t] if not r.success)
    assert shop["B"].failed_tables == [EVENTS, LINES]
    unique = by_check(results[EVENTS])["event_id_unique"].observed()
    assert unique["unexpected_count"] == 2  # the original row and its copy
    known = by_check(results[LINES])["product_id_known"]
    assert known.observed() == 1 and "silver.products v" in describe(known)


def test_the_gate_refuses_build_gold_on_the_failed_versions_and_names_the_checks(shop):
    refused = shop["refused"]
    assert set(refused.failures) == {EVENTS, LINES}
    assert {r.check for r in refused.failures[EVENTS]} == {check for _, _, check in EVENT_DEFECTS.values()}
    message = str(refused)
    assert f"{EVENTS} version {refused.versions[EVENTS]} failed 10 critical data-quality checks" in message
    assert "event_type_allowed: 1 of" in message and "order_id_line_no_unique" in message
    assert shop["gold_after_refusal"] == shop["gold_versions"][0], "build_gold must not have written gold"


def test_dq_report_prints_the_failed_tables_first_with_their_checks(shop):
    report = shop["report"]
    blocks = [line for line in report.splitlines() if line and not line.startswith(" ")]
    assert blocks[0].startswith("Data quality, latest run per table: 2 failed, 0 with warnings")
    assert [b.split()[:2] for b in blocks[1:3]] == [["FAILED", EVENTS], ["FAILED", LINES]]
    assert all(b.startswith("PASSED") for b in blocks[3:])
    assert "    critical event_id_unique: 2 of" in report


def test_the_gate_checks_a_new_version_on_the_spot_and_lets_build_gold_through_with_warnings(shop):
    gold_before, gold_after = shop["gold_versions"]
    assert gold_after == gold_before + 1
    events, lines = shop["C"][EVENTS], shop["C"][LINES]
    assert events[0].table_version == shop["lake"].version(EVENTS) and not failed(lines)
    assert failed(events) == {"volume", "device_nulls_drift", "price_mean_drift", "event_type_mix_drift", "freshness"}
    assert all(r.severity == "warning" for r in events if not r.success)


def test_volume_and_drift_compare_against_the_previous_successful_run_not_the_failed_one(shop):
    first = by_check(shop["A"][EVENTS])
    latest = by_check(shop["C"][EVENTS])
    for check in ("volume", "price_mean_drift", "device_nulls_drift", "event_type_mix_drift"):
        assert latest[check].details_dict()["baseline_run"] == first[check].run_id != shop["B"].run_id
    rows = first["volume"].observed()
    assert latest["volume"].details_dict()["expected"] == {"min_value": math.floor(rows * 0.5),
                                                           "max_value": math.ceil(rows * 1.5)}
    assert latest["volume"].observed() < rows * 0.5
    mean = first["price_mean_drift"].observed()
    assert latest["price_mean_drift"].observed() == pytest.approx(2 * mean, rel=0.05)
    assert latest["event_type_mix_drift"].observed() > 0.1


def test_each_run_logs_its_data_docs_and_figures_to_mlflow(shop):
    settings = shop["settings"]
    client = MlflowClient(settings.mlflow.tracking_uri)
    run_id = next(iter(shop["A"].values()))[0].run_id
    run = client.get_run(run_id)
    assert run.data.metrics["failed_critical"] == 0 and run.data.metrics["tables"] == len(shop["tables"])
    assert {f"seconds.{t}" for t in shop["tables"]} <= set(run.data.metrics)
    assert run.data.params[f"table.{EVENTS}.version"] == str(shop["A"][EVENTS][0].table_version)
    docs = Path(client.download_artifacts(run_id, "data_docs"))
    assert (docs / "index.html").is_file()
    pages = {p.parent.parent.parent.relative_to(docs / "validations").as_posix()
             for p in (docs / "validations").rglob("*.html")}
    assert pages == {t.replace(".", "/") for t in shop["tables"]}
    b_run = client.get_run(shop["B"].run_id)
    assert b_run.data.metrics["failed_critical"] == len(EVENT_DEFECTS) + len(LINE_DEFECTS)
    assert b_run.data.tags["failed_tables"] == f"{EVENTS},{LINES}"


def test_missing_or_misnamed_tables_are_refused_with_a_clear_error(shop):
    lake, settings = shop["lake"], shop["settings"]
    with pytest.raises(QualityError, match=r"cannot check silver\.nope: no such table"):
        check_tables(lake, settings, ["silver.nope"])
    with pytest.raises(QualityError, match=r"'nope' must be 'layer\.name'"):
        check_tables(lake, settings, ["nope"])
    with pytest.raises(QualityError, match=r"cannot check gold\.missing: no such table"):
        require_passing(lake, settings, ["gold.missing"])


@pytest.mark.parametrize("job, table", [("train_als", "gold.user_item_interactions"),
                                        ("train_forecast", "gold.daily_item_sales")])
def test_model_jobs_run_alone_refuse_a_failed_input_version_before_training(shop, spark, job, table):
    lake, settings = shop["lake"], shop["settings"]
    good = lake.version(table)
    rows = lake.read(table)
    lake.overwrite(rows.unionByName(rows.limit(1)), table)  # one key twice: a critical failure
    client = MlflowClient(settings.mlflow.tracking_uri)
    runs_before = len(client.search_runs([e.experiment_id for e in client.search_experiments()]))
    try:
        with pytest.raises(QualityGateFailed, match=f"{table} version {good + 1} failed"):
            run_job_main(spark, settings, job)
        assert len(client.search_runs([e.experiment_id for e in client.search_experiments()])) == runs_before + 1, \
            "only the quality run of the gate's on-the-spot check, no training run"
    finally:
        lake.overwrite(lake.read(table, version=good), table)


def test_a_table_with_the_wrong_columns_fails_its_schema_checks_with_readable_reasons(spark, settings, tmp_path):
    cfg = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")))
    lake = open_lake(spark, cfg)
    lake.overwrite(spark.createDataFrame([], "customer_id string, first_order_time timestamp, "
                                             "last_order_time timestamp, orders double"), "silver.customers")
    results = check_tables(lake, cfg, ["silver.customers"]).results()["silver.customers"]
    assert failed(results) == {"columns", "email_domain_type", "orders_type", "not_empty"}
    checks = by_check(results)
    assert describe(checks["columns"]) == "columns differ: missing email_domain"
    assert describe(checks["orders_type"]) == "observed DoubleType, expected LongType"
    assert describe(checks["email_domain_type"]) == "could not be evaluated: the table has no column 'email_domain'"
    assert report(lake, ["silver.nope"]).startswith("No data-quality results for silver.nope: run `shoplake run")
    text = report(lake, ["silver.customers", "silver.nope"])
    assert text.splitlines()[1].startswith("FAILED   silver.customers") and text.endswith("\nNo results for silver.nope.")


def test_a_shop_generated_with_the_default_dates_is_fresh_once_ingested(spark, settings, tmp_path):
    """The generator's command line ends a shop yesterday (UTC): its newest events and orders pass freshness now."""
    parser = argparse.ArgumentParser()
    add_generator_arguments(parser)
    config = config_from_args(parser.parse_args(["--users", "1500", "--days", "3", "--products", "60",
                                                 "--corrupt-rate", "0"]))
    inputs = tmp_path / "inputs"
    generate(spark, config, str(inputs), str(tmp_path / "truth"), settings.paths.cache)
    cfg = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")),
                  paths=replace(settings.paths, inputs=str(inputs)))
    lake = open_lake(spark, cfg)
    ingest_clickstream(lake, cfg, b"fresh-shop-key")
    ingest_orders(lake, cfg, b"fresh-shop-key")
    results = check_tables(lake, cfg, [EVENTS, "silver.orders"]).results()
    freshness = {table: by_check(checks)["freshness"] for table, checks in results.items()}
    assert all(check.success for check in freshness.values()), {t: describe(c) for t, c in freshness.items()}
