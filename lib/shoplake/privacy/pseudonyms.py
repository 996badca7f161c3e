"""Keyed pseudonyms: HMAC-SHA256 of an identifier, computed in Spark expressions (no UDF).

The same id and key always give the same pseudonym, so joins across tables still work;
without the key a pseudonym cannot be reversed or recomputed from a guessed id. Where the key
comes from: :mod:`shoplake.privacy.keys`.
"""
from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import Column
from pyspark.sql import functions as F

_BLOCK = 64  # SHA-256 block size in bytes


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonymize(column: Column, key: bytes) -> Column:
    """HMAC-SHA256 of ``column`` (as UTF-8 text) under ``key``, as 64 hex characters; null stays null."""
    inner_pad, outer_pad = _pads(key)
    message = column.cast("string").cast("binary")
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message), 256))
    return F.when(column.isNull(), F.lit(None)).otherwise(F.sha2(F.concat(F.lit(outer_pad), inner), 256))


def pseudonym(value: str, key: bytes) -> str:
    """The same pseudonym computed in Python (for erasure requests and tests)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
