"""What a report section holds: figures as PNG bytes, small tables (cells may be images), notes."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Image:
    """A small picture in a table cell (a product photo), as PNG bytes."""

    png: bytes
    alt: str


@dataclass(frozen=True)
class Table:
    """A small table: column headers and rows of text, numbers or :class:`Image` lists."""

    columns: list[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class Content:
    """What a section shows: a one-line summary, figures as PNG bytes and small tables."""

    summary: str
    figures: list[bytes] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One part of the report: its content, or why it has none (``unavailable``, e.g. which job to run)."""

    key: str
    title: str
    content: Content | None = None
    unavailable: str = ""


class SectionUnavailable(Exception):
    """A section cannot be drawn: an input table is missing, lacks columns or holds no rows."""
