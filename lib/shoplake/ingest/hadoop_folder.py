"""A folder on any Hadoop filesystem (local, HDFS, S3...), for the small files ingest keeps and the inputs it hashes.

Small files are written whole: to a hidden temporary name first, then renamed, so a reader never
sees half a file after a crash (on object stores, where an object appears whole when written,
the rename is a copy). :meth:`HadoopFolder.create_exclusive` creates a file only if none exists.
"""
from __future__ import annotations

import os

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from shoplake.lake.local_files import create_whole

ALREADY_EXISTS = "org.apache.hadoop.fs.FileAlreadyExistsException"


class HadoopFolder:
    """Files under one folder URI, read and written through Hadoop's ``FileSystem``."""

    def __init__(self, spark: SparkSession, uri: str):
        jvm = spark._jvm
        self._jvm = jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        self._fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
        self._path = self._fs.makeQualified(path)
        self.uri = self._path.toString().rstrip("/")

    @property
    def local_path(self) -> str | None:
        """The folder as a local path when it is on the local filesystem, else None."""
        return self._path.toUri().getPath() if self._fs.getUri().getScheme() == "file" else None

    def _child(self, name: str):
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.uri}/{name}") if name else self._path

    def exists(self, name: str = "") -> bool:
        """True when ``name`` (relative to the folder; the folder itself by default) exists."""
        return self._fs.exists(self._child(name))

    def names(self, sub: str) -> list[str]:
        """Names of the visible entries of subfolder ``sub`` (none when it does not exist)."""
        if not self.exists(sub):
            return []
        names = (status.getPath().getName() for status in self._fs.listStatus(self._child(sub)))
        return sorted(n for n in names if not n.startswith("."))

    def read_bytes(self, name: str) -> bytes:
        """The whole content of file ``name``."""
        stream = self._fs.open(self._child(name))
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
        finally:
            stream.close()

    def sha256(self, name: str) -> str:
        """The SHA-256 of file ``name``'s bytes (hex), computed where the bytes are read: in the JVM."""
        stream = self._fs.open(self._child(name))
        try:
            return self._jvm.org.apache.commons.codec.digest.DigestUtils.sha256Hex(stream)
        finally:
            stream.close()

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write file ``name`` whole: a hidden temporary file renamed into place (replacing an older one)."""
        parent, _, base = name.rpartition("/")
        temporary = self._child(f"{parent}/.{base}.tmp" if parent else f".{base}.tmp")
        out = self._fs.create(temporary, True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()
        target = self._child(name)
        if self._fs.exists(target):
            self._fs.delete(target, False)
        if not self._fs.rename(temporary, target):
            raise OSError(f"could not rename {temporary.toString()} to {target.toString()}")

    def create_exclusive(self, name: str, data: bytes) -> bool:
        """Create file ``name`` with ``data`` unless it exists; True when this call created it."""
        local = self.local_path
        if local is not None:  # the local filesystem's create checks, then opens: a hard link closes that gap
            return create_whole(os.path.join(local, name), data)
        try:
            out = self._fs.create(self._child(name), False)
        except Py4JJavaError as exc:
            if exc.java_exception.getClass().getName() == ALREADY_EXISTS:
                return False
            raise
        try:
            out.write(bytearray(data))
        finally:
            out.close()
        return True

    def delete(self, name: str) -> None:
        """Delete file ``name`` if it exists."""
        self._fs.delete(self._child(name), False)
