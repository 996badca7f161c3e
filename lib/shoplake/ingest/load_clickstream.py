"""Clickstream files → ``bronze.clickstream`` → ``silver.events`` and ``silver.sessions``."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import SILVER_EVENTS, SILVER_SESSIONS
from shoplake.config import Settings
from shoplake.ingest.clickstream import clickstream_rules, first_per_key, sessionize, sessions
from shoplake.ingest.incremental import process_new_files, raise_refused
from shoplake.ingest.layers import BatchWriter, LineCounts, derive, land_batch
from shoplake.ingest.parse import arrival_time
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.pseudonyms import pseudonymize
from shoplake.schemas import CLICKSTREAM

log = get_logger(__name__)
JOB = "ingest_clickstream"


def silver_events(records: DataFrame, key: bytes) -> DataFrame:
    """Valid clickstream records as silver events: one per ``event_id``, pseudonymous, without IPs."""
    unique = first_per_key(records, "event_id", [F.col("_ingested_at"), F.col("_source_file")])
    return unique.withColumn("user_id", pseudonymize(F.col("user_id"), key)).withColumn(
        "event_date", F.to_date("event_time")
    ).drop("ip", "_source_file")


def ingest_clickstream(lake: Lake, settings: Settings, key: bytes, *, available_now: bool = True,
                       interval: str = "30 seconds", audit_key: bytes | None = None,
                       accept_quarantine: bool = False) -> dict:
    """Ingest new clickstream files; then rebuild sessions. Returns figures for the log.

    ``key`` makes the pseudonyms; ``audit_key`` matches lines against the erasure list (by default the lake's).
    A batch with too much of it quarantined is refused (:class:`~shoplake.ingest.errors.QuarantineTooHigh`, after
    the sessions of the batches before it are rebuilt) unless ``accept_quarantine``.
    """
    writer = BatchWriter(lake, JOB)
    rules = clickstream_rules(arrival_time(F.col("_source_file")), settings.ingest.future_tolerance_minutes)

    def process(lines: DataFrame, batch_id: int) -> LineCounts:
        with land_batch(writer, lines, batch_id, CLICKSTREAM, rules, settings, audit_key, accept_quarantine) as landed:
            version = writer.merge(silver_events(landed.records, key), SILVER_EVENTS, batch_id, ["event_id"],
                                   partition_by=["event_date"])
        log.info("%s batch %d: silver.events at version %d", JOB, batch_id, version)
        return landed.counts

    report = process_new_files(lake.spark, f"{settings.paths.inputs}/clickstream", lake.checkpoint_path(JOB), process, JOB,
                               settings.ingest.max_batch_mb, available_now, interval,
                               file_format=settings.ingest.mapping(CLICKSTREAM.name))
    if lake.exists(SILVER_EVENTS):
        rebuild_sessions(lake, settings.ingest.session_gap_minutes)
    raise_refused(report)
    return report.figures() | {"events": lake.read(SILVER_EVENTS).count() if lake.exists(SILVER_EVENTS) else 0}


def rebuild_sessions(lake: Lake, gap_minutes: int) -> int:
    """Recompute ``silver.sessions`` from all events (late events can join or split sessions), once per events version."""
    return derive(lake, SILVER_EVENTS, SILVER_SESSIONS, lambda events: sessions(sessionize(events, gap_minutes)),
                  partition_by=["session_date"])
