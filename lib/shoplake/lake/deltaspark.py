"""The delta-spark backend: Delta's JVM connector, ``format("delta")`` and ``delta.tables.DeltaTable``.

Used on clusters that put ``io.delta:delta-spark`` on the classpath. Same semantics as the
delta-rs backend: the shared checks in :mod:`shoplake.lake.api` run first, merge uses the same
source preparation, and Delta's errors are translated to the lake's exceptions.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, IllegalArgumentException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.lake.api import Lake
from shoplake.lake.model import Commit, TableRef, WriteRequest
from shoplake.lake.errors import (
    ConcurrentWriteConflict,
    LakeError,
    NotADeltaTable,
    SchemaMismatch,
    TableExists,
    VersionNotFound,
)
from shoplake.errors import exception_line
from shoplake.lake.merge_source import DELETE_FLAG, condition, source_wins

# Delta records this setting in each commit's commitInfo (DESCRIBE HISTORY's userMetadata column)
USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


def _is_concurrent_modification(exc: Py4JJavaError) -> bool:
    """True when the JVM exception is one of Delta's commit conflicts (all ConcurrentModificationExceptions)."""
    kind = exc.java_exception.getClass()
    while kind is not None:
        if kind.getName() == "java.util.ConcurrentModificationException":
            return True
        kind = kind.getSuperclass()
    return False


@dataclass(frozen=True)
class SparkTableState:
    """The latest version, schema and partitioning of a table, as delta-spark reports them."""

    version: int
    schema: StructType
    partition_columns: list[str]


class DeltaSparkLake(Lake):
    """The lake on delta-spark (the Delta JVM classes must be on the session's classpath)."""

    backend = "delta-spark"

    def _table(self, ref: TableRef):
        from delta.tables import DeltaTable

        return DeltaTable.forPath(self.spark, ref.path)

    def _state(self, ref: TableRef) -> SparkTableState | None:
        snapshot = self._snapshot(ref.path)
        if snapshot.version() < 0:
            if self._holds_files(ref.path):
                raise NotADeltaTable(f"{ref}: {ref.path} holds files but no Delta transaction log (_delta_log)")
            return None
        metadata = snapshot.metadata()
        partition_columns = self.spark._jvm.scala.jdk.javaapi.CollectionConverters.asJava(metadata.partitionColumns())
        return SparkTableState(snapshot.version(), StructType.fromJson(json.loads(metadata.schemaString())),
                               list(partition_columns))

    def _snapshot(self, path: str):
        """Delta's latest snapshot of the table at ``path`` (version -1 when there is none).

        Read from the log by Delta's ``DeltaLog``: the public API has the version only through
        ``history`` and ``detail``, which run Spark jobs (about half a second per call, and the
        pipeline asks for table versions hundreds of times).
        """
        jvm = self.spark._jvm
        log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, path)
        return log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())

    def _create(self, ref: TableRef, schema: StructType, partition_by: list[str]) -> int:
        from delta.tables import DeltaTable

        builder = DeltaTable.create(self.spark).location(ref.path).addColumns(schema)
        for key, value in self._creation_properties(schema, partition_by).items():
            builder = builder.property(key, value)
        try:
            (builder.partitionedBy(*partition_by) if partition_by else builder).execute()
        except AnalysisException as exc:
            raise TableExists(f"{ref}: {exc}") from exc
        return 0

    def _history(self, ref: TableRef, limit: int | None) -> list[Commit]:
        rows = self._table(ref).history(limit).select("version", "timestamp", "operation", "operationParameters").collect()
        # PySpark gives naive local datetimes; astimezone reads them as local and converts to UTC
        return [Commit(r.version, r.timestamp.astimezone(timezone.utc), r.operation, dict(r.operationParameters or {})) for r in rows]

    def _read(self, ref: TableRef, version, timestamp, partitions: dict[str, list]) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        if timestamp is not None:
            reader = reader.option("timestampAsOf", timestamp.isoformat() if isinstance(timestamp, datetime) else timestamp)
        with self._translated(ref):
            df = reader.load(ref.path)
        for column, values in partitions.items():
            present = [v for v in values if v is not None]
            match = F.col(column).isin(present)
            df = df.where(match | F.col(column).isNull() if None in values else match)
        return df

    def _write_data(self, ref: TableRef, state, request: WriteRequest) -> int:
        writer = request.df.write.format("delta").mode("append" if request.mode == "append" else "overwrite")
        if state is None and request.partition_by:
            writer = writer.partitionBy(*request.partition_by)
        if request.new_fields:
            writer = writer.option("mergeSchema", "true")
        if request.mode == "overwrite_partitions":
            writer = writer.option("partitionOverwriteMode", "dynamic")
        if request.txn:
            writer = writer.option("txnAppId", request.txn.app_id).option("txnVersion", request.txn.version)
        # Delta applies these defaults only to a table the write creates
        defaults = self._creation_properties(request.df.schema, request.partition_by) if state is None else {}
        return self._committed(ref, state, lambda: writer.save(ref.path),
                               {f"spark.databricks.delta.properties.defaults.{k.removeprefix('delta.')}": v
                                for k, v in defaults.items()})

    def _merge(self, ref: TableRef, state, request: WriteRequest, source: DataFrame, keys, order_by) -> int:
        if state is None:
            rows = source.where(~F.col(DELETE_FLAG)).drop(DELETE_FLAG)
            return self._write_data(ref, None, WriteRequest(rows, "append", request.partition_by, [], request.txn))
        if request.new_fields:
            columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in request.new_fields)
            self.spark.sql(f"ALTER TABLE delta.`{ref.path}` ADD COLUMNS ({columns})")
        wins = source_wins(F.col(f"s.`{order_by}`"), F.col(f"t.`{order_by}`")) if order_by else F.lit(True)
        flagged = F.col(f"s.`{DELETE_FLAG}`")
        values = {f"`{c}`": F.col(f"s.`{c}`") for c in request.df.columns}
        merge = (
            self._table(ref).alias("t")
            .merge(source.alias("s"), " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys))
            .whenMatchedDelete(condition=wins & flagged)
            .whenMatchedUpdate(condition=wins, set=values)
            .whenNotMatchedInsert(condition=~flagged, values=values)
        )
        txn = {"spark.databricks.delta.write.txnAppId": request.txn.app_id,
               "spark.databricks.delta.write.txnVersion": str(request.txn.version)} if request.txn else {}
        return self._committed(ref, state, merge.execute, txn)

    def _delete(self, ref: TableRef, state, condition_sql: str) -> int:
        table = self._table(ref)
        matches = condition(table.toDF(), condition_sql, "delete condition", str(ref))
        return self._committed(ref, state, lambda: table.delete(matches))

    def _optimize(self, ref: TableRef, state, target_bytes: int) -> int:
        return self._committed(ref, state, self._table(ref).optimize().executeCompaction,
                               {"spark.databricks.delta.optimize.maxFileSize": str(target_bytes)})

    def _vacuum(self, ref: TableRef, hours: float, dry_run: bool, enforce: bool) -> list[str]:
        check = {} if enforce else {"spark.databricks.delta.retentionDurationCheck.enabled": "false"}
        statement = f"VACUUM delta.`{ref.path}` RETAIN {hours} HOURS"
        try:
            with self._conf(check):
                doomed = [r[0] for r in self.spark.sql(statement + " DRY RUN").collect()]
                if not dry_run:
                    self.spark.sql(statement).collect()
        except IllegalArgumentException as exc:
            raise LakeError(
                f"{ref}: refusing to vacuum with {hours} hours of retention ({exc}); pass enforce_retention=False to override"
            ) from exc
        prefix = ref.path.rstrip("/") + "/"
        return [p.split(prefix, 1)[-1] for p in doomed]

    # -- helpers -----------------------------------------------------------------------------------

    def _committed(self, ref: TableRef, state, write: Callable[[], object], conf: dict[str, str] | None = None) -> int:
        """Run ``write`` (one Delta commit) with ``conf`` set; return the version that write committed.

        Delta's API does not say which version a write got. The table's latest version is it unless
        another writer committed meanwhile; then the commit is found by a tag this write put in its
        ``userMetadata``.
        """
        tag = f"shoplake-write-{uuid.uuid4()}"
        with self._translated(ref), self._conf({**(conf or {}), USER_METADATA: tag}):
            write()
        before = state.version if state is not None else -1
        latest = self._state(ref).version
        if latest <= before + 1:
            return latest
        mine = self._table(ref).history(latest - before).where(F.col("userMetadata") == tag).select("version").first()
        return mine.version if mine else latest

    def _holds_files(self, path: str) -> bool:
        jvm = self.spark._jvm
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        filesystem = hadoop_path.getFileSystem(self.spark._jsc.hadoopConfiguration())
        return filesystem.exists(hadoop_path) and len(filesystem.listStatus(hadoop_path)) > 0

    @contextmanager
    def _conf(self, settings: dict[str, str]) -> Iterator[None]:
        """Set Spark SQL settings for the duration of a block."""
        previous = {key: self.spark.conf.get(key, None) for key in settings}
        for key, value in settings.items():
            self.spark.conf.set(key, value)
        try:
            yield
        finally:
            for key, value in previous.items():
                if value is None:
                    self.spark.conf.unset(key)
                else:
                    self.spark.conf.set(key, value)

    @contextmanager
    def _translated(self, ref: TableRef) -> Iterator[None]:
        """Re-raise Delta's conflict, time-travel and schema errors as the lake's exceptions."""
        from delta import exceptions as delta_errors

        conflicts = tuple(getattr(delta_errors, name) for name in delta_errors.__all__)
        try:
            yield
        except conflicts as exc:
            raise ConcurrentWriteConflict(f"{ref}: a concurrent commit conflicts with this one: {exc}") from exc
        except AnalysisException as exc:
            text = str(exc)
            if "time travel" in text.lower() or "earliest version" in text.lower() or "VERSION_NOT_FOUND" in text:
                raise VersionNotFound(f"{ref}: {text}") from exc
            if "schema mismatch" in text.lower():
                raise SchemaMismatch(f"{ref}: {text}") from exc
            raise
        except Exception as exc:  # Delta's invariant checks fail the job, not the analysis
            # DeltaTable's builders call the JVM without PySpark's error conversion: conflicts come raw
            if isinstance(exc, Py4JJavaError) and _is_concurrent_modification(exc):
                raise ConcurrentWriteConflict(
                    f"{ref}: a concurrent commit conflicts with this one: {exception_line(exc)}") from exc
            if "NOT_NULL_CONSTRAINT_VIOLATED" in str(exc) or "NOT NULL constraint violated" in str(exc):
                raise SchemaMismatch(f"{ref}: {exc}") from exc
            raise
