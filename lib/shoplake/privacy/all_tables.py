"""Every table a lake holds, found by listing its layers (so new tables are covered without a list to update)."""
from __future__ import annotations

from collections.abc import Sequence

from shoplake.lake import LAYERS, InvalidTableName, Lake, TableName


def lake_tables(lake: Lake, layers: Sequence[str] = LAYERS) -> list[str]:
    """The ``layer.name`` of every Delta table in ``layers``, sorted.

    Lists the layer folders through Hadoop's filesystem API, so local paths, HDFS and S3 roots
    all work; folders that are not valid table names or not Delta tables are left out.
    """
    spark = lake.spark
    conf = spark._jsc.hadoopConfiguration()
    found = []
    for layer in layers:
        folder = spark._jvm.org.apache.hadoop.fs.Path(f"{lake.root}/{layer}")
        filesystem = folder.getFileSystem(conf)
        if not filesystem.exists(folder):
            continue
        for status in filesystem.listStatus(folder):
            if not status.isDirectory():
                continue
            try:
                name = str(TableName.parse(f"{layer}.{status.getPath().getName()}"))
            except InvalidTableName:
                continue
            if lake.exists(name):
                found.append(name)
    return sorted(found)
