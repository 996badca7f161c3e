"""The report's reads: each table once, at its current version, with its columns checked."""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame

from shoplake.catalog import OptionalInput
from shoplake.lake import Lake
from shoplake.report.model import SectionUnavailable


class Inputs:
    """Reads lake tables for the report and remembers the version of each table it read."""

    def __init__(self, lake: Lake):
        self.lake = lake
        self.versions: dict[str, int] = {}

    def require(self, name: str, columns: Sequence[str], job: str) -> DataFrame:
        """``name`` at its current version; :class:`SectionUnavailable` naming ``job`` if it is not built yet."""
        if not self.lake.exists(name):
            raise SectionUnavailable(f"not built yet: {name} is missing; run `shoplake run {job}`")
        version = self.versions.setdefault(name, self.lake.version(name))
        df = self.lake.read(name, version=version)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SectionUnavailable(f"{name} lacks the column(s) {', '.join(missing)} this section reads; "
                                     f"rebuild it with `shoplake run {job}`")
        return df

    def require_input(self, optional: OptionalInput, shows: str) -> None:
        """:class:`SectionUnavailable` beginning ``no clickstream`` when the shop does not send ``optional``."""
        if not optional.present(self.lake.exists):
            raise SectionUnavailable(f"{optional.reason}: {' and '.join(optional.tables)} not in the lake, so there "
                                     f"is no {shows}")

    def optional(self, name: str, columns: Sequence[str]) -> DataFrame | None:
        """``name`` like :meth:`require`, or None when it is missing or lacks ``columns``."""
        try:
            return self.require(name, columns, job="")
        except SectionUnavailable:
            return None


def rows(df: DataFrame, what: str) -> list[dict]:
    """The (small, already aggregated) rows of ``df`` as dicts; :class:`SectionUnavailable` when there are none."""
    collected = [r.asDict() for r in df.collect()]
    if not collected:
        raise SectionUnavailable(f"no data yet: {what} is empty")
    return collected
