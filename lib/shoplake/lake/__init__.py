"""The lake: Delta tables named ``layer.name``, one API (:class:`Lake`) over two Delta engines.

``open_lake(spark, settings)`` returns the delta-spark backend when the Delta JVM classes are on
the classpath, else the embedded delta-rs backend (Spark writes and reads the data files,
delta-rs owns the transaction log). ``read_table_pandas(root, name)`` reads a table without Spark.
"""

from shoplake.lake.api import Lake
from shoplake.lake.arrow_read import read_table_arrow, read_table_pandas
from shoplake.lake.backends import open_lake
from shoplake.lake.errors import (
    ConcurrentWriteConflict,
    InvalidTableName,
    LakeError,
    NotADeltaTable,
    SchemaMismatch,
    TableExists,
    TableNotFound,
    VersionNotFound,
)
from shoplake.lake.model import Commit
from shoplake.lake.names import LAYERS, TableName

__all__ = [
    "LAYERS",
    "Commit",
    "ConcurrentWriteConflict",
    "InvalidTableName",
    "Lake",
    "LakeError",
    "NotADeltaTable",
    "SchemaMismatch",
    "TableExists",
    "TableName",
    "TableNotFound",
    "VersionNotFound",
    "open_lake",
    "read_table_arrow",
    "read_table_pandas",
]
