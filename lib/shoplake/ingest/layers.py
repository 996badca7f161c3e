"""The bronze and quarantine steps every source shares, exactly once per micro-batch.

A source's micro-batch of raw lines lands in ``bronze.<source>`` as received (less the lines of
customers on the erasure list, so replayed old files do not bring them back); its parsed
records that break the contract land in ``bronze.quarantine`` with the reason, and so do the
records that could not be read as text (``invalid_encoding`` lines, ``unreadable_file`` files),
whose ``raw`` is then their bytes as base64. Both writes carry ``(app_id, batch_id)`` so a
replayed batch is a no-op. Every record read is counted once: bronze, unreadable, or erased; and
every record parsed or unreadable once more: landed, or quarantined with its reason. A batch with
too large a quarantined share is refused before either write (:mod:`shoplake.ingest.quarantine`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import BRONZE_QUARANTINE, OPS_ERASURE_LIST, bronze_table
from shoplake.config import Settings
from shoplake.config.settings import IngestSettings
from shoplake.ingest.parse import REASON, Rule, parse_records
from shoplake.ingest.quarantine import check_share, count_outcomes
from shoplake.ingest.read_files import RAW
from shoplake.ingest.read_files import REASON as INPUT_REASON
from shoplake.lake import Lake
from shoplake.lake.merge_source import persisted
from shoplake.log import get_logger
from shoplake.privacy.erasure_list import without_erased
from shoplake.schemas import Contract
from shoplake.schemas.mapping import MAPPED, map_records

log = get_logger(__name__)


@dataclass(frozen=True)
class LineCounts:
    """Where a batch's records went: ``read == bronze + unreadable + erased``.

    ``unreadable`` counts the records quarantined as bytes (lines that are not UTF-8, whole
    files that are not text); ``erased`` the lines of customers on the erasure list, left out.
    Of the records parsed from bronze and the unreadable ones, ``landed`` met the contract (silver's
    input) and ``quarantined`` maps each quarantine reason to its records.
    """

    read: int = 0
    bronze: int = 0
    unreadable: int = 0
    erased: int = 0
    landed: int = 0
    quarantined: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: LineCounts) -> LineCounts:
        return LineCounts(self.read + other.read, self.bronze + other.bronze, self.unreadable + other.unreadable,
                          self.erased + other.erased, self.landed + other.landed,
                          dict(Counter(self.quarantined) + Counter(other.quarantined)))


@dataclass(frozen=True)
class LandedBatch:
    """A landed batch: its valid records (for silver) and where its records went."""

    records: DataFrame
    counts: LineCounts


@dataclass(frozen=True)
class BatchWriter:
    """Writes of one source's micro-batch, tagged with the job's application id."""

    lake: Lake
    job: str

    def append(self, df: DataFrame, table: str, batch_id: int, partition_by: Sequence[str] = ()) -> int:
        """Append exactly once for this job and batch."""
        return self.lake.append(df, table, partition_by=partition_by, txn_app_id=f"{self.job}:{table}",
                                txn_version=batch_id)

    def merge(self, df: DataFrame, table: str, batch_id: int, keys: Sequence[str], **options) -> int:
        """Merge exactly once for this job and batch."""
        return self.lake.merge(df, table, keys, txn_app_id=f"{self.job}:{table}", txn_version=batch_id, **options)


def derive(lake: Lake, source: str, target: str, transform, **write_options) -> int:
    """Replace ``target`` with ``transform(source)``, once per version of ``source``.

    The write is tagged with the source version it was computed from, so a re-run on an
    unchanged source is a no-op (the target keeps its version) and a run that crashed between
    updating the source and rebuilding the target rebuilds it next time.
    """
    version = lake.version(source)
    return lake.overwrite(transform(lake.read(source, version=version)), target,
                          txn_app_id=f"derive:{target}<-{source}", txn_version=version, **write_options)


def to_bronze(lines: DataFrame, batch_id: int, ingested_at: datetime | None = None) -> DataFrame:
    """Raw lines as received, with where and when (``ingested_at``, by default now) they came in."""
    return lines.select(
        "value", "_source_file", _ingested_at(ingested_at), F.lit(batch_id).cast("long").alias("_batch_id")
    )


def _ingested_at(moment: datetime | None) -> Column:
    return (F.lit(moment) if moment else F.current_timestamp()).cast("timestamp").alias("_ingested_at")


def parse_batch(bronze: DataFrame, contract: Contract, rules: Sequence[Rule], ingest: IngestSettings) -> DataFrame:
    """Bronze rows mapped onto ``contract`` by the config's mapping of that source, then parsed against it."""
    mapped = map_records(bronze, ingest.mapping(contract.name), contract)
    return parse_records(mapped, contract, rules, value_column=MAPPED, ingest=ingest)


def quarantined(parsed: DataFrame, source: str) -> DataFrame:
    """The parsed rows that broke the contract, as quarantine records (raw text, file, reason)."""
    return parsed.filter(F.col(REASON).isNotNull()).select(
        F.lit(source).alias("source"), F.col("value").alias("raw"), "_source_file", F.col(REASON).alias("reason"),
        "_ingested_at", "_batch_id",
    )


def valid(parsed: DataFrame, contract: Contract) -> DataFrame:
    """The parsed rows that met the contract: the contract's columns plus the bronze metadata."""
    return parsed.filter(F.col(REASON).isNull()).select(
        *contract.schema.fieldNames(), "_source_file", "_ingested_at", "_batch_id"
    )


def unreadable_records(kept: DataFrame, source: str, batch_id: int, ingested_at: datetime | None = None) -> DataFrame:
    """Records that could not be read as text, as quarantine records: ``raw`` is their bytes as base64."""
    return kept.filter(F.col(INPUT_REASON).isNotNull()).select(
        F.lit(source).alias("source"), F.col(RAW).alias("raw"), "_source_file", F.col(INPUT_REASON).alias("reason"),
        _ingested_at(ingested_at), F.lit(batch_id).cast("long").alias("_batch_id"),
    )


def line_counts(lines: DataFrame, kept: DataFrame) -> LineCounts:
    """How many of ``lines`` were read, and of those ``kept`` (not erased) how many reach bronze or not."""
    totals = kept.agg(F.count("*").alias("kept"), F.count_if(F.col(INPUT_REASON).isNull()).alias("text")).first()
    read = totals.kept if kept is lines else lines.count()
    return LineCounts(read=read, bronze=totals.text, unreadable=totals.kept - totals.text, erased=read - totals.kept)


def erasure_key(lake: Lake, audit_key: bytes | None) -> bytes | None:
    """The audit key that input lines are matched with against ``ops.erasure_list``; None while nobody was erased.

    Once the list exists, ingest without the audit key would let erased customers back in, so that is refused.
    """
    if audit_key is None and lake.exists(OPS_ERASURE_LIST):
        raise ValueError(f"{OPS_ERASURE_LIST} exists: ingest needs the audit key to keep erased customers out")
    return audit_key if lake.exists(OPS_ERASURE_LIST) else None


def stored_batch(lake: Lake, table: str, batch_id: int) -> DataFrame | None:
    """The rows ``table`` already holds for ``batch_id`` (a replay of a batch whose commit there went through)."""
    if not lake.exists(table):
        return None
    rows = lake.read(table).filter(F.col("_batch_id") == batch_id)
    return None if rows.isEmpty() else rows


@contextmanager
def land_batch(writer: BatchWriter, lines: DataFrame, batch_id: int, contract: Contract, rules: Sequence[Rule],
               settings: Settings, audit_key: bytes | None = None,
               accept_quarantine: bool = False) -> Iterator[LandedBatch]:
    """Write a batch to bronze and its bad records to quarantine; yield its valid records and counts.

    ``lines`` are a batch's records as :func:`shoplake.ingest.read_files.file_records` gives them
    (best cached: they are read more than once). Lines of customers on the erasure list (matched by
    their hashes under the audit key, see :func:`erasure_key`) are left out and counted. The batch
    is parsed before anything is written: a quarantined share over ``ingest.max_quarantine_share``
    raises :class:`~shoplake.ingest.errors.QuarantineTooHigh` (unless ``accept_quarantine``), and a
    re-run after a fix of the files or the mapping parses them anew. A replay of a batch whose bronze
    commit went through parses what bronze holds for it, so what reaches silver is exactly what
    bronze holds. The yielded records stay cached while the block runs (the caller's silver write)
    and are released after it, so a long-running stream does not pile up cached batches.
    """
    table = bronze_table(contract.name)
    key = erasure_key(writer.lake, audit_key)
    now = datetime.now(timezone.utc)
    with persisted(without_erased(writer.lake, lines, contract, settings, key) if key else lines) as kept:
        counts = line_counts(lines, kept)
        if counts.erased:
            log.info("%s batch %d: %d line(s) of customers on the erasure list left out", contract.name, batch_id,
                     counts.erased)
        received = stored_batch(writer.lake, table, batch_id)
        if received is None:
            received = to_bronze(kept.filter(F.col(INPUT_REASON).isNull()), batch_id, now)
        with persisted(parse_batch(received, contract, rules, settings.ingest)) as parsed:
            unreadable = unreadable_records(kept, contract.name, batch_id, now)
            found = count_outcomes(parsed, unreadable)
            check_share(contract.name, batch_id, found, settings.ingest.max_quarantine_share, accept_quarantine)
            writer.append(received, table, batch_id)
            writer.append(quarantined(parsed, contract.name).unionByName(unreadable), BRONZE_QUARANTINE, batch_id)
            yield LandedBatch(valid(parsed, contract), replace(counts, landed=found.landed,
                                                               quarantined=found.by_reason()))
