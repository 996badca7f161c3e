"""Pick up only input files not ingested before: Spark's streaming file source with a checkpoint.

Each micro-batch gets a ``batch_id`` that Spark replays unchanged after a crash (same files,
same id), so writes tagged with it are exactly-once: the lake skips a batch it already
committed. ``available_now`` processes what is there and stops; otherwise the query runs
until stopped, polling every ``interval``.
"""
from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shoplake.log import get_logger

log = get_logger(__name__)


def new_lines(spark: SparkSession, folder: str, max_files_per_batch: int) -> DataFrame:
    """A streaming DataFrame of the text lines of new files under ``folder`` (recursively)."""
    return (
        spark.readStream.format("text")
        .option("recursiveFileLookup", "true")
        .option("maxFilesPerTrigger", max_files_per_batch)
        .load(folder)
        .select("value", F.col("_metadata.file_path").alias("_source_file"))
    )


def process_new_files(
    lines: DataFrame,
    checkpoint: str,
    process_batch: Callable[[DataFrame, int], None],
    name: str,
    available_now: bool = True,
    interval: str = "30 seconds",
) -> int:
    """Run ``process_batch(batch, batch_id)`` over new files; return the number of batches run."""
    writer = lines.writeStream.queryName(name).foreachBatch(process_batch).option("checkpointLocation", checkpoint)
    writer = writer.trigger(availableNow=True) if available_now else writer.trigger(processingTime=interval)
    query = writer.start()
    log.info("%s: reading new files (%s)", name, "available now" if available_now else f"every {interval}")
    query.awaitTermination()
    batches = sum(1 for progress in query.recentProgress if progress.get("numInputRows", 0) > 0)
    return batches
