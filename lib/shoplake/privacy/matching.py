"""SQL conditions that pick out one customer's rows: raw identifiers in bronze text, pseudonyms elsewhere.

Conditions are Spark SQL text; identifiers are escaped here, so a value with quotes, backslashes or
regex characters matches itself and nothing else.
"""
from __future__ import annotations

from collections.abc import Iterable

# A token must not continue into a longer id, email or domain on either side.
_BEFORE = r"(?<![A-Za-z0-9_.+@-])"
_AFTER = r"(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"


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


def sql_string(text: str) -> str:
    """``text`` as a Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_column(name: str) -> str:
    """``name`` as a quoted Spark SQL column reference."""
    return "`" + name.replace("`", "``") + "`"


def raw_text_condition(columns: Iterable[str], ids: Iterable[str], emails: Iterable[str] = ()) -> str:
    """True where any of the text ``columns`` contains one of the raw ``ids`` or ``emails`` as a whole token."""
    pattern = sql_string(token_regex(ids, emails))
    return " OR ".join(f"coalesce({sql_column(c)} RLIKE {pattern}, false)" for c in columns)


def pseudonym_condition(columns: Iterable[str], pseudonyms: Iterable[str]) -> str:
    """True where any of the id ``columns`` holds one of ``pseudonyms``."""
    values = ", ".join(sql_string(p) for p in sorted(set(pseudonyms)))
    return " OR ".join(f"coalesce({sql_column(c)} IN ({values}), false)" for c in columns)
