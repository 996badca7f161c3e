"""The lake on object storage: ``s3a://`` roots on a local S3 API (moto's server), for both backends.

Spark reaches the bucket through hadoop-aws; the delta-rs backend's pyarrow, delta-rs and boto3
take the same settings from the session's Hadoop configuration. Commits are put-if-absent
(S3's conditional PUT for delta-rs), so of writers racing for one version exactly one wins.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
from datetime import date

import pytest
from pyspark.sql.types import LongType, StructField, StructType

from shoplake.ingest.errors import IngestAlreadyRunning
from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.ingest.lock import ingest_lock
from shoplake.lake import VersionNotFound, open_lake
from shoplake.lake.deltars import backend as deltars_backend
from shoplake.lake.deltars.commit import Change, commit, create
from shoplake.lake.deltars.location import TableLocation
from shoplake.lake.deltars.log import VersionTaken, write_commit
from shoplake.lake.deltars.snapshot import load
from shoplake.lake.object_store import S3Settings, Storage, s3_uri
from shoplake.session import delta_jvm_available
from tests.integration.lake_support import BACKENDS, NO_DELTA_JVM, events, rows
from tests.support.s3 import s3_bucket, s3_server, spark_s3  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
D1, D2 = date(2024, 1, 1), date(2024, 1, 2)


def s3_lake_for(spark, settings, bucket: str, backend: str):
    """A lake rooted at ``s3a://<bucket>/lake`` on ``backend``."""
    if backend == "delta-spark" and not delta_jvm_available(spark):
        pytest.skip(reason=NO_DELTA_JVM)
    lake_settings = dataclasses.replace(settings.lake, root=f"s3a://{bucket}/lake", backend=backend)
    return open_lake(spark, dataclasses.replace(settings, lake=lake_settings))


@pytest.fixture(params=BACKENDS)
def s3_lake(request, spark_s3, settings, s3_bucket):  # noqa: F811
    """An empty lake in a fresh bucket, on each backend."""
    return s3_lake_for(spark_s3, settings, s3_bucket, request.param)


def keys_under(s3_server, bucket: str, prefix: str) -> list[str]:  # noqa: F811
    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"].removeprefix(prefix) for o in listed)


# -- one set of settings for every client -------------------------------------------------------

def test_s3_settings_come_from_hadoop_per_bucket_then_from_the_environment():
    hadoop = {"fs.s3a.endpoint": "minio.internal:9000", "fs.s3a.connection.ssl.enabled": "false",
              "fs.s3a.path.style.access": "true", "fs.s3a.access.key": "key", "fs.s3a.secret.key": "secret",
              "fs.s3a.bucket.other.endpoint": "https://other.internal", "fs.s3a.bucket.other.path.style.access": "false"}
    environ = {"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "https://ignored.internal"}
    lake = S3Settings.from_hadoop(hadoop.get, "lake", environ)
    assert lake == S3Settings("http://minio.internal:9000", "eu-west-1", True, "key", "secret", None)
    assert "secret" not in repr(lake)
    assert lake.delta_options("lake") == {
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false", "AWS_ENDPOINT_URL": "http://minio.internal:9000",
        "AWS_ALLOW_HTTP": "true", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret"}
    other = S3Settings.from_hadoop(hadoop.get, "other", environ)
    assert (other.endpoint, other.path_style) == ("https://other.internal", False)
    assert other.delta_options("other")["AWS_ENDPOINT_URL"] == "https://other.other.internal"  # virtual-hosted
    from_environment = S3Settings.from_hadoop({}.get, "lake", environ)
    assert from_environment == S3Settings("https://ignored.internal", "eu-west-1", False)
    assert s3_uri("s3a://lake/prod/silver/orders") == "s3://lake/prod/silver/orders"


def test_a_storage_takes_its_settings_from_the_sessions_hadoop_configuration(spark_s3, s3_server):  # noqa: F811
    storage = Storage.of(spark_s3, "s3a://some-bucket/lake")
    assert storage.s3.endpoint == s3_server.endpoint
    assert storage.s3.path_style
    assert Storage.of(spark_s3, "/tmp/lake").s3 is None


# -- commits: exactly one writer per version ----------------------------------------------------

def test_racing_commits_of_one_version_on_s3_have_exactly_one_winner(spark_s3, s3_bucket, s3_server):  # noqa: F811
    where = TableLocation(f"s3a://{s3_bucket}/lake/silver/race", Storage.of(spark_s3, f"s3a://{s3_bucket}/lake"))
    for version in range(4):
        start = threading.Barrier(2)
        outcome = {}

        def writer(name):
            start.wait(timeout=30)
            try:
                write_commit(where, version, [{"commitInfo": {"writer": name}}])
                outcome[name] = "committed"
            except VersionTaken:
                outcome[name] = "taken"

        threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcome.values()) == ["committed", "taken"], outcome
        winner = next(name for name, result in outcome.items() if result == "committed")
        body = s3_server.client().get_object(Bucket=s3_bucket, Key=f"lake/silver/race/_delta_log/{version:020d}.json")["Body"]
        assert json.loads(body.read()) == {"commitInfo": {"writer": winner}}


def test_commits_on_s3_are_checkpointed_by_delta_rs(spark_s3, s3_bucket, s3_server):  # noqa: F811
    where = TableLocation(f"s3a://{s3_bucket}/lake/ops/counts", Storage.of(spark_s3, f"s3a://{s3_bucket}/lake"))
    schema = StructType([StructField("id", LongType())])
    assert create(where, schema, [], {}) == 0
    for version in range(1, 11):
        assert commit(where, load(where), Change("WRITE", [], blind_append=True), schema, []) == version
    log = keys_under(s3_server, s3_bucket, "lake/ops/counts/_delta_log/")
    assert "00000000000000000010.checkpoint.parquet" in log and "_last_checkpoint" in log
    assert load(where).version == 10


def test_racing_appends_on_s3_both_commit_on_consecutive_versions(s3_lake, spark_s3, monkeypatch, caplog):
    lake = s3_lake
    assert lake.append(events(spark_s3, [0]), "silver.race") == 0
    if lake.backend == "delta-rs":  # hold both writers until each has written its files: same read version, same next version
        at_commit = threading.Barrier(2)
        original = deltars_backend.commit

        def together(*args, **kwargs):
            at_commit.wait(timeout=120)
            return original(*args, **kwargs)

        monkeypatch.setattr(deltars_backend, "commit", together)
    versions, errors = [], []

    def append(ids):
        try:
            versions.append(lake.append(events(spark_s3, ids), "silver.race"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with caplog.at_level(logging.INFO, logger="shoplake.lake.deltars.commit"):
        threads = [threading.Thread(target=append, args=(ids,)) for ids in ([1, 2, 3], [4, 5])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert errors == []
    assert rows(lake.read("silver.race"), "id") == [(i,) for i in range(6)]  # no row lost, none doubled
    assert [(c.version, c.operation) for c in lake.history("silver.race")] == [(2, "WRITE"), (1, "WRITE"), (0, "WRITE")]
    if lake.backend == "delta-rs":
        assert sorted(versions) == [1, 2]  # each append reports the version it committed
        taken = [r for r in caplog.records if "was taken by another writer" in r.getMessage()]
        assert len(taken) == 1  # the loser's conditional PUT was refused once, then it committed the next version
    else:  # delta-spark reports the table's version after its write, which the other writer may have moved on
        assert set(versions) <= {1, 2} and 2 in versions


# -- the lake API ---------------------------------------------------------------------------------

def test_append_merge_delete_time_travel_and_vacuum_on_s3(s3_lake, spark_s3, s3_server, s3_bucket):  # noqa: F811
    lake = s3_lake
    assert lake.root == f"s3a://{s3_bucket}/lake"
    orders = "id long, user string, day date, amount double"
    assert lake.append(events(spark_s3, [1, 2, 3], day=D1), "silver.orders", partition_by=["day"]) == 0
    assert lake.append(events(spark_s3, [4], day=D2), "silver.orders") == 1
    changes = spark_s3.createDataFrame([(2, "u2", D1, 20.0), (5, "u5", D2, 5.0)], orders)
    assert lake.merge(changes, "silver.orders", keys=["id"]) == 2
    assert lake.delete("silver.orders", "id = 1") == 3

    assert rows(lake.read("silver.orders"), "id", "amount") == [(2, 20.0), (3, 1.0), (4, 1.0), (5, 5.0)]
    assert rows(lake.read("silver.orders", version=0), "id") == [(1,), (2,), (3,)]
    assert rows(lake.read("silver.orders", version=2), "id", "amount") == [(1, 1.0), (2, 20.0), (3, 1.0), (4, 1.0), (5, 5.0)]
    assert rows(lake.read("silver.orders", partitions={"day": D2}), "id") == [(4,), (5,)]
    with pytest.raises(VersionNotFound):
        lake.read("silver.orders", version=9)
    operations = [c.operation for c in lake.history("silver.orders")]
    assert operations[:3] == ["DELETE", "MERGE", "WRITE"]

    log = keys_under(s3_server, s3_bucket, "lake/silver/orders/_delta_log/")
    assert [f"{v:020d}.json" for v in range(4)] == [k for k in log if k.endswith(".json")][:4]
    assert any(k.startswith("day=2024-01-02/") for k in keys_under(s3_server, s3_bucket, "lake/silver/orders/"))

    lake.overwrite(events(spark_s3, [7], day=D1), "silver.orders")
    deleted = lake.vacuum("silver.orders", 0, enforce_retention=False)
    assert deleted and all(d.endswith(".parquet") for d in deleted)
    assert rows(lake.read("silver.orders"), "id") == [(7,)]
    remaining = keys_under(s3_server, s3_bucket, "lake/silver/orders/")
    assert not any(remaining_key.endswith(d) for d in deleted for remaining_key in remaining)


# -- the ingest jobs' ledger and lock -------------------------------------------------------------

def test_the_ingest_lock_on_s3_is_taken_by_exactly_one(spark_s3, s3_bucket):  # noqa: F811
    folder = HadoopFolder(spark_s3, f"s3a://{s3_bucket}/lake/_checkpoints/job")
    start, created = threading.Barrier(3), []

    def create(data):
        start.wait(timeout=30)
        created.append(folder.create_exclusive("claim", data))

    threads = [threading.Thread(target=create, args=(f"{i}".encode(),)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(created) == [False, False, True]

    with ingest_lock(folder, "job"):
        assert folder.exists("ingest.lock")
        with pytest.raises(IngestAlreadyRunning, match="another ingest of this source is running"):
            with ingest_lock(folder, "job"):
                pass
    assert not folder.exists("ingest.lock")
    folder.write_bytes("plans/0.json", b"{}")
    folder.write_bytes("plans/0.json", b'{"batch_id": 0}')  # replaced whole
    assert folder.names("plans") == ["0.json"]
    assert folder.read_bytes("plans/0.json") == b'{"batch_id": 0}'


# -- the whole ingest on both backends ------------------------------------------------------------

@pytest.fixture(scope="module")
def small_shop(spark, settings, tmp_path_factory):
    """A small generated shop's input files, on the local disk."""
    from shoplake.datasets.generator import generate, make_config

    root = tmp_path_factory.mktemp("s3-shop")
    config = make_config("small", users=200, days=20, seed=11, start_date=date(2024, 1, 1))
    generate(spark, config, str(root / "inputs"), str(root / "truth"), settings.paths.cache)
    return root / "inputs"


def test_ingest_to_gold_on_s3_gives_the_same_tables_with_both_backends(spark_s3, settings, small_shop, s3_server):  # noqa: F811
    from shoplake.ingest.load_catalog import ingest_catalog
    from shoplake.ingest.load_clickstream import JOB, ingest_clickstream
    from shoplake.gold.build import GOLD_TABLES, build_gold
    from shoplake.ingest.load_orders import ingest_orders

    key, audit_key = b"s3-shop-pseudonym-key", b"s3-shop-audit-key"  # a lake off the local disk keeps no key files
    tables = ("silver.events", "silver.sessions", "silver.orders", "silver.order_lines", "silver.products", *GOLD_TABLES)
    counts = {}
    for backend in BACKENDS:
        bucket = s3_server.new_bucket()
        cfg = dataclasses.replace(settings, paths=dataclasses.replace(settings.paths, inputs=str(small_shop)))
        lake = s3_lake_for(spark_s3, cfg, bucket, backend)
        cfg = dataclasses.replace(cfg, lake=dataclasses.replace(cfg.lake, root=lake.root, backend=backend))
        for load in (ingest_clickstream, ingest_orders, ingest_catalog):
            load(lake, cfg, key, audit_key=audit_key)
        build_gold(lake, cfg)
        counts[backend] = {t: lake.read(t).count() for t in tables}
        assert all(counts[backend].values()), counts[backend]
        ledger = keys_under(s3_server, bucket, f"lake/_checkpoints/{JOB}/")
        assert "done/0.json" in ledger and "ingest.lock" not in ledger
        assert ingest_clickstream(lake, cfg, key, audit_key=audit_key)["batches"] == 0  # the ledger knows every file
    assert counts["delta-rs"] == counts["delta-spark"]
    # and the delta-rs backend reads what delta-spark wrote to S3
    rs = open_lake(spark_s3, dataclasses.replace(cfg, lake=dataclasses.replace(cfg.lake, backend="delta-rs")))
    assert {t: rs.read(t).count() for t in GOLD_TABLES} == {t: counts["delta-spark"][t] for t in GOLD_TABLES}
