"""Where one table's files are: its URI as Spark names it, and how delta-rs and pyarrow reach it."""
from __future__ import annotations

from dataclasses import dataclass, field

from deltalake import DeltaTable
from pyarrow import fs as pafs

from shoplake.lake.object_store import Storage


@dataclass(frozen=True)
class TableLocation:
    """A table's root ``uri`` (a local path, ``s3a://``...) on ``storage``; printed as its URI."""

    uri: str
    storage: Storage = field(default_factory=Storage)

    def __str__(self) -> str:
        return self.uri

    def delta_table(self, version: int | None = None) -> DeltaTable:
        """The table opened with delta-rs (latest, or at ``version``)."""
        uri, options = self.storage.delta_location(self.uri)
        return DeltaTable(uri, version=version, storage_options=options)

    def filesystem(self) -> tuple[pafs.FileSystem, str]:
        """pyarrow's filesystem and the table root's path on it."""
        return self.storage.filesystem(self.uri)

    def put_if_absent(self, relative: str, data: bytes) -> bool:
        """Create file ``relative`` (to the table root) whole and only if absent; True when this call created it."""
        return self.storage.put_if_absent(f"{self.uri}/{relative}", data)
