"""Erasing a customer from a copy of the demo shop: every table, every remaining version, every data file.

The copy gets a model-output table no erasure code knows about and a quarantined raw line holding
the customer's email, to show that tables are found, not listed. Another copy is erased by the
job in its own process, killed with SIGKILL at every table boundary and run again until done.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from functools import reduce
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from shoplake.ingest.load_catalog import ingest_catalog
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.privacy.erasure import ERASURES, PRIVACY_TABLES, erase_customer
from shoplake.privacy.erasure_list import ERASURE_LIST
from shoplake.privacy.errors import ErasureRequestError, NothingToErase
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.requests import DONE, REQUESTS
from shoplake.privacy.all_tables import lake_tables
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow
KEY = "demo-shop-pseudonym-key"
AUDIT_KEY = "demo-shop-audit-key"
MODEL_OUTPUT = "gold.model_scores"
JOB_TIMEOUT_S = 600


def holding(df: DataFrame, table: str, customer: dict) -> DataFrame:
    """The rows of ``df`` that hold the customer: raw id or email in bronze text, their pseudonym elsewhere."""
    text = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
    if table.startswith("bronze."):  # raw text, or the text of quarantined bytes (base64)
        texts = [F.col(c) for c in text] + [F.decode(F.try_to_binary(F.col(c), F.lit("base64")), "ISO-8859-1") for c in text]
        checks = [t.contains(f'"{customer["id"]}"') | F.lower(t).contains(customer["email"]) for t in texts]
    else:
        checks = [F.col(c) == customer["pseudonym"] for c in text]
    return df.where(reduce(lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in checks])) if checks else df.limit(0)


def counts(parts: list[DataFrame]) -> dict:
    """``{label: rows}`` of a list of one-column (``label``) DataFrames, in one Spark job."""
    if not parts:
        return {}
    return {r["label"]: r["rows"] for r in reduce(DataFrame.unionByName, parts).groupBy("label").agg(
        F.count("*").alias("rows")).collect()}


def data_tables(lake) -> list[str]:
    """Every table but the erasure audit and list, which hold keyed hashes of erased customers by design."""
    return [t for t in lake_tables(lake) if t not in PRIVACY_TABLES]


def rows_per_table(lake, customer) -> dict:
    return counts([holding(lake.read(t), t, customer).select(F.lit(t).alias("label")) for t in data_tables(lake)])


def data_files(lake, table) -> list[str]:
    return [str(p) for p in Path(lake.path(table)).rglob("*.parquet") if "_delta_log" not in p.parts]


def rows_in_data_files(spark, lake, customer) -> dict:
    """Rows holding the customer in every Parquet file under each table's folder, referenced by the log or not."""
    parts = []
    for table in data_tables(lake):
        files = data_files(lake, table)
        if files:
            every_file = spark.read.option("mergeSchema", "true").parquet(*files)
            parts.append(holding(every_file, table, customer).select(F.lit(table).alias("label")))
    return counts(parts)


def pick_customer(lake, rank: int = 0) -> dict:
    """The ``rank``-th customer with orders, reviews and clickstream events (raw id and email from bronze)."""
    reviewers = lake.read("bronze.reviews").select(F.get_json_object("value", "$.user_id").alias("id"))
    orders = lake.read("bronze.orders").select(F.get_json_object("value", "$.customer_id").alias("id"),
                                               F.get_json_object("value", "$.email").alias("email"))
    rows = orders.join(reviewers, "id").where(F.col("email").isNotNull()).select("id", "email").distinct()
    row = rows.orderBy("id").collect()[rank]
    return {"id": row.id, "email": row.email.lower(), "pseudonym": pseudonym(row.id, KEY.encode())}


def copied_lake(spark, demo_shop, root: Path):
    """The demo shop's lake copied under ``root``, with this module's keys: (lake, settings)."""
    shutil.copytree(demo_shop["settings"].lake.root, root / "lake")
    base = demo_shop["settings"]
    settings = replace(base, lake=replace(base.lake, root=str(root / "lake")),
                       privacy=replace(base.privacy, key=KEY, audit_key=AUDIT_KEY))
    return open_lake(spark, settings), settings


def versions(lake) -> dict:
    return {t: lake.version(t) for t in lake_tables(lake)}


@pytest.fixture(scope="module")
def erased(spark, demo_shop, tmp_path_factory):
    """The demo lake copied, one customer erased by email through the job; their rows counted before and after."""
    root = tmp_path_factory.mktemp("erasure")
    lake, settings = copied_lake(spark, demo_shop, root)
    customer = pick_customer(lake)
    lake.overwrite(lake.read("gold.user_features").select("user_id", (F.col("monetary") / 100).alias("score")),
                   MODEL_OUTPUT)
    quarantine = lake.read("bronze.quarantine")
    latin1 = ('{"order_id": "o-y", "customer_id": "' + customer["id"] + '", "name": "José"}').encode("latin-1")
    now = datetime.now(timezone.utc)
    bad_lines = spark.createDataFrame([
        ("orders", '{"order_id": "o-x", "email": "' + customer["email"].upper() + '", ', "file:/inputs/orders/part-9.json",
         "malformed_json", now, 999),
        ("orders", base64.b64encode(latin1).decode(), "file:/inputs/orders/part-9.json", "invalid_encoding", now, 999),
    ], quarantine.schema)
    lake.append(bad_lines, "bronze.quarantine")
    before = {"rows": rows_per_table(lake, customer), "silver_orders": lake.read("silver.orders").count(),
              "customers": lake.read("silver.customers").count()}
    output = root / "erasure.json"
    run_job_main(spark, settings, "erase_customer", "--email", f" {customer['email'].upper()} ", "--output", str(output))
    return {"lake": lake, "settings": settings, "customer": customer, "before": before, "output": output,
            "inputs": demo_shop["inputs"], "root": root}


def test_the_customer_was_in_every_kind_of_table_before(erased):
    held = erased["before"]["rows"]
    assert {"bronze.orders", "bronze.clickstream", "bronze.reviews", "bronze.quarantine", "silver.orders",
            "silver.order_lines", "silver.customers", "silver.events", "silver.sessions", "silver.reviews",
            "gold.user_features", "gold.user_item_interactions", MODEL_OUTPUT} <= set(held)


def test_no_remaining_version_of_any_table_holds_the_customer(erased):
    lake, customer = erased["lake"], erased["customer"]
    parts, readable = [], 0
    for table in data_tables(lake):
        for commit in lake.history(table):
            try:
                df = lake.read(table, version=commit.version)
            except Exception as exc:  # a vacuumed version: its files are gone
                assert "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc), exc
                continue
            readable += 1
            parts.append(holding(df, table, customer).select(F.lit(f"{table}@{commit.version}").alias("label")))
    assert readable >= len(data_tables(lake))
    assert counts(parts) == {}


def test_no_data_file_left_on_disk_holds_the_customer(spark, erased):
    assert rows_in_data_files(spark, erased["lake"], erased["customer"]) == {}


def test_the_tables_logs_never_name_the_customer_in_their_commits(erased):
    lake, customer = erased["lake"], erased["customer"]
    for table in lake_tables(lake):
        for log_file in Path(lake.path(table), "_delta_log").glob("*.json"):
            for line in log_file.read_text().splitlines():
                commit = json.loads(line).get("commitInfo")
                if commit:
                    text = json.dumps(commit).lower()
                    assert customer["id"] not in text and customer["email"] not in text, (table, log_file.name)
                    assert customer["pseudonym"] not in text, (table, log_file.name)


def test_bronze_logs_hold_no_raw_records_in_their_file_statistics(erased):
    lake, customer = erased["lake"], erased["customer"]
    for table in lake_tables(lake, ["bronze"]):
        for log_file in Path(lake.path(table), "_delta_log").glob("*.json"):
            for line in log_file.read_text().splitlines():
                add = json.loads(line).get("add")
                if add and add.get("stats"):
                    assert "@" not in add["stats"], f"{table} {log_file.name}: a raw record in the file statistics"


def audit_rows(lake, erasure_id=None) -> list:
    return [r for r in lake.read(ERASURES).collect() if erasure_id in (None, r.erasure_id)]


def test_every_erased_row_is_audited_under_the_audit_key_only(erased):
    lake, customer = erased["lake"], erased["customer"]
    audit = [r for r in audit_rows(lake) if r.subject_kind == "email"]
    assert {r.subject_hash for r in audit} == {pseudonym(customer["email"], AUDIT_KEY.encode())}
    assert len({r.erasure_id for r in audit}) == 1
    deleted = {r.table: r.rows_deleted for r in audit if r.rows_deleted}
    assert deleted == erased["before"]["rows"]
    assert all(r.retention_hours == 0 and r.table_version == lake.version(r.table) for r in audit)
    summary = erased["output"].read_text().lower()
    assert json.loads(summary)["rows_deleted"] == sum(deleted.values())
    # with the pseudonym key alone, nothing in the erasure records points at the customer
    with_pseudonym_key = {customer["id"], customer["email"], customer["pseudonym"],
                          pseudonym(customer["email"], KEY.encode())}
    for table in (ERASURES, ERASURE_LIST, REQUESTS):
        text = " ".join(str(v) for r in lake.read(table).collect() for v in r).lower()
        assert not [v for v in with_pseudonym_key if v in text], table
    assert not [v for v in with_pseudonym_key if v in summary]


def test_the_request_was_recorded_and_is_done(erased):
    lake, customer = erased["lake"], erased["customer"]
    subject = pseudonym(customer["email"], AUDIT_KEY.encode())
    requests = [r for r in lake.read(REQUESTS).collect() if r.subject_hash == subject]
    assert [r.status for r in requests] == [DONE]
    request = requests[0]
    assert list(request.pseudonym_hashes) == [pseudonym(customer["pseudonym"], AUDIT_KEY.encode())]
    assert {s.table: s.rows_found for s in request.tables if s.rows_found} == erased["before"]["rows"]
    assert all(s.done for s in request.tables)


def test_the_erasure_list_holds_the_audit_key_hashes_of_the_id_and_the_email(erased):
    listed = {(r.subject_hash, r.kind) for r in erased["lake"].read(ERASURE_LIST).collect()}
    key = AUDIT_KEY.encode()
    assert listed == {(pseudonym(erased["customer"]["id"], key), "customer_id"),
                      (pseudonym(erased["customer"]["email"], key), "email")}


def test_other_customers_are_left_alone(erased):
    lake, before = erased["lake"], erased["before"]
    assert lake.read("silver.orders").count() == before["silver_orders"] - before["rows"]["silver.orders"]
    assert lake.read("silver.customers").count() == before["customers"] - 1


def test_erasing_again_is_refused_with_exit_code_1_and_changes_nothing(spark, erased):
    lake, settings, customer = erased["lake"], erased["settings"], erased["customer"]
    before = versions(lake)
    with pytest.raises(SystemExit) as exited:
        run_job_main(spark, settings, "erase_customer", "--customer", customer["id"])
    assert exited.value.code == 1
    with pytest.raises(NothingToErase, match=r"has that customer id \(erasure .* erased them\)"):
        erase_customer(lake, settings, KEY.encode(), AUDIT_KEY.encode(), customer_id=customer["id"])
    assert versions(lake) == before


def test_an_unknown_customer_is_listed_only_when_allowed(spark, erased):
    lake, settings = erased["lake"], erased["settings"]
    with pytest.raises(NothingToErase, match="has that email"):
        erase_customer(lake, settings, KEY.encode(), AUDIT_KEY.encode(), email="nobody@nowhere.example")
    listed = lake.read(ERASURE_LIST).count()
    result = erase_customer(lake, settings, KEY.encode(), AUDIT_KEY.encode(), email="Nobody@nowhere.example",
                            allow_unknown=True)
    assert result.rows_deleted == 0 and result.identifiers == 1
    assert lake.read(ERASURE_LIST).count() == listed + 1
    assert pseudonym("nobody@nowhere.example", AUDIT_KEY.encode()) in {r.subject_hash for r in lake.read(ERASURE_LIST).collect()}
    assert {r.status for r in lake.read(REQUESTS).collect() if r.erasure_id == result.erasure_id} == {DONE}


@pytest.mark.parametrize("request_args, message", [
    ({}, "exactly one customer"),
    ({"customer_id": "u1", "email": "a@b.example"}, "not both"),
    ({"customer_id": "  "}, "empty value"),
    ({"email": "not-an-address"}, "has no '@'"),
])
def test_a_malformed_request_is_refused_before_anything_is_touched(erased, request_args, message):
    lake = erased["lake"]
    versions = {t: lake.version(t) for t in ("bronze.orders", ERASURES)}
    with pytest.raises(ErasureRequestError, match=message):
        erase_customer(lake, erased["settings"], KEY.encode(), AUDIT_KEY.encode(), **request_args)
    assert {t: lake.version(t) for t in versions} == versions


def test_reingesting_old_input_files_does_not_bring_the_customer_back(spark, erased):
    lake, settings, customer = erased["lake"], erased["settings"], erased["customer"]
    replay = erased["root"] / "replayed-inputs"
    copied = 0
    for source in ("orders", "clickstream", "reviews"):
        files = sorted(p for p in Path(erased["inputs"], source).rglob("*.json") if f'"{customer["id"]}"' in p.read_text())
        for path in files[:2]:
            # renamed: files are known by their path under the inputs folder and their content
            target = replay / path.relative_to(erased["inputs"]).with_name(f"replayed-{path.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            copied += 1
    assert copied >= 4
    bronze_before = {t: lake.read(t).count() for t in ("bronze.orders", "bronze.clickstream")}
    replay_settings = replace(settings, paths=replace(settings.paths, inputs=str(replay)))
    for load in (ingest_clickstream, ingest_orders, ingest_catalog):
        load(lake, replay_settings, KEY.encode(), audit_key=AUDIT_KEY.encode())
    assert all(lake.read(t).count() > n for t, n in bronze_before.items())  # the replay did land
    held = counts([holding(lake.read(t), t, erased["customer"]).select(F.lit(t).alias("label"))
                   for t in lake_tables(lake, ["bronze", "silver"])])
    assert held == {}


def request_commits(lake_root: Path) -> int:
    return len(list((lake_root / "ops" / "erasure_requests" / "_delta_log").glob("[0-9]*.json")))


def request_done(lake) -> bool:
    return lake.exists(REQUESTS) and {r.status for r in lake.read(REQUESTS).collect()} == {DONE}


@pytest.fixture(scope="module")
def killed_at_every_boundary(spark, demo_shop, tmp_path_factory):
    """Another copy of the demo lake, erased by the job in its own process; each run is killed with SIGKILL
    as soon as it records one more step of the request (a table done), and run again, until the request is done."""
    root = tmp_path_factory.mktemp("erasure-killed")
    lake, settings = copied_lake(spark, demo_shop, root)
    customer = pick_customer(lake, rank=1)
    before = rows_per_table(lake, customer)
    env = dict(os.environ, SHOPLAKE_PYTHON=sys.executable, SHOPLAKE__LAKE__ROOT=settings.lake.root,
               SHOPLAKE_PSEUDONYM_KEY=KEY, SHOPLAKE_AUDIT_KEY=AUDIT_KEY)
    command = [sys.executable, "-m", "shoplake.cli", "run", "erase_customer", "--env", "test", "--email", customer["email"]]
    lake_root, kills, log = Path(settings.lake.root), 0, root / "erase.log"
    while not request_done(lake):
        assert kills <= 60, "the erasure made no progress between kills"
        seen = request_commits(lake_root)
        job = subprocess.Popen(command, cwd=root, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                               start_new_session=True)
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while job.poll() is None and request_commits(lake_root) == seen and time.monotonic() < deadline:
            time.sleep(0.05)
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            kills += 1
        assert job.wait() in (0, -signal.SIGKILL), log.read_text()[-3000:]
    return {"lake": lake, "customer": customer, "before": before, "kills": kills}


def test_an_erasure_killed_at_every_table_boundary_finishes_with_no_row_left(killed_at_every_boundary):
    lake, customer, before = (killed_at_every_boundary[k] for k in ("lake", "customer", "before"))
    assert len(before) >= 10
    assert rows_per_table(lake, customer) == {}
    requests = lake.read(REQUESTS).collect()
    assert len(requests) == 1 and requests[0].status == DONE
    # killed once after the request was recorded and once after each table (the last kill may come after done)
    assert killed_at_every_boundary["kills"] >= len(requests[0].tables)


def test_the_killed_erasure_is_audited_once_with_every_row(killed_at_every_boundary):
    lake, before = killed_at_every_boundary["lake"], killed_at_every_boundary["before"]
    audit = audit_rows(lake)
    assert len({r.erasure_id for r in audit}) == 1
    assert len(audit) == len({r.table for r in audit})  # one row per table: finished once, audited once
    assert {r.table: r.rows_deleted for r in audit if r.rows_deleted} == before
