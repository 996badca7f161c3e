"""``shoplake export``: a table's rows as one CSV (with a header) or Parquet file in a folder of its own.

CSV is written as spreadsheets and Python's ``csv`` read it (a quote inside a value is doubled) and
holds only flat values: nested columns (arrays, structs, maps) are written as JSON text and
binary ones as base64. The folder is replaced only when asked (``--overwrite``).
"""
from __future__ import annotations

from pathlib import Path

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BinaryType, MapType, StructField, StructType

from shoplake.explore.errors import ExploreError

FORMATS = ("csv", "parquet")


def output_folder(out: str, overwrite: bool) -> Path:
    """``out`` as an absolute path; an :class:`ExploreError` when it holds anything and ``overwrite`` is off."""
    path = Path(out).expanduser().absolute()
    if not overwrite and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ExploreError(f"{path} is not empty; pass --overwrite to replace it")
    return path


def write_rows(df: DataFrame, fmt: str, path: Path) -> None:
    """Write ``df`` to the folder ``path`` (replacing it) as one ``fmt`` file."""
    if fmt not in FORMATS:
        raise ExploreError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt == "csv":
        df = df.select(*[_flat(field) for field in df.schema])
    options = {"header": "true", "escape": '"'} if fmt == "csv" else {}  # RFC 4180: a quote in a value is ""
    df.coalesce(1).write.mode("overwrite").format(fmt).options(**options).save(path.as_uri())


def _flat(field: StructField) -> Column:
    """The column as CSV can hold it: nested values as JSON text, bytes as base64."""
    column = F.col(f"`{field.name}`")
    if isinstance(field.dataType, (ArrayType, StructType, MapType)):
        return F.to_json(column).alias(field.name)
    if isinstance(field.dataType, BinaryType):
        return F.base64(column).alias(field.name)
    return column
