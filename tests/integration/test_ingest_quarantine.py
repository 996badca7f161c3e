"""Loud quarantine, from the outside: a batch with too much of it quarantined fails the job with one line and
writes nothing; re-run with ``--accept-quarantine`` it lands its valid records exactly once, also on a replay;
the share is exact at its bound, in the pipeline too; free lines land and negative prices do not; and the
quarantine-volume check fails on a lake with too much quarantine and passes on the demo shop."""
from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from shoplake.catalog import (BRONZE_ORDERS, BRONZE_QUARANTINE, OPS_PIPELINE_RUNS, SILVER_EVENTS, SILVER_ORDER_LINES,
                              SILVER_ORDERS, SILVER_PRODUCTS)
from shoplake.gold.transforms import daily_item_sales
from shoplake.ingest.load_catalog import ingest_catalog
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.errors import QuarantineTooHigh
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.pipeline import run_steps
from shoplake.pipeline.plan import PIPELINE_STEPS
from shoplake.pipeline.ledger import LakeLedger
from shoplake.quality import check_tables
from shoplake.quality.describe import describe
from shoplake.quality.summary import report
from shoplake.steps.context import StepContext
from tests.support.jobs import run_job_main
from tests.support.processes import run_command

pytestmark = pytest.mark.slow
KEY = b"test-pseudonym-key"
DAY = "date=2024-01-10"
TABLES = (BRONZE_ORDERS, BRONZE_QUARANTINE, SILVER_ORDERS)


def order(order_id, **fields) -> dict:
    return {"order_id": order_id, "customer_id": "c1", "order_time": "2024-01-09T10:00:00Z", "status": "placed",
            "updated_at": "2024-01-09T10:05:00Z",
            "lines": [{"product_id": "p1", "quantity": 1, "unit_price": 10.0, "discount": 0.0}], **fields}


def line(unit_price, **fields) -> dict:
    return {"product_id": "p1", "quantity": 2, "unit_price": unit_price, "discount": 0.0, **fields}


def drop(folder: Path, name: str, records: list) -> None:
    """Write ``records`` (dicts as JSON, strings as they are) as one JSON-lines file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def lake_under(spark, settings, root: Path, **ingest):
    cfg = replace(settings, lake=replace(settings.lake, root=str(root / "lake")),
                  paths=replace(settings.paths, inputs=str(root / "inputs")), ingest=replace(settings.ingest, **ingest))
    return open_lake(spark, cfg), cfg


def counts(lake) -> dict[str, int]:
    return {t: lake.read(t).count() for t in TABLES}


@pytest.fixture(scope="module")
def refused(spark, settings, tmp_path_factory):
    """12 order records, 10 of them bad: the job (a real process) refuses them; then, in process, the same batch
    with ``--accept-quarantine``, again, and once more after its ``done`` record is lost (a replay)."""
    root = tmp_path_factory.mktemp("refused")
    lake, cfg = lake_under(spark, settings, root)
    records = ([order("o-ok-1"), order("o-ok-2")] + [order(f"o-lost-{i}", status="lost") for i in range(5)]
               + [{k: v for k, v in order(f"o-{i}").items() if k != "order_id"} for i in range(3)]
               + ['{"order_id": "o-cut', '{"order_id": "o-cut-too'])
    drop(root / "inputs" / "orders" / DAY, "part-0.json", records)
    env = {"SHOPLAKE__LAKE__ROOT": cfg.lake.root, "SHOPLAKE__PATHS__INPUTS": cfg.paths.inputs}
    job = run_command([sys.executable, "-m", "shoplake.cli", "run", "ingest_orders", "--env", "test"], cwd=root,
                      env=env, timeout=600)
    ledger = Path(lake.checkpoint_path("ingest_orders"))
    out = {"lake": lake, "settings": cfg, "job": job, "ledger": ledger,
           "after_refusal": {t: lake.exists(t) for t in TABLES},
           "planned": sorted(p.name for p in ledger.glob("*/*.json"))}
    out["accepted"] = run_job_main(spark, cfg, "ingest_orders", "--accept-quarantine").figures
    out["versions"], out["counts"] = {t: lake.version(t) for t in TABLES}, counts(lake)
    out["again"] = run_job_main(spark, cfg, "ingest_orders", "--accept-quarantine").figures
    (ledger / "done" / "0.json").unlink()  # as if killed after its commits, before the batch was marked done
    out["replayed"] = run_job_main(spark, cfg, "ingest_orders", "--accept-quarantine").figures
    return out


def test_a_mostly_bad_batch_fails_the_job_with_one_line_naming_its_top_reasons_and_writes_nothing(refused):
    job = refused["job"]
    output = job.stdout + job.stderr
    assert job.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    errors = [text for text in job.stderr.splitlines() if " ERROR " in text]
    assert len(errors) == 1, job.stderr[-3000:]
    assert ("job ingest_orders refused its input: orders batch 0 refused: 10 of 12 records quarantined (83.3%, more than "
            "ingest.max_quarantine_share 5.0%): unknown_status 5 (e.g. date=2024-01-10/part-0.json: "
            '{"order_id": "o-lost-0"') in errors[0]
    assert "missing_order_id 3 (e.g. date=2024-01-10/part-0.json: " in errors[0]
    assert 'malformed_json 2 (e.g. date=2024-01-10/part-0.json: {"order_id": "o-cut)' in errors[0]
    assert "--accept-quarantine" in errors[0]
    assert refused["after_refusal"] == {t: False for t in TABLES}  # nothing in bronze, quarantine or silver
    assert refused["planned"] == ["0.json"]  # planned, not done: its files stay unprocessed


def test_the_same_batch_rerun_with_the_flag_lands_its_valid_records_once(refused):
    lake, accepted = refused["lake"], refused["accepted"]
    assert (accepted["batches"], accepted["lines_read"], accepted["lines_landed"]) == (1, 12, 2)
    assert (accepted["quarantined_unknown_status"], accepted["quarantined_missing_order_id"],
            accepted["quarantined_malformed_json"], accepted["lines_quarantined"]) == (5, 3, 2, 10)
    assert sorted(r.order_id for r in lake.read(SILVER_ORDERS).collect()) == ["o-ok-1", "o-ok-2"]
    assert refused["counts"] == {BRONZE_ORDERS: 12, BRONZE_QUARANTINE: 10, SILVER_ORDERS: 2}
    assert {r._batch_id for r in lake.read(BRONZE_ORDERS).collect()} == {0}  # the refused batch's id, replayed
    assert refused["again"]["batches"] == 0
    assert refused["replayed"]["batches"] == 1 and refused["replayed"]["lines_quarantined"] == 10
    assert {t: lake.version(t) for t in TABLES} == refused["versions"]  # the replay committed nothing
    assert counts(lake) == refused["counts"]


def test_the_quarantine_volume_check_fails_on_a_lake_with_too_much_quarantine(refused):
    lake = refused["lake"]
    run = check_tables(lake, refused["settings"], [BRONZE_QUARANTINE])
    results = {r.check: r for r in run.results()[BRONZE_QUARANTINE]}
    volume = results["orders_quarantine_volume"]
    assert volume.failed_critical and run.failed_tables == [BRONZE_QUARANTINE]
    assert describe(volume) == "observed 10, expected at most 0"  # 5% of 12 records received
    assert "critical orders_quarantine_volume: observed 10, expected at most 0" in report(lake, [BRONZE_QUARANTINE])


def test_the_quarantine_volume_check_passes_on_the_demo_shop(spark, demo_shop, tmp_path):
    shutil.copytree(Path(demo_shop["settings"].lake.root) / "bronze", tmp_path / "lake" / "bronze")
    lake, cfg = lake_under(spark, demo_shop["settings"], tmp_path)
    results = check_tables(lake, cfg, [BRONZE_QUARANTINE]).results()[BRONZE_QUARANTINE]
    volume = {r.check: r for r in results if r.check.endswith("_quarantine_volume")}
    assert sorted(volume) == [f"{s}_quarantine_volume" for s in ("clickstream", "orders", "products", "reviews")]
    assert all(r.success for r in volume.values()), {c: describe(r) for c, r in volume.items()}
    assert volume["clickstream_quarantine_volume"].observed() > 0  # the demo shop has some, under the share


def test_a_batch_at_the_share_lands_and_one_just_over_it_is_refused_in_the_pipeline_too(spark, settings, tmp_path):
    lake, cfg = lake_under(spark, settings, tmp_path, max_quarantine_share=0.25)
    folder = tmp_path / "inputs" / "orders" / DAY
    drop(folder, "part-0.json", [order(f"a{i}") for i in range(6)] + [order("a-lost", status="lost"), "{"])
    at_bound = run_job_main(spark, cfg, "ingest_orders").figures  # 2 of 8 records: 25%
    assert (at_bound["lines_landed"], at_bound["lines_quarantined"]) == (6, 2)
    drop(folder, "part-1.json", [order(f"b{i}") for i in range(5)] + [order("b-lost", status="lost"), "{"])
    versions = {t: lake.version(t) for t in TABLES}
    with pytest.raises(QuarantineTooHigh, match=r"^orders batch 1 refused: 2 of 7 records quarantined \(28\.6%"):
        run_job_main(spark, cfg, "ingest_orders")
    # the pipeline stops at the step, recorded as failed with the reason
    with pytest.raises(QuarantineTooHigh):
        run_steps(PIPELINE_STEPS, StepContext(spark, cfg), only=["ingest_orders"], ledger=LakeLedger(lake))
    (failed,) = lake.read(OPS_PIPELINE_RUNS).filter("step = 'ingest_orders'").collect()
    assert failed.status == "failed" and "orders batch 1 refused: 2 of 7 records quarantined (28.6%" in failed.error
    assert {t: lake.version(t) for t in TABLES} == versions
    assert lake.read(SILVER_ORDERS).count() == 6


def test_free_lines_land_and_negative_prices_are_quarantined(spark, settings, tmp_path):
    lake, cfg = lake_under(spark, settings, tmp_path, max_quarantine_share=1.0)  # tiny files, half of them bad
    inputs = tmp_path / "inputs"
    drop(inputs / "orders" / DAY, "part-0.json", [
        order("o-paid"), order("o-free", lines=[line(0.0)]), order("o-negative", lines=[line(-1.0)]),
        order("o-no-price", lines=[{"product_id": "p1", "quantity": 1}])])
    event = {"event_time": "2024-01-09T10:00:00Z", "user_id": "u1", "session_id": "s1", "event_type": "product_view",
             "product_id": "p1"}
    drop(inputs / "clickstream" / DAY, "part-0.json", [{**event, "event_id": "e-free", "price": 0.0},
                                                      {**event, "event_id": "e-negative", "price": -2.5}])
    drop(inputs / "products", "part-0.json", [{"product_id": "p1", "category": "gifts", "price": 0.0},
                                              {"product_id": "p2", "category": "gifts", "price": -5.0}])
    ingest_orders(lake, cfg, KEY)
    ingest_clickstream(lake, cfg, KEY)
    ingest_catalog(lake, cfg, KEY)

    quarantined = {(r.source, json.loads(r.raw).get("order_id") or json.loads(r.raw).get("event_id")
                    or json.loads(r.raw)["product_id"]): r.reason for r in lake.read(BRONZE_QUARANTINE).collect()}
    assert quarantined == {("orders", "o-negative"): "negative_price", ("orders", "o-no-price"): "missing_unit_price",
                           ("clickstream", "e-negative"): "negative_price", ("products", "p2"): "negative_price"}
    free = lake.read(SILVER_ORDER_LINES).filter(F.col("order_id") == "o-free").first()
    assert (free.unit_price, free.net_amount) == (0.0, 0.0)
    assert [(r.event_id, r.price) for r in lake.read(SILVER_EVENTS).collect()] == [("e-free", 0.0)]
    assert [(r.product_id, r.price) for r in lake.read(SILVER_PRODUCTS).collect()] == [("p1", 0.0)]
    sales = daily_item_sales(lake.read(SILVER_ORDER_LINES).filter(F.col("order_id") == "o-free")).first()
    assert (sales.units, sales.revenue, sales.avg_price) == (2, 0.0, 0.0) and math.isfinite(sales.avg_price)
    checked = check_tables(lake, cfg, [SILVER_ORDER_LINES, SILVER_EVENTS, SILVER_PRODUCTS]).results()
    price_ranges = {(t, r.check): r.success for t, results in checked.items() for r in results
                    if r.check in ("unit_price_range", "price_range", "net_amount_range")}
    assert price_ranges == {(SILVER_ORDER_LINES, "unit_price_range"): True,
                            (SILVER_ORDER_LINES, "net_amount_range"): True, (SILVER_EVENTS, "price_range"): True,
                            (SILVER_PRODUCTS, "price_range"): True}
