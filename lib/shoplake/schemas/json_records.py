"""How a contract's columns are read from a shop's JSON records: the key each column comes from."""
from __future__ import annotations

from collections import Counter

from shoplake.errors import ConfigurationError
from shoplake.schemas.inputs import Contract


def json_keys(contract: Contract, column_map: dict[str, str] | None) -> dict[str, str]:
    """Contract column -> the JSON key it is read from, after a shop's ``{shop_key: column}`` map."""
    keys = {name: name for name in contract.schema.fieldNames()}
    where = f"ingest.column_map.{contract.name}"
    for shop_key, column in (column_map or {}).items():
        if column not in keys:
            raise ConfigurationError(f"{where}: {column!r} is not a contract column (columns: {', '.join(keys)})")
        keys[column] = shop_key
    read_twice = sorted(key for key, n in Counter(keys.values()).items() if n > 1)
    if read_twice:
        raise ConfigurationError(f"{where}: JSON key {read_twice[0]!r} would be read into two columns "
                                 "(map the contract column of that name too)")
    return keys
