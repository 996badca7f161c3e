"""The data-quality exceptions a caller may handle."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shoplake.quality.results import CheckResult


class QualityError(Exception):
    """A quality run cannot do what it was asked (a missing table, an unknown check)."""


class QualityGateFailed(QualityError):
    """The current version of an input table failed a critical check; the job must not read it.

    ``failures`` maps each failing table to its failed critical checks; ``versions`` holds the
    table versions the gate looked at.
    """

    def __init__(self, versions: Mapping[str, int], failures: Mapping[str, Sequence[CheckResult]]):
        from shoplake.quality.describe import describe

        self.versions = dict(versions)
        self.failures = {table: list(results) for table, results in failures.items() if results}
        lines = [
            f"{table} version {self.versions[table]} failed {len(results)} critical data-quality "
            f"check{'s' if len(results) != 1 else ''}:" + "".join(f"\n  - {r.check}: {describe(r)}" for r in results)
            for table, results in self.failures.items()
        ]
        super().__init__(
            "refusing to read data that failed its quality checks.\n" + "\n".join(lines)
            + "\nFix the data (a new version of the table, or of a table it refers to, is checked on its next use) "
            "and see `shoplake dq report`."
        )
