"""Which table and version a command reads: names from the catalogue, tables the lake holds, versions it keeps."""
from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame

from shoplake.catalog import TABLES, table, tables_of_layer
from shoplake.explore.errors import ExploreError
from shoplake.lake import LAYERS, Lake, VersionNotFound


def catalogued(name: str) -> str:
    """``name`` when the catalogue lists it; else an :class:`ExploreError` naming the tables of its layer."""
    if name in TABLES:
        return name
    layer = name.split(".", 1)[0]
    if layer in LAYERS:
        raise ExploreError(f"no table {name!r} in the catalogue; {layer} tables: {', '.join(tables_of_layer(layer))}")
    raise ExploreError(f"no table {name!r} in the catalogue; tables are named layer.name, layers: {', '.join(LAYERS)}")


def read_at(lake: Lake, name: str, version: int | None = None) -> tuple[DataFrame, int]:
    """The rows of catalogued table ``name`` at ``version`` (the latest when None), and the version read.

    An :class:`ExploreError` when the lake does not hold the table yet, or not that version.
    """
    if not lake.exists(name):
        writers = ", ".join(table(name).written_by) or "no job"
        raise ExploreError(f"{name} has not been written yet (no Delta table at {lake.path(name)}); "
                           f"written by: {writers}")
    version = lake.version(name) if version is None else version
    try:
        return lake.read(name, version=version), version
    except VersionNotFound:
        kept = spans(commit.version for commit in lake.history(name))
        raise ExploreError(f"{name} has no version {version}; its versions: {kept}") from None


def spans(numbers: Iterable[int]) -> str:
    """Numbers as sorted runs: ``0-3, 5, 7-8``."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
