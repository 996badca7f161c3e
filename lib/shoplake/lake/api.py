"""The table API every job uses (:class:`Lake`); :mod:`shoplake.lake.backends` holds its Delta backends.

Public methods validate names and arguments and check the data against the table once, here; a
backend implements the underscored hooks. Every write returns the table version it left behind.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from shoplake.lake.errors import LakeError, TableExists, TableNotFound
from shoplake.lake.merge_source import persisted, prepare_source
from shoplake.lake.model import Commit, TableRef, TableState, Txn, WriteMode, WriteRequest
from shoplake.lake.names import TableName, lake_root, table_path
from shoplake.lake.properties import creation_properties
from shoplake.lake.schema import conform, nullable, require_columns

class Lake(ABC):
    """Delta tables named ``layer.name`` under one lake root, read and written with Spark.

    Example::

        lake = open_lake(spark, settings)
        lake.append(events, "bronze.events", partition_by=["event_date"])
        lake.merge(orders, "silver.orders", keys=["order_id"], order_by="updated_at")
        lake.read("silver.orders", version=3)
    """

    backend: ClassVar[str]

    def __init__(self, spark: SparkSession, root: str, vacuum_retention_hours: float, unindexed_columns: Sequence[str] = ()):
        """``unindexed_columns`` (person ids) never get min/max statistics in a table's log (see :mod:`shoplake.lake.properties`)."""
        self.spark = spark
        self.root = lake_root(root)
        self.vacuum_retention_hours = vacuum_retention_hours
        self.unindexed_columns = tuple(unindexed_columns)

    # -- names and metadata -------------------------------------------------------------------

    def path(self, name: str) -> str:
        """Where table ``name`` lives (``<root>/<layer>/<name>``)."""
        return self._ref(name).path

    def checkpoint_path(self, job: str) -> str:
        """Where the streaming checkpoint of ``job`` lives (``<root>/_checkpoints/<job>``)."""
        return f"{self.root}/_checkpoints/{job}"

    def exists(self, name: str) -> bool:
        """True when ``name`` is a Delta table."""
        return self._state(self._ref(name)) is not None

    def version(self, name: str) -> int:
        """The latest committed version of ``name``."""
        return self._require(self._ref(name)).version

    def schema(self, name: str) -> StructType:
        """The latest schema of ``name``."""
        return self._require(self._ref(name)).schema

    def history(self, name: str, limit: int | None = None) -> list[Commit]:
        """The table's commits, newest first (at most ``limit``)."""
        ref = self._ref(name)
        self._require(ref)
        return self._history(ref, limit)

    def create(self, name: str, schema: StructType, partition_by: Sequence[str] = (), *, exist_ok: bool = False) -> int:
        """Create an empty table with ``schema`` partitioned by ``partition_by``; return its version.

        Raises :class:`TableExists` unless ``exist_ok``, in which case an existing table is left as is.
        """
        ref = self._ref(name)
        state = self._state(ref)
        if state is not None:
            if exist_ok:
                return state.version
            raise TableExists(f"{ref}: a table already exists at {ref.path}")
        require_columns(schema, partition_by, "partition columns", str(ref))
        return self._create(ref, schema, list(partition_by))

    # -- reads ----------------------------------------------------------------------------------

    def read(
        self,
        name: str,
        *,
        version: int | None = None,
        timestamp: datetime | str | None = None,
        partitions: Mapping[str, Any] | None = None,
    ) -> DataFrame:
        """The table as a DataFrame: latest, or as of ``version`` / ``timestamp`` (time travel).

        ``partitions`` maps partition columns to a value or a list of values; only the matching
        partitions' files are read.
        """
        if version is not None and timestamp is not None:
            raise LakeError("read: pass version or timestamp, not both")
        ref = self._ref(name)
        state = self._require(ref)
        wanted = {c: list(v) if isinstance(v, (list, tuple, set, frozenset)) else [v] for c, v in (partitions or {}).items()}
        unknown = [c for c in wanted if c not in state.partition_columns]
        if unknown:
            raise LakeError(f"{ref}: {', '.join(unknown)} not partition columns (table partitioned by {state.partition_columns})")
        return self._read(ref, version, timestamp, wanted)

    # -- writes ---------------------------------------------------------------------------------

    def append(
        self,
        df: DataFrame,
        name: str,
        *,
        partition_by: Sequence[str] = (),
        evolve_schema: bool = False,
        txn_app_id: str | None = None,
        txn_version: int | None = None,
    ) -> int:
        """Add ``df``'s rows to ``name`` in one commit, creating the table when missing.

        ``partition_by`` is used when the table is created (an existing table must match it).
        ``evolve_schema`` adds the data's extra columns to the table as nullable columns.
        ``txn_app_id``/``txn_version`` make the write exactly-once: a version already committed
        for that application id is a no-op.
        """
        return self._write(df, name, "append", partition_by, evolve_schema, txn_app_id, txn_version)

    def overwrite(
        self,
        df: DataFrame,
        name: str,
        *,
        dynamic_partitions: bool = False,
        partition_by: Sequence[str] = (),
        evolve_schema: bool = False,
        txn_app_id: str | None = None,
        txn_version: int | None = None,
    ) -> int:
        """Replace the table's rows with ``df`` in one commit, creating the table when missing.

        With ``dynamic_partitions`` only the partitions present in ``df`` are replaced. Other
        arguments as in :meth:`append`.
        """
        mode: WriteMode = "overwrite_partitions" if dynamic_partitions else "overwrite"
        return self._write(df, name, mode, partition_by, evolve_schema, txn_app_id, txn_version)

    def merge(
        self,
        df: DataFrame,
        name: str,
        keys: Sequence[str],
        *,
        order_by: str | None = None,
        delete_when: str | None = None,
        partition_by: Sequence[str] = (),
        evolve_schema: bool = False,
        txn_app_id: str | None = None,
        txn_version: int | None = None,
    ) -> int:
        """Upsert ``df`` into ``name`` on ``keys`` in one commit, creating the table when missing.

        With ``order_by`` the latest source row per key wins, and it replaces a matched table row
        only if its ``order_by`` value is not older. ``delete_when`` is a SQL condition on the
        source row: a winning row that satisfies it deletes the matched row and is not inserted.
        Other arguments as in :meth:`append`.
        """
        ref = self._ref(name)
        if not keys:
            raise LakeError(f"{ref}: merge needs at least one key column")
        require_columns(df.schema, [*keys, *([order_by] if order_by else [])], "merge key/order columns", str(ref))
        state = self._state(ref)
        request = self._request(ref, state, df, "append", partition_by, evolve_schema, txn_app_id, txn_version)
        with persisted(request.df) as data:
            source = prepare_source(data, list(keys), order_by, delete_when, str(ref))
            return self._merge(ref, state, request, source, list(keys), order_by)

    def delete(self, name: str, condition_sql: str) -> int:
        """Delete the rows matching the SQL condition in one commit; return the new version."""
        ref = self._ref(name)
        return self._delete(ref, self._require(ref), condition_sql)

    def optimize(self, name: str, *, target_file_mb: int = 128) -> int:
        """Compact small files (per partition) into files of about ``target_file_mb``; data is unchanged."""
        ref = self._ref(name)
        return self._optimize(ref, self._require(ref), target_file_mb * 1024 * 1024)

    def vacuum(
        self,
        name: str,
        retention_hours: float | None = None,
        *,
        dry_run: bool = False,
        enforce_retention: bool = True,
    ) -> list[str]:
        """Delete files no version newer than ``retention_hours`` needs, and files of failed writes.

        ``retention_hours`` defaults to ``lake.vacuum_retention_hours``. A retention below the
        table's ``delta.deletedFileRetentionDuration`` (7 days by default) is refused unless
        ``enforce_retention=False``: it can break readers of old versions and writes in flight.
        Returns the files deleted (or, with ``dry_run``, that would be).
        """
        ref = self._ref(name)
        self._require(ref)
        hours = self.vacuum_retention_hours if retention_hours is None else retention_hours
        if hours < 0:
            raise LakeError(f"{ref}: vacuum retention must be >= 0 hours, got {hours}")
        return self._vacuum(ref, hours, dry_run, enforce_retention)

    # -- shared plumbing ------------------------------------------------------------------------

    def _ref(self, name: str) -> TableRef:
        table = TableName.parse(name)
        return TableRef(table, table_path(self.root, table))

    def _creation_properties(self, schema: StructType, partition_by: Sequence[str]) -> dict[str, str]:
        """The Delta table properties a table with ``schema`` is created with."""
        return creation_properties(schema, partition_by, self.unindexed_columns)

    def _require(self, ref: TableRef) -> TableState:
        state = self._state(ref)
        if state is None:
            raise TableNotFound(f"{ref}: no Delta table at {ref.path}")
        return state

    def _write(self, df, name, mode, partition_by, evolve, txn_app_id, txn_version) -> int:
        ref = self._ref(name)
        state = self._state(ref)
        request = self._request(ref, state, df, mode, partition_by, evolve, txn_app_id, txn_version)
        return self._write_data(ref, state, request)

    def _request(self, ref, state, df, mode, partition_by, evolve, txn_app_id, txn_version) -> WriteRequest:
        if (txn_app_id is None) != (txn_version is None):
            raise LakeError(f"{ref}: pass both txn_app_id and txn_version, or neither")
        if txn_version is not None and (not isinstance(txn_version, int) or txn_version < 0):
            raise LakeError(f"{ref}: txn_version must be an integer >= 0, got {txn_version!r}")
        txn = Txn(txn_app_id, txn_version) if txn_app_id is not None else None
        partition_by = list(partition_by)
        if state is None:
            require_columns(df.schema, partition_by, "partition columns", str(ref))
            conformed, _ = conform(df, nullable(df.schema), str(ref), evolve=False)
            return WriteRequest(conformed, mode, partition_by, [], txn)
        if partition_by and partition_by != state.partition_columns:
            raise LakeError(f"{ref}: the table is partitioned by {state.partition_columns}, not {partition_by}")
        if mode == "overwrite_partitions" and not state.partition_columns:
            raise LakeError(f"{ref}: dynamic_partitions needs a partitioned table")
        conformed, new_fields = conform(df, state.schema, str(ref), evolve)
        return WriteRequest(conformed, mode, state.partition_columns, new_fields, txn)

    # -- backend hooks --------------------------------------------------------------------------

    @abstractmethod
    def _state(self, ref: TableRef) -> TableState | None:
        """The latest state of the table, or None when there is no table."""

    @abstractmethod
    def _create(self, ref: TableRef, schema: StructType, partition_by: list[str]) -> int: ...

    @abstractmethod
    def _history(self, ref: TableRef, limit: int | None) -> list[Commit]: ...

    @abstractmethod
    def _read(self, ref: TableRef, version: int | None, timestamp: datetime | str | None, partitions: dict[str, list]) -> DataFrame: ...

    @abstractmethod
    def _write_data(self, ref: TableRef, state: TableState | None, request: WriteRequest) -> int: ...

    @abstractmethod
    def _merge(self, ref: TableRef, state: TableState | None, request: WriteRequest, source: DataFrame, keys: list[str], order_by: str | None) -> int: ...

    @abstractmethod
    def _delete(self, ref: TableRef, state: TableState, condition_sql: str) -> int:
        """Delete the rows matching ``condition_sql`` (checked with :func:`merge_source.condition`)."""

    @abstractmethod
    def _optimize(self, ref: TableRef, state: TableState, target_bytes: int) -> int: ...

    @abstractmethod
    def _vacuum(self, ref: TableRef, hours: float, dry_run: bool, enforce: bool) -> list[str]: ...
