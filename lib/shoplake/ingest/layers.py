"""The bronze and quarantine steps every source shares, exactly once per micro-batch.

A source's micro-batch of raw lines lands in ``bronze.<source>`` as received (less the lines of
customers on the erasure list, so replayed old files do not bring them back); its parsed
records that break the contract land in ``bronze.quarantine`` with the reason, and so do the
records that could not be read as text (``invalid_encoding`` lines, ``unreadable_file`` files),
whose ``raw`` is then their bytes as base64. Both writes carry ``(app_id, batch_id)`` so a
replayed batch is a no-op. Every record read is counted once: bronze, unreadable, or erased.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import BRONZE_QUARANTINE, OPS_ERASURE_LIST, bronze_table
from shoplake.config import Settings
from shoplake.config.settings import IngestSettings
from shoplake.ingest.parse import REASON, Rule, parse_records
from shoplake.ingest.read_files import RAW
from shoplake.ingest.read_files import REASON as INPUT_REASON
from shoplake.lake import Lake
from shoplake.lake.merge_source import persisted
from shoplake.log import get_logger
from shoplake.privacy.erasure_list import without_erased
from shoplake.schemas import Contract

log = get_logger(__name__)


@dataclass(frozen=True)
class LineCounts:
    """Where a batch's records went: ``read == bronze + unreadable + erased``.

    ``unreadable`` counts the records quarantined as bytes (lines that are not UTF-8, whole
    files that are not text); ``erased`` the lines of customers on the erasure list, left out.
    """

    read: int = 0
    bronze: int = 0
    unreadable: int = 0
    erased: int = 0

    def __add__(self, other: LineCounts) -> LineCounts:
        return LineCounts(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))


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


def to_bronze(lines: DataFrame, batch_id: int) -> DataFrame:
    """Raw lines as received, with where and when they came in."""
    return lines.select(
        "value", "_source_file", F.current_timestamp().alias("_ingested_at"), F.lit(batch_id).cast("long").alias("_batch_id")
    )


def parse_batch(bronze: DataFrame, contract: Contract, rules: Sequence[Rule], ingest: IngestSettings) -> DataFrame:
    """Bronze rows parsed against ``contract`` with the config's column mapping for that source."""
    return parse_records(bronze, contract, rules, column_map=ingest.column_map.get(contract.name), ingest=ingest)


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


def unreadable_records(kept: DataFrame, source: str, batch_id: int) -> DataFrame:
    """Records that could not be read as text, as quarantine records: ``raw`` is their bytes as base64."""
    return kept.filter(F.col(INPUT_REASON).isNotNull()).select(
        F.lit(source).alias("source"), F.col(RAW).alias("raw"), "_source_file", F.col(INPUT_REASON).alias("reason"),
        F.current_timestamp().alias("_ingested_at"), F.lit(batch_id).cast("long").alias("_batch_id"),
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


@contextmanager
def land_batch(writer: BatchWriter, lines: DataFrame, batch_id: int, contract: Contract, rules: Sequence[Rule],
               settings: Settings, audit_key: bytes | None = None) -> Iterator[LandedBatch]:
    """Write a batch to bronze and its bad records to quarantine; yield its valid records and counts.

    ``lines`` are a batch's records as :func:`shoplake.ingest.read_files.file_records` gives them
    (best cached: they are read more than once). Lines of customers on the erasure list (matched by
    their hashes under the audit key, see :func:`erasure_key`) are left out and counted. The
    yielded records are read back from ``bronze.<source>`` by batch id, so what reaches silver is
    exactly what bronze holds, also when this batch is a replay. They stay cached while the block
    runs (the caller's silver write) and are released after it, so a long-running stream does not
    pile up cached batches.
    """
    table = bronze_table(contract.name)
    key = erasure_key(writer.lake, audit_key)
    with persisted(without_erased(writer.lake, lines, contract, settings, key) if key else lines) as kept:
        counts = line_counts(lines, kept)
        if counts.erased:
            log.info("%s batch %d: %d line(s) of customers on the erasure list left out", contract.name, batch_id,
                     counts.erased)
        writer.append(to_bronze(kept.filter(F.col(INPUT_REASON).isNull()), batch_id), table, batch_id)
        bronze = writer.lake.read(table).filter(F.col("_batch_id") == batch_id)
        with persisted(parse_batch(bronze, contract, rules, settings.ingest)) as parsed:
            rejected = quarantined(parsed, contract.name).unionByName(unreadable_records(kept, contract.name, batch_id))
            writer.append(rejected, BRONZE_QUARANTINE, batch_id)
            yield LandedBatch(valid(parsed, contract), counts)
