"""What a source folder holds now: its files (recursively) with relative path, size and content hash.

Files are listed the way Spark's file sources list them (hidden names starting with ``.`` or
``_``, and ``._COPYING_`` files still being copied, are not inputs). A file that cannot be read
(a symbolic link whose target is gone, no permission, an I/O error) is not ingested: it is a
:class:`Problem` the job reports by name, every run until it is fixed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from shoplake.errors import exception_line
from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.ingest.file_ledger import InputFile

GLOB_CHARACTERS = "\\{}[]*?"


@dataclass(frozen=True)
class Problem:
    """An entry of the source folder that cannot be ingested, and why."""

    path: str
    why: str


@dataclass(frozen=True)
class Inventory:
    """The readable files of a source folder, and the entries that could not be read."""

    files: list[InputFile]
    problems: list[Problem]


def escape_glob(path: str) -> str:
    """``path`` with Hadoop's glob characters escaped, so it names exactly one file."""
    return "".join(f"\\{c}" if c in GLOB_CHARACTERS else c for c in path)


def hidden(name: str) -> bool:
    """True for names Spark's file sources skip: ``.x``, ``_x`` (but not ``_x=y``), ``x._COPYING_``."""
    return name.startswith(".") or (name.startswith("_") and "=" not in name) or name.endswith("._COPYING_")


def listed_files(spark: SparkSession, folder: HadoopFolder) -> list[tuple[str, int, int]]:
    """``(relative path, size, modification ms)`` of every visible file under ``folder``, listed by Spark."""
    rows = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(escape_glob(folder.uri))
            .select("path", "length", F.unix_millis("modificationTime").alias("modified")).collect())
    prefix = folder.uri + "/"
    listed = []
    for row in rows:
        if not row.path.startswith(prefix):
            raise ValueError(f"listing {folder.uri} returned {row.path}, which is not under it")
        listed.append((row.path[len(prefix):], row.length, row.modified))
    return sorted(listed)


def dangling_links(folder: HadoopFolder) -> list[Problem]:
    """Symbolic links under a local ``folder`` whose target is gone (listings skip them without a word)."""
    root = folder.local_path
    if root is None:
        return []
    problems = []
    for directory, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not hidden(d)]
        for name in [*names, *subfolders]:
            path = os.path.join(directory, name)
            if not hidden(name) and os.path.islink(path) and not os.path.exists(path):
                problems.append(Problem(os.path.relpath(path, root), f"symbolic link to missing {os.readlink(path)}"))
    return sorted(problems, key=lambda p: p.path)


def take_inventory(spark: SparkSession, folder: HadoopFolder, hashed: dict[str, InputFile]) -> Inventory:
    """The folder's files with their content hashes; ``hashed`` holds earlier records by path.

    A file whose path, size and modification time match its earlier record keeps that record's
    hash; any other file is hashed (read in full) now.
    """
    files, problems = [], dangling_links(folder)
    for path, size, modified in listed_files(spark, folder):
        known = hashed.get(path)
        if known is not None and (known.size, known.modified) == (size, modified):
            files.append(known)
            continue
        try:
            files.append(InputFile(path, size, folder.sha256(path), modified))
        except Exception as exc:  # noqa: BLE001 - any failure to read a file makes it a reported problem
            problems.append(Problem(path, f"cannot be read: {exception_line(exc)}"))
    return Inventory(files, problems)
