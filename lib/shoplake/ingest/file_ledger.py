"""Which input files a job has ingested, and the batch it planned: the job's file ledger.

Plan, then commit, as Spark's offsets and commits logs do. Before a batch is processed its batch
id and files (path relative to the source folder, size, SHA-256) are written to
``plans/<id>.json``; when the batch's tables are written, ``done/<id>.json`` records the files it
ingested. A job killed at any point leaves a plan without its ``done`` file, and the next run
replays that batch first, under the same id with the same files, so the tables' exactly-once
writes skip what it had already committed.

The ledger lives in the job's checkpoint folder (``lake.checkpoint_path(job)``) as small JSON
files written through Hadoop's FileSystem, not in a lake table: planning and finishing a batch
are then two small file writes instead of two table commits with a Spark job each, the ledger
works on every filesystem the lake does (local, HDFS, S3), and it needs no table to exist yet.

A file is known by its relative path, size and content hash, so moving or copying the inputs
folder (with the lake) ingests nothing again, and a file replaced under the same name with other
content is ingested again. The modification time is recorded too, only to spare hashing a file
whose path, size and modification time match what was hashed before.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from urllib.parse import unquote

from shoplake.ingest.hadoop_folder import HadoopFolder

PLANS = "plans"
DONE = "done"
SPARK_COMMITS = "commits"  # the commit log of the Spark streaming checkpoint this ledger replaced
SPARK_SOURCE_LOG = "sources/0"  # ...and its file source's log of the files each batch read


@dataclass(frozen=True)
class InputFile:
    """One input file as planned: path relative to the source folder, size, SHA-256, modification time (ms)."""

    path: str
    size: int
    sha256: str
    modified: int

    @property
    def identity(self) -> tuple[str, int, str]:
        """What makes two sightings the same file: relative path, size and content hash."""
        return self.path, self.size, self.sha256


@dataclass(frozen=True)
class Batch:
    """A planned batch: its id and its files."""

    batch_id: int
    files: tuple[InputFile, ...]


@dataclass(frozen=True)
class LedgerState:
    """The planned batches, the files each finished batch ingested, and the first id a new batch may take."""

    planned: dict[int, Batch]
    done: dict[int, tuple[InputFile, ...]]
    first_free_id: int

    def unfinished(self) -> list[Batch]:
        """Batches planned but not finished, oldest first: the next run replays them."""
        return [batch for batch_id, batch in sorted(self.planned.items()) if batch_id not in self.done]

    def seen(self) -> set[tuple[str, int, str]]:
        """Identities of every file a finished batch ingested."""
        return {f.identity for files in self.done.values() for f in files}

    def hashed(self) -> dict[str, InputFile]:
        """The latest planned record of each relative path (for skipping a re-hash of an unchanged file)."""
        latest: dict[str, InputFile] = {}
        for _, batch in sorted(self.planned.items()):
            latest.update((f.path, f) for f in batch.files)
        return latest

    def next_id(self) -> int:
        """The id of the next new batch."""
        return max([self.first_free_id - 1, *self.planned, *self.done]) + 1


class FileLedger:
    """The ledger files of one job under its checkpoint folder."""

    def __init__(self, folder: HadoopFolder):
        self.folder = folder

    def load(self) -> LedgerState:
        """Read every plan and done record (and continue the batch ids of an older Spark checkpoint)."""
        planned = {}
        for name in self._records(PLANS):
            record = self._read(f"{PLANS}/{name}")
            planned[record["batch_id"]] = Batch(record["batch_id"], _files(record["files"]))
        done = {}
        for name in self._records(DONE):
            record = self._read(f"{DONE}/{name}")
            done[record["batch_id"]] = _files(record["files"])
        spark_commits = [int(n) for n in self.folder.names(SPARK_COMMITS) if n.isdigit()]
        return LedgerState(planned, done, max(spark_commits, default=-1) + 1)

    def plan(self, batch_id: int, files: Iterable[InputFile]) -> Batch:
        """Record batch ``batch_id`` with ``files`` durably, before any of it is processed."""
        batch = Batch(batch_id, tuple(files))
        self._write(f"{PLANS}/{batch_id}.json", {"batch_id": batch_id, "files": [asdict(f) for f in batch.files]})
        return batch

    def finish(self, batch_id: int, ingested: Iterable[InputFile], figures: dict[str, int]) -> None:
        """Record that batch ``batch_id`` ingested ``ingested`` (its files still as planned) with ``figures``."""
        self._write(f"{DONE}/{batch_id}.json", {"batch_id": batch_id, "files": [asdict(f) for f in ingested],
                                                "figures": figures})

    def spark_checkpoint_paths(self, source_uri: str, before: int) -> list[str]:
        """Paths (relative to ``source_uri``) that the Spark streaming checkpoint this ledger replaced
        recorded for batches before ``before`` (its committed ones)."""
        paths = set()
        for name in self.folder.names(SPARK_SOURCE_LOG):
            for line in self.folder.read_bytes(f"{SPARK_SOURCE_LOG}/{name}").decode().splitlines()[1:]:
                entry = json.loads(line)
                path = unquote(entry["path"]).replace("file:///", "file:/", 1)
                if entry.get("batchId", before) < before and path.startswith(source_uri + "/"):
                    paths.add(path[len(source_uri) + 1:])
        return sorted(paths)

    def _records(self, sub: str) -> list[str]:
        return [n for n in self.folder.names(sub) if n.endswith(".json")]

    def _read(self, name: str) -> dict:
        return json.loads(self.folder.read_bytes(name))

    def _write(self, name: str, record: dict) -> None:
        self.folder.write_bytes(name, json.dumps(record, sort_keys=True).encode())


def _files(records: list[dict]) -> tuple[InputFile, ...]:
    return tuple(InputFile(**record) for record in records)
