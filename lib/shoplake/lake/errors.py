"""The lake's exceptions: one base class, one subclass per thing a caller may handle."""
from __future__ import annotations


class LakeError(Exception):
    """Base class of every error the lake raises on purpose."""


class InvalidTableName(LakeError, ValueError):
    """A table name is not ``layer.name`` with a known layer and a valid identifier."""


class TableNotFound(LakeError):
    """No Delta table exists under the resolved path."""


class TableExists(LakeError):
    """``create`` was asked for a table that already exists."""


class NotADeltaTable(LakeError):
    """The table's path holds files but no Delta transaction log."""


class VersionNotFound(LakeError):
    """Time travel asked for a version or timestamp the table's log does not have."""


class SchemaMismatch(LakeError):
    """The data's columns or types do not match the table; the message names the columns."""


class ConcurrentWriteConflict(LakeError):
    """Another writer committed a change that conflicts with this one; nothing was committed."""
