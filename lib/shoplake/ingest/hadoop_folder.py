"""A folder on any Hadoop filesystem (local, HDFS, S3...), for the small files ingest keeps and the inputs it hashes.

Small files are written whole, so a reader never sees half a file after a crash: to a hidden
temporary name first, then renamed; on S3, where an object appears whole once its upload ends,
directly. :meth:`HadoopFolder.create_exclusive` creates a file only if none exists, atomically
(a hard link locally, a conditional PUT on S3: see :mod:`shoplake.lake.object_store`).
"""
from __future__ import annotations

import os

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from shoplake.lake.local_files import create_whole
from shoplake.lake.object_store import Storage, is_s3

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
        self._s3 = Storage.of(spark, self.uri) if is_s3(self.uri) else None

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
        """Write file ``name`` whole, replacing an older one: a hidden temporary file renamed into place (on S3: one PUT)."""
        if self._s3 is not None:
            self._write(self._child(name), data, overwrite=True)
            return
        parent, _, base = name.rpartition("/")
        temporary = self._child(f"{parent}/.{base}.tmp" if parent else f".{base}.tmp")
        self._write(temporary, data, overwrite=True)
        target = self._child(name)
        if self._fs.exists(target):
            self._fs.delete(target, False)
        if not self._fs.rename(temporary, target):
            raise OSError(f"could not rename {temporary.toString()} to {target.toString()}")

    def create_exclusive(self, name: str, data: bytes) -> bool:
        """Create file ``name`` with ``data`` unless it exists; True when this call created it.

        Hadoop's create checks, then writes, on the local filesystem and S3: a hard link, and S3's
        conditional PUT, close that gap there. HDFS's create is atomic.
        """
        local = self.local_path
        if local is not None:
            return create_whole(os.path.join(local, name), data)
        if self._s3 is not None:
            return self._s3.put_if_absent(f"{self.uri}/{name}", data)
        try:
            self._write(self._child(name), data, overwrite=False)
        except Py4JJavaError as exc:
            if exc.java_exception.getClass().getName() == ALREADY_EXISTS:
                return False
            raise
        return True

    def _write(self, path, data: bytes, overwrite: bool) -> None:
        out = self._fs.create(path, overwrite)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def delete(self, name: str) -> None:
        """Delete file ``name`` if it exists."""
        self._fs.delete(self._child(name), False)
