"""The bronze and quarantine steps every source shares, exactly once per micro-batch.

A source's micro-batch of raw lines lands in ``bronze.<source>`` as received (less the lines of
customers on the erasure list, so replayed old files do not bring them back); its parsed
records that break the contract land in ``bronze.quarantine`` with the reason. Both writes
carry ``(app_id, batch_id)`` so a replayed batch is a no-op.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.ingest.parse import REASON, Rule, parse_records
from shoplake.lake import Lake
from shoplake.lake.merge_source import persisted
from shoplake.privacy.erasure_list import without_erased
from shoplake.schemas import Contract

QUARANTINE = "bronze.quarantine"


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


def parse_batch(bronze: DataFrame, contract: Contract, rules: Sequence[Rule], settings: Settings) -> DataFrame:
    """Bronze rows parsed against ``contract`` with the config's column mapping for that source."""
    return parse_records(bronze, contract, rules, column_map=settings.ingest.column_map.get(contract.name))


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


@contextmanager
def land_batch(writer: BatchWriter, lines: DataFrame, batch_id: int, contract: Contract, rules: Sequence[Rule],
               settings: Settings, key: bytes) -> Iterator[DataFrame]:
    """Write a batch to bronze and its bad records to quarantine; yield its valid records.

    Lines of customers on the erasure list (matched by their pseudonyms under ``key``) are left out.
    The yielded records are read back from ``bronze.<source>`` by batch id, so what reaches silver
    is exactly what bronze holds, also when this batch is a replay. They stay cached while the
    block runs (the caller's silver write) and are released after it, so a long-running stream
    does not pile up cached batches.
    """
    table = f"bronze.{contract.name}"
    writer.append(to_bronze(without_erased(writer.lake, lines, contract, settings, key), batch_id), table, batch_id)
    bronze = writer.lake.read(table).filter(F.col("_batch_id") == batch_id)
    with persisted(parse_batch(bronze, contract, rules, settings)) as parsed:
        writer.append(quarantined(parsed, contract.name), QUARANTINE, batch_id)
        yield valid(parsed, contract)
