"""A lake table read without Spark: the Delta log (delta-rs) names the files, pyarrow reads them.

``deltalake``'s own ``DeltaTable(path).to_pyarrow_table()`` / ``.to_pandas()`` cannot read a
partitioned table with the pinned pyarrow (< 15, for petastorm): ``deltalake`` 1.x builds each
file's partition expression with ``pyarrow.field(<arro3 DataType>)``, a one-argument call through
the Arrow PyCapsule interface that ``pyarrow.field`` accepts only from pyarrow 16 on; pyarrow 14
raises ``TypeError: field() takes at least 2 positional arguments (1 given)``. Here the same
dataset is built with pyarrow 14's own API: one Parquet fragment per active file of the version,
its partition values (typed by delta-rs from the log) as the fragment's partition expression, so
pyarrow fills in the partition columns, which Delta does not store in the files.

Tables written by either backend read the same; tables whose data needs more than a plain Parquet
reader (deletion vectors, column mapping) are refused with a :class:`LakeError`.
"""
from __future__ import annotations

from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from shoplake.lake.deltars.location import TableLocation
from shoplake.lake.deltars.snapshot import Snapshot, load
from shoplake.lake.errors import LakeError, TableNotFound
from shoplake.lake.names import TableName, lake_root, table_path

_COLUMN_MAPPING = "delta.columnMapping.mode"


def read_table_arrow(root: str, name: str, version: int | None = None) -> pa.Table:
    """Table ``name`` (``layer.name``) of the lake at ``root`` as a pyarrow Table: latest, or at ``version``.

    Raises :class:`TableNotFound` when there is no table, :class:`VersionNotFound` for a version
    the log does not hold.
    """
    where = TableLocation(table_path(lake_root(root), TableName.parse(name)))
    snapshot = load(where, version)
    if snapshot is None:
        raise TableNotFound(f"{name}: no Delta table at {where}")
    if (snapshot.properties.get(_COLUMN_MAPPING) or "none") != "none":
        raise LakeError(f"{name}: tables with column mapping are read with Spark (lake.read)")
    schema = pa.schema(snapshot.table.schema().to_arrow())
    filesystem, base = where.filesystem()
    parquet = ds.ParquetFileFormat()
    fragments = [parquet.make_fragment(f"{base}/{path}", filesystem=filesystem, partition_expression=expression)
                 for path, expression in _files(snapshot, schema)]
    return ds.FileSystemDataset(fragments, schema, parquet, filesystem).to_table()


def read_table_pandas(root: str, name: str, version: int | None = None):
    """Table ``name`` of the lake at ``root`` as a pandas DataFrame (see :func:`read_table_arrow`)."""
    return read_table_arrow(root, name, version).to_pandas()


def _files(snapshot: Snapshot, schema: pa.Schema) -> list[tuple[str, ds.Expression | None]]:
    """Each active file's path (relative to the table root) and the expression its partition values satisfy."""
    actions = pa.table(snapshot.table.get_add_actions(flatten=True))
    paths = [unquote(p) for p in actions.column("path").to_pylist()]
    values = {c: actions.column(f"partition.{c}") for c in snapshot.partition_columns}
    return [(path, _partition_expression({c: column[i] for c, column in values.items()}, schema))
            for i, path in enumerate(paths)]


def _partition_expression(values: dict[str, pa.Scalar], schema: pa.Schema) -> ds.Expression | None:
    """``c1 == v1 and c2 is null ...`` for one file's partition values; None for an unpartitioned table."""
    expression = None
    for column, value in values.items():
        field = pc.field(column)
        term = field == value.cast(schema.field(column).type) if value.is_valid else field.is_null()
        expression = term if expression is None else expression & term
    return expression
