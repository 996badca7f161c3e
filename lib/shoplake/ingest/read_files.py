"""The records of a batch's input files as a DataFrame, decoded strictly on the executors.

Spark's ``binaryFile`` source reads each planned file whole; :func:`shoplake.ingest.tabular.decode_file`
turns its bytes into records (JSON lines, or CSV and Parquet rows as JSON objects). Columns: ``value`` (the line's text: strict UTF-8, or for a line
that is not, its text with U+FFFD in place of the bad bytes, used only to match it against the
erasure list), ``_source_file``, ``_raw`` (base64 bytes of a record that cannot be ingested as
text) and ``_reason`` (``invalid_encoding``, ``unreadable_file``, or null for a good line).

A file whose bytes differ from the hash it was planned with, or that Spark cannot read at all,
fails the batch with :class:`InputFileError` naming it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shoplake.errors import exception_line
from shoplake.schemas.source_mapping import SourceMapping
from shoplake.ingest.decode import UNREADABLE_FILE
from shoplake.ingest.errors import InputFileError
from shoplake.ingest.inventory import escape_glob
from shoplake.ingest.file_ledger import InputFile
from shoplake.ingest.tabular import decode_file
from shoplake.log import get_logger

log = get_logger(__name__)
REASON = "_input_reason"
RAW = "_raw"
DETAIL = "_detail"
ERROR = "_error"
SCHEMA = pa.schema([("value", pa.string()), ("_source_file", pa.string()), (RAW, pa.string()),
                    (REASON, pa.string()), (DETAIL, pa.string()), (ERROR, pa.string())])
ROWS_PER_ARROW_BATCH = 10_000
JSON_LINES = SourceMapping("json lines")


def _decoder(expected: dict[str, str], file_format: SourceMapping):
    """A ``mapInArrow`` function: ``binaryFile`` rows to records (in ``file_format``), checking each file's hash
    against ``expected``."""

    def decode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows: list[tuple] = []
        for batch in batches:
            for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                digest = hashlib.sha256(content).hexdigest()
                if digest != expected[path]:
                    rows.append((None, path, None, None, None, f"its content changed since it was planned ({digest})"))
                else:
                    rows.extend((line.value, path, line.raw_base64, line.reason, line.detail, None)
                                for line in decode_file(content, file_format))
                while len(rows) >= ROWS_PER_ARROW_BATCH:
                    yield _arrow(rows[:ROWS_PER_ARROW_BATCH])
                    del rows[:ROWS_PER_ARROW_BATCH]
        if rows:
            yield _arrow(rows)

    return decode


def _arrow(rows: list[tuple]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(column, pa.string()) for column in zip(*rows)], schema=SCHEMA)


def file_records(spark: SparkSession, folder_uri: str, files: Sequence[InputFile],
                 file_format: SourceMapping = JSON_LINES) -> DataFrame:
    """The records of ``files`` (paths relative to ``folder_uri``), lazily: one row per line (JSON lines) or row
    (CSV, Parquet: ``file_format``), or per unreadable file."""
    expected = {f"{folder_uri}/{f.path}": f.sha256 for f in files}
    if not expected:
        return spark.createDataFrame([], _ddl())
    try:
        raw = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(
            [escape_glob(uri) for uri in expected])
    except Exception as exc:  # noqa: BLE001 - a planned file gone or unreadable: name it relatively
        raise _read_failure(exc, folder_uri, files) from exc
    return raw.select("path", "content").mapInArrow(_decoder(expected, file_format), _ddl())


def _read_failure(exc: Exception, folder_uri: str, files: Sequence[InputFile]) -> InputFileError:
    """Spark's failure to read some of ``files`` (its message names absolute paths), naming them relatively."""
    failing = [f.path for f in files if f"{folder_uri}/{f.path}" in str(exc)] or [f.path for f in files]
    return InputFileError(f"could not read {', '.join(failing[:5])}{' ...' if len(failing) > 5 else ''} under "
                          f"{folder_uri}: {exception_line(exc)}; the files stay unseen and are read again on the next run")


def _ddl() -> str:
    return ", ".join(f"`{field.name}` string" for field in SCHEMA)


def checked(records: DataFrame, folder_uri: str, files: Sequence[InputFile], name: str, batch_id: int) -> None:
    """Read ``records`` once (they should be cached): log what was quarantined, fail on a file that could not be read."""
    try:
        findings = (records.filter(F.col(REASON).isNotNull() | F.col(ERROR).isNotNull())
                    .groupBy("_source_file", REASON, ERROR).agg(F.count("*").alias("n"), F.first(DETAIL).alias("detail"))
                    .collect())
    except Exception as exc:  # noqa: BLE001 - any failure to read the files is reported naming them
        raise _read_failure(exc, folder_uri, files) from exc
    prefix = folder_uri + "/"
    errors = [f"{row._source_file.removeprefix(prefix)}: {row[ERROR]}" for row in findings if row[ERROR]]
    if errors:
        raise InputFileError(f"{name} batch {batch_id}: {'; '.join(errors)}; run the job again to ingest the file "
                             "as it is now")
    for row in findings:
        if row[REASON] == UNREADABLE_FILE:
            log.warning("%s batch %d: %s is not readable text, kept whole as bytes (%s): %s", name, batch_id,
                        row._source_file.removeprefix(prefix), UNREADABLE_FILE, row.detail)
        else:
            log.warning("%s batch %d: %d line(s) of %s are not UTF-8, kept as bytes (%s), first at %s", name,
                        batch_id, row.n, row._source_file.removeprefix(prefix), row[REASON], row.detail)
