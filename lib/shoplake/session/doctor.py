"""Environment check: what Spark, Java and Delta engine a job gets, and whether executors work.

Runs one small distributed computation and records, per partition, which executor
process computed it and where that process imported ``shoplake`` from (the
``--py-files`` archive under spark-submit).
"""
from __future__ import annotations

import os
import platform
import socket

from pyspark.sql import SparkSession

from shoplake.config import Settings
from shoplake.session.factory import delta_backend, delta_engine_version


def _partition_probe(index: int, rows):
    import shoplake  # imported on the executor: proves the library reached it

    values = [row for row in rows]
    yield {
        "partition": index,
        "rows": len(values),
        "sum_of_squares": sum(v * v for v in values),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "shoplake_from": shoplake.__file__,
    }


def environment_report(spark: SparkSession, settings: Settings, rows: int = 100_000, partitions: int = 4) -> dict:
    """Facts about the session plus a checked distributed sum of squares over ``range(rows)``."""
    probes = spark.sparkContext.range(0, rows, numSlices=partitions).mapPartitionsWithIndex(_partition_probe).collect()
    total = sum(p["sum_of_squares"] for p in probes)
    expected = (rows - 1) * rows * (2 * rows - 1) // 6
    jvm = spark._jvm.java.lang.System
    backend = delta_backend(spark, settings.lake.backend)
    return {
        "spark_version": spark.version,
        "master": spark.sparkContext.master,
        "app_id": spark.sparkContext.applicationId,
        "default_parallelism": spark.sparkContext.defaultParallelism,
        "shuffle_partitions": int(spark.conf.get("spark.sql.shuffle.partitions")),
        "delta_backend": backend,
        "delta_version": delta_engine_version(spark, backend),
        "java_version": jvm.getProperty("java.version"),
        "python_version": platform.python_version(),
        "env": settings.env,
        "lake_root": settings.lake.root,
        "driver_pid": os.getpid(),
        "rows": rows,
        "sum_of_squares": total,
        "sum_of_squares_ok": total == expected,
        "partitions": probes,
    }
