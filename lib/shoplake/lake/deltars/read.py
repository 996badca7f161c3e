"""Read a snapshot's data files with Spark; the file list always comes from the Delta log.

Files in Hive-style partition directories that spell their logged partition values (what this
backend and delta-spark write) are read in one scan, with Spark deriving the partition columns
from the paths and typing them by the table schema. Files laid out otherwise are read per
partition with the logged values as literals.
"""
from __future__ import annotations

import re
from functools import reduce
from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.snapshot import DataFile, Snapshot

FILE_COLUMN = "_shoplake_file"


def read_files(spark: SparkSession, snapshot: Snapshot, files: list[DataFile], with_file: bool = False) -> DataFrame:
    """The rows of ``files`` (of ``snapshot``) in table column order; ``with_file`` adds :data:`FILE_COLUMN`."""
    schema = snapshot.schema
    extra = [F.col("_metadata.file_path").alias(FILE_COLUMN)] if with_file else []
    if not files:
        empty = spark.createDataFrame([], schema)
        return empty.withColumn(FILE_COLUMN, F.lit(None).cast("string")) if with_file else empty
    columns = snapshot.partition_columns
    in_place, elsewhere = [], {}
    for file in files:
        if not columns or file.path.startswith(partitions.directory(columns, file.partition) + "/"):
            in_place.append(file)
        else:
            elsewhere.setdefault(tuple(file.partition.items()), []).append(file)
    scans = []
    if in_place:
        reader = spark.read.schema(schema).option("basePath", snapshot.uri) if columns else spark.read.schema(schema)
        scans.append(reader.parquet(*[snapshot.location(f) for f in in_place]).select(*schema.names, *extra))
    data_schema = StructType([f for f in schema if f.name not in columns])
    for values, group in elsewhere.items():
        literal = {c: F.lit(v).cast(schema[c].dataType).alias(c) for c, v in values}
        scan = spark.read.schema(data_schema).parquet(*[snapshot.location(f) for f in group])
        scans.append(scan.select(*[literal.get(c, F.col(c)) for c in schema.names], *extra))
    return reduce(DataFrame.unionByName, scans)


def files_at(snapshot: Snapshot, files: list[DataFile], spark_paths: list[str]) -> list[DataFile]:
    """The :class:`DataFile` behind each ``_metadata.file_path`` value Spark reported."""
    by_location = {_local(snapshot.location(f)): f for f in files}
    return [by_location[_local(unquote(p))] for p in spark_paths]


def _local(path: str) -> str:
    return re.sub(r"^file:/+", "/", path)
