"""Strict decoding of one input file's bytes into text lines, every byte accounted for.

A file is read by its content, not its name: gzip and bzip2 streams (known by their magic bytes)
are decompressed. Content that is not text (NUL bytes, as in binary files and UTF-16/32, or a
UTF-16/32 byte-order mark) or that does not decompress makes the whole file one record with
reason ``unreadable_file``. Otherwise the content is split into lines the way Hadoop's text
source splits them (``\\n``, ``\\r\\n`` or ``\\r``; no empty line after a final line break), and
each line is decoded as strict UTF-8: a line that is not valid UTF-8 gets reason
``invalid_encoding``. A record with a reason keeps its bytes losslessly as base64 text.
"""
from __future__ import annotations

import base64
import bz2
import gzip
import zlib
from collections.abc import Iterator
from typing import NamedTuple

INVALID_ENCODING = "invalid_encoding"
UNREADABLE_FILE = "unreadable_file"
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
WIDE_TEXT_MARKS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 (and UTF-32 LE) byte-order marks


class Line(NamedTuple):
    """One record of a file: its text (strict, or with U+FFFD where bytes are invalid), and for a
    record that cannot be ingested as text, its bytes as base64, the reason and what was wrong."""

    value: str | None
    raw_base64: str | None = None
    reason: str | None = None
    detail: str | None = None


class UnreadableContent(ValueError):
    """The file's content is not text this ingest can read (the message says why)."""


def text_content(data: bytes) -> bytes:
    """The file's bytes, decompressed when they are a gzip or bzip2 stream; raises :class:`UnreadableContent`."""
    try:
        if data.startswith(GZIP_MAGIC):
            data = gzip.decompress(data)
        elif data.startswith(BZIP2_MAGIC) and data[3:4].isdigit():
            data = bz2.decompress(data)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise UnreadableContent(f"corrupt compressed stream: {exc}") from exc
    if data.startswith(WIDE_TEXT_MARKS) or data.startswith(b"\x00\x00\xfe\xff"):
        raise UnreadableContent("UTF-16/32 text (byte-order mark); inputs must be UTF-8")
    if b"\x00" in data:
        raise UnreadableContent("binary content (NUL bytes), or UTF-16/32 text without a byte-order mark")
    return data


def decode_lines(data: bytes) -> Iterator[Line]:
    """The records of one file's bytes: its lines, or one ``unreadable_file`` record holding the whole file."""
    try:
        content = text_content(data)
    except UnreadableContent as exc:
        yield Line(None, base64.b64encode(data).decode("ascii"), UNREADABLE_FILE, str(exc))
        return
    for number, raw in enumerate(content.splitlines(), start=1):
        try:
            yield Line(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Line(raw.decode("utf-8", "replace"), base64.b64encode(raw).decode("ascii"), INVALID_ENCODING,
                       f"line {number}, byte {exc.start + 1}: {exc.reason}")
