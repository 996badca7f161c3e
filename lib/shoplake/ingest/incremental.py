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


def folder_exists(spark: SparkSession, folder: str) -> bool:
    """True when ``folder`` exists on its filesystem (local, HDFS, S3...), asked through Hadoop."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(folder)
    return path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(path)


def new_lines(spark: SparkSession, folder: str, max_batch_mb: float) -> DataFrame:
    """A streaming DataFrame of the text lines of new files under ``folder`` (recursively).

    A backlog is cut into micro-batches of about ``max_batch_mb`` of input (whole files; a bigger
    file makes a batch of its own). Each batch pays for a merge into silver, so a backfill runs
    fastest in few large batches; the batch's cache and shuffles spill to disk, so the bound is
    the local disk of the executors rather than their memory.
    """
    return (
        spark.readStream.format("text")
        .option("recursiveFileLookup", "true")
        .option("maxBytesPerTrigger", max(1, round(max_batch_mb * 1024 * 1024)))
        .load(folder)
        .select("value", F.col("_metadata.file_path").alias("_source_file"))
    )


def process_new_files(
    spark: SparkSession,
    folder: str,
    checkpoint: str,
    process_batch: Callable[[DataFrame, int], None],
    name: str,
    max_batch_mb: float,
    available_now: bool = True,
    interval: str = "30 seconds",
) -> int:
    """Run ``process_batch(batch, batch_id)`` over new files in ``folder``; return the batches run.

    A folder that does not exist yet (no file of that source dropped so far) runs no batch.
    """
    if not folder_exists(spark, folder):
        log.info("%s: %s does not exist yet; nothing to ingest", name, folder)
        return 0
    lines = new_lines(spark, folder, max_batch_mb)
    writer = lines.writeStream.queryName(name).foreachBatch(process_batch).option("checkpointLocation", checkpoint)
    writer = writer.trigger(availableNow=True) if available_now else writer.trigger(processingTime=interval)
    query = writer.start()
    log.info("%s: reading new files in %s (%s)", name, folder, "available now" if available_now else f"every {interval}")
    query.awaitTermination()
    return sum(1 for progress in query.recentProgress if progress.get("numInputRows", 0) > 0)
