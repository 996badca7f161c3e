"""Keyed pseudonyms: HMAC-SHA256 of an identifier, computed in Spark expressions (no UDF).

The same id and key always give the same pseudonym, so joins across tables still work;
without the key a pseudonym cannot be reversed or recomputed from a guessed id.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.log import get_logger

log = get_logger(__name__)
DEVELOPMENT_KEY = "shoplake-development-key-not-for-production"
_BLOCK = 64  # SHA-256 block size in bytes


class MissingPseudonymKey(RuntimeError):
    """The configuration requires a pseudonymization key and none was given."""


def resolve_key(settings: Settings, environ: Mapping[str, str]) -> bytes:
    """The pseudonymization key from the config or its environment variable (never logged)."""
    privacy = settings.privacy
    key = privacy.key or environ.get(privacy.key_env, "")
    if key:
        return key.encode()
    if privacy.require_key:
        raise MissingPseudonymKey(
            f"no pseudonymization key: set the environment variable {privacy.key_env} or privacy.key "
            f"in {settings.source_file or 'the config'} (privacy.require_key is true)"
        )
    log.warning("no pseudonymization key set (%s); using the development key", privacy.key_env)
    return DEVELOPMENT_KEY.encode()


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
