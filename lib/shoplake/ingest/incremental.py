"""Pick up only input files not ingested before, in batches that are exactly-once across crashes.

Each run first replays a batch that a killed run planned but did not finish (same ``batch_id``,
same files), then lists the source folder, hashes the files it has not seen, and cuts the new
ones into batches of about ``max_batch_mb`` (whole files). Each batch is planned in the job's
file ledger (:mod:`shoplake.ingest.file_ledger`) before ``process_batch(records, batch_id)`` runs,
and marked done after it returns, so writes tagged with the batch id are exactly-once: the lake
skips what a batch already committed. A batch that fails leaves its files unseen; the next run
tries them again; a batch refused for its quarantined share (:mod:`shoplake.ingest.quarantine`)
does too, and the run stops there and reports it. ``available_now`` processes what is there and
stops; otherwise the job polls every ``interval`` until stopped. One ingest of a source runs at a
time (:mod:`shoplake.ingest.lock`).
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from pyspark.sql import DataFrame, SparkSession

from shoplake.schemas.source_mapping import SourceMapping
from shoplake.errors import ConfigurationError, exception_line
from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.ingest.errors import QuarantineTooHigh
from shoplake.ingest.inventory import take_inventory
from shoplake.ingest.layers import LineCounts
from shoplake.ingest.file_ledger import Batch, FileLedger, InputFile
from shoplake.ingest.lock import ingest_lock
from shoplake.ingest.read_files import JSON_LINES, checked, file_records
from shoplake.lake.merge_source import persisted
from shoplake.log import get_logger

log = get_logger(__name__)
UNIT_SECONDS = {"ms": 0.001, "millisecond": 0.001, "s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
                "h": 3600, "hour": 3600}


@dataclass
class IngestReport:
    """What an ingest run did: batches, files, entries it could not read, where the records went, and
    the message of the batch it refused for its quarantined share, if any (the run stopped there)."""

    batches: int = 0
    files: int = 0
    problem_files: int = 0
    lines: LineCounts = field(default_factory=LineCounts)
    refused: str | None = None

    def add(self, batches: int, files: int, lines: LineCounts) -> None:
        """Count one more batch's work."""
        self.batches, self.files, self.lines = self.batches + batches, self.files + files, self.lines + lines

    def figures(self, prefix: str = "") -> dict[str, int]:
        """The report as flat figures for the job's log (keys prefixed with ``prefix``): ``lines_quarantined``
        in all, and ``quarantined_<reason>`` per reason."""
        counts = {k: v for k, v in asdict(self.lines).items() if k != "quarantined"}
        reasons = self.lines.quarantined
        flat = {"batches": self.batches, "files": self.files, "problem_files": self.problem_files,
                **{f"lines_{k}": v for k, v in counts.items()}, "lines_quarantined": sum(reasons.values()),
                **{f"quarantined_{reason}": n for reason, n in sorted(reasons.items())}}
        return {f"{prefix}{k}": v for k, v in flat.items()}


def raise_refused(*reports: IngestReport) -> None:
    """Raise :class:`QuarantineTooHigh` naming every batch these reports refused (call it after the
    source's other work, so the batches that landed before a refused one are complete)."""
    refused = [r.refused for r in reports if r.refused]
    if refused:
        raise QuarantineTooHigh(" | ".join(refused))


def folder_exists(spark: SparkSession, folder: str) -> bool:
    """True when ``folder`` exists on its filesystem (local, HDFS, S3...), asked through Hadoop."""
    return HadoopFolder(spark, folder).exists()


def interval_seconds(interval: str) -> float:
    """``"30 seconds"``, ``"2 min"``, ``"500ms"``... in seconds; a clear error for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", interval.lower())
    unit = match.group(2) if match else ""
    unit = unit if unit in UNIT_SECONDS else unit.removesuffix("s")
    if unit not in UNIT_SECONDS or float(match.group(1)) <= 0:
        raise ConfigurationError(f"--interval {interval!r}: expected a positive number and a unit, like '30 seconds'")
    return float(match.group(1)) * UNIT_SECONDS[unit]


def cut_batches(files: Sequence[InputFile], max_bytes: int) -> list[list[InputFile]]:
    """``files`` oldest first, cut into batches of at most ``max_bytes`` (whole files; a bigger file goes alone)."""
    batches: list[list[InputFile]] = []
    size = 0
    for f in sorted(files, key=lambda f: (f.modified, f.path)):
        if not batches or size + f.size > max_bytes:
            batches.append([])
            size = 0
        batches[-1].append(f)
        size += f.size
    return batches


class _Run:
    """One ingest run over a source folder: replays, plans and processes batches."""

    def __init__(self, spark, source: HadoopFolder, ledger: FileLedger, process_batch, name: str, max_bytes: int,
                 file_format: SourceMapping):
        self.spark, self.source, self.ledger = spark, source, ledger
        self.process_batch, self.name, self.max_bytes = process_batch, name, max_bytes
        self.file_format = file_format
        self.reported: set = set()  # problems already logged by this run (a stream polls again and again)

    def round(self, report: IngestReport) -> None:
        """Finish unfinished batches, then ingest every new file."""
        state = self.ledger.load()
        if not state.planned and state.first_free_id > 0:
            state = self.adopt_spark_checkpoint(state.first_free_id - 1)
        seen = state.seen()
        for batch in state.unfinished():
            files = self.unchanged(batch)
            log.info("%s: replaying batch %d (%d file(s)), planned by a run that did not finish", self.name,
                     batch.batch_id, len(files))
            self.run_batch(batch.batch_id, files, report)
            if report.refused:
                return
            seen |= {f.identity for f in files}
        inventory = take_inventory(self.spark, self.source, state.hashed())
        report.problem_files = len(inventory.problems)
        for problem in sorted(set(inventory.problems) - self.reported, key=lambda p: p.path):
            log.warning("%s: not ingested: %s: %s", self.name, problem.path, problem.why)
        self.reported |= set(inventory.problems)
        new = [f for f in inventory.files if f.identity not in seen]
        next_id = state.next_id()
        for files in cut_batches(new, self.max_bytes):
            self.ledger.plan(next_id, files)
            self.run_batch(next_id, files, report)
            if report.refused:
                return
            next_id += 1

    def adopt_spark_checkpoint(self, last_batch: int):
        """Record the files a Spark streaming checkpoint (this ledger's predecessor) ingested as one finished
        batch, so that they are not ingested again; return the ledger's new state."""
        listed = {f.path: f for f in take_inventory(self.spark, self.source, {}).files}
        files = [listed[p] for p in self.ledger.spark_checkpoint_paths(self.source.uri, last_batch + 1) if p in listed]
        log.info("%s: %d file(s) ingested through batch %d of the earlier Spark checkpoint count as seen",
                 self.name, len(files), last_batch)
        self.ledger.plan(last_batch, files)
        self.ledger.finish(last_batch, files, {})
        return self.ledger.load()

    def unchanged(self, batch: Batch) -> list[InputFile]:
        """The files of a planned batch that are still as planned (a file changed since is new: planned later)."""
        kept = []
        for f in batch.files:
            try:
                same = self.source.exists(f.path) and self.source.sha256(f.path) == f.sha256
            except Exception as exc:  # noqa: BLE001 - a file that cannot be read now is left out of the replay
                log.warning("%s: %s cannot be read (%s)", self.name, f.path, exception_line(exc))
                same = False
            if same:
                kept.append(f)
            else:
                log.warning("%s: %s changed or went away since batch %d was planned; it is not part of its replay",
                            self.name, f.path, batch.batch_id)
        return kept

    def run_batch(self, batch_id: int, files: list[InputFile], report: IngestReport) -> None:
        """Read, decode and process one planned batch; mark it done (a refused batch stays planned, in ``report``)."""
        listed = ", ".join(f.path for f in files[:10]) + (" ..." if len(files) > 10 else "")
        with persisted(file_records(self.spark, self.source.uri, files, self.file_format)) as records:
            checked(records, self.source.uri, files, self.name, batch_id)
            try:
                counts = self.process_batch(records, batch_id)
            except QuarantineTooHigh as refusal:
                log.warning("%s batch %d refused for its quarantined share; its %d file(s) stay unprocessed: %s",
                            self.name, batch_id, len(files), listed)
                report.refused = str(refusal)
                return
            except Exception:
                log.error("%s batch %d failed; its %d file(s) are read again on the next run: %s", self.name,
                          batch_id, len(files), listed)
                raise
        self.ledger.finish(batch_id, files, asdict(counts))
        log.info("%s batch %d: %d file(s), %d record(s) read: %d to bronze, %d quarantined as bytes, %d erased; "
                 "%d landed, %s", self.name, batch_id, len(files), counts.read, counts.bronze, counts.unreadable,
                 counts.erased, counts.landed, quarantine_line(counts.quarantined))
        report.add(1, len(files), counts)


def quarantine_line(by_reason: Mapping[str, int]) -> str:
    """``12 quarantined (missing_order_id 9, malformed_json 3)``, most frequent reason first."""
    reasons = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
    return f"{sum(by_reason.values())} quarantined" + (
        f" ({', '.join(f'{reason} {n}' for reason, n in reasons)})" if reasons else "")


def process_new_files(
    spark: SparkSession,
    folder: str,
    checkpoint: str,
    process_batch: Callable[[DataFrame, int], LineCounts],
    name: str,
    max_batch_mb: float,
    available_now: bool = True,
    interval: str = "30 seconds",
    file_format: SourceMapping = JSON_LINES,
) -> IngestReport:
    """Run ``process_batch(records, batch_id)`` over new files in ``folder``; return what was done.

    ``records`` are :func:`shoplake.ingest.read_files.file_records` rows (of files in ``file_format``); ``process_batch``
    returns the batch's :class:`LineCounts`. A folder that does not exist yet (no file of that
    source dropped so far) runs no batch. The file ledger and lock live in ``checkpoint``. A batch
    refused for its quarantined share ends the run, the stream too: the report's ``refused`` says why.
    """
    pause = interval_seconds(interval)
    source = HadoopFolder(spark, folder)
    if not source.exists():
        log.info("%s: %s does not exist yet; nothing to ingest", name, folder)
        return IngestReport()
    store = HadoopFolder(spark, checkpoint)
    report = IngestReport()
    with ingest_lock(store, name):
        run = _Run(spark, source, FileLedger(store), process_batch, name, max(1, round(max_batch_mb * 2**20)),
                   file_format)
        log.info("%s: reading new files in %s (%s)", name, folder, "available now" if available_now else f"every {interval}")
        while True:
            batches = report.batches
            run.round(report)
            if available_now or report.batches > batches:
                lines = report.lines
                log.info("%s: %d batch(es), %d file(s): %d record(s) read = %d to bronze + %d quarantined as bytes + "
                         "%d erased; %d landed, %s; %d entr(ies) could not be read", name, report.batches,
                         report.files, lines.read, lines.bronze, lines.unreadable, lines.erased, lines.landed,
                         quarantine_line(lines.quarantined), report.problem_files)
            if available_now or report.refused:
                return report
            time.sleep(pause)
