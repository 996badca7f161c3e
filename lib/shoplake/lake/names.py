"""Table names (``layer.name``) and where they live: the only place that builds table paths."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from shoplake.lake.errors import InvalidTableName

LAYERS = ("bronze", "silver", "gold", "ops")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass(frozen=True)
class TableName:
    """A validated ``layer.name`` table name."""

    layer: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """Parse ``layer.name``; raise :class:`InvalidTableName` saying what is wrong."""
        if not isinstance(text, str) or text.count(".") != 1:
            raise InvalidTableName(f"table name {text!r} must be 'layer.name', e.g. 'silver.events'")
        layer, name = text.split(".")
        if layer not in LAYERS:
            raise InvalidTableName(f"table name {text!r}: unknown layer {layer!r} (layers: {', '.join(LAYERS)})")
        if not _IDENTIFIER.match(name):
            raise InvalidTableName(
                f"table name {text!r}: {name!r} must start with a lowercase letter and hold only a-z, 0-9 and _"
            )
        return cls(layer, name)

    def __str__(self) -> str:
        return f"{self.layer}.{self.name}"


def lake_root(root: str) -> str:
    """The lake root as an absolute local path, or unchanged when it is a URI (``s3a://``, ``hdfs://``)."""
    return root.rstrip("/") if _URI.match(root) else os.path.abspath(os.path.expanduser(root))


def table_path(root: str, table: TableName) -> str:
    """``<root>/<layer>/<name>`` for an already absolute root (see :func:`lake_root`)."""
    return f"{root}/{table.layer}/{table.name}"
