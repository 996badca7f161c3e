"""Conditions that pick out one customer's rows: raw identifiers in bronze text, keyed hashes everywhere.

Raw identifiers are escaped into the regex here, so a value with quotes, backslashes or regex
characters matches itself and nothing else. Hash conditions compare the HMAC of a value with
recorded hashes, so they need no raw identifier at all. Quarantined bytes (base64) are searched
through :func:`text_of_bytes`.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from shoplake.privacy.pseudonyms import pseudonymize

# A token must not continue into a longer id, email or domain on either side.
_BEFORE = r"(?<![A-Za-z0-9_.+@-])"
_AFTER = r"(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"
_BASE64 = r"^[A-Za-z0-9+/]+={0,2}$"  # and a length that is a multiple of 4


def _quoted(token: str) -> str:
    return r"\Q" + token.replace(r"\E", r"\E\\E\Q") + r"\E"


def token_regex(exact: Iterable[str] = (), caseless: Iterable[str] = ()) -> str:
    """A Java regex matching any token as a whole (``u42`` matches ``"u42"``, not ``u421``).

    ``exact`` tokens (ids) match as written; ``caseless`` ones (emails) in any letter case.
    """
    alternatives = [_quoted(t) for t in sorted(set(exact))] + [f"(?i:{_quoted(t)})" for t in sorted(set(caseless))]
    if not alternatives:
        raise ValueError("no identifiers to match")
    return f"{_BEFORE}(?:{'|'.join(alternatives)}){_AFTER}"


def raw_text_condition(texts: Iterable[Column], ids: Iterable[str], emails: Iterable[str] = ()) -> Column:
    """True where any of ``texts`` contains one of the raw ``ids`` or ``emails`` as a whole token (never null)."""
    pattern = token_regex(ids, emails)
    return reduce(Column.__or__, [F.coalesce(t.rlike(pattern), F.lit(False)) for t in texts])


def text_of_bytes(column: Column) -> Column:
    """The text inside a column holding base64 bytes (a quarantined line or file that was not UTF-8); else null.

    Bytes are read as ISO-8859-1, which maps every byte to a character, so nothing fails to decode,
    ASCII identifiers read as themselves and a Latin-1 line reads as written; NUL bytes are dropped,
    so ASCII text in UTF-16 or UTF-32 reads as itself too. A JSON line or plain text is never base64.
    """
    data = F.try_to_binary(column, F.lit("base64"))
    base64 = column.rlike(_BASE64) & (F.length(column) % 4 == 0)
    return F.when(base64, F.regexp_replace(F.decode(data, "ISO-8859-1"), r"\x00", ""))


def hashed_condition(values: Iterable[Column], hashes: Iterable[str], key: bytes) -> Column:
    """True where the HMAC under ``key`` of any of ``values`` is one of ``hashes`` (never null)."""
    wanted = sorted(set(hashes))
    checks = [F.coalesce(pseudonymize(v, key).isin(wanted), F.lit(False)) for v in values]
    if not checks or not wanted:
        raise ValueError("a hash condition needs values and hashes")
    return reduce(Column.__or__, checks)
