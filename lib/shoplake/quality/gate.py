"""The gate downstream jobs call before they read: no failed critical check on the current version.

A version that was never checked is checked on the spot (its suite runs and its results are
recorded like any other run), so no version slips past the gate unchecked. So is a version whose
referential check failed or was skipped against a table that has another version now (a missing
catalogue loaded since): the fix is seen without a manual re-run. Warnings and skipped checks are
logged and let through.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.quality.errors import QualityGateFailed
from shoplake.quality.checks import check_versions, current_versions
from shoplake.quality.references import out_of_date_tables
from shoplake.quality.store import results_for_versions

log = get_logger(__name__)


def require_passing(lake: Lake, settings: Settings, tables: Sequence[str], *,
                    now: datetime | None = None) -> dict[str, int]:
    """Return ``{table: version}`` of the tables' current versions once none failed a critical check.

    Raises :class:`QualityGateFailed` listing the failed checks of each failing table, or
    :class:`QualityError` when a table does not exist. Read the returned versions, so the job
    reads exactly what passed. ``now`` is passed to the checks of versions never checked, or checked
    again because a table they refer to changed.
    """
    versions = current_versions(lake, tables)
    results = results_for_versions(lake, versions)
    unchecked = [t for t in versions if t not in results]
    if unchecked:
        log.info("gate: %s never checked; running the checks now", ", ".join(f"{t} v{versions[t]}" for t in unchecked))
    stale = out_of_date_tables(lake, results)
    for table, reasons in stale.items():
        log.info("gate: %s v%d: %s; checking it again", table, versions[table], "; ".join(reasons))
    due = {t: v for t, v in versions.items() if t in unchecked or t in stale}
    if due:
        results.update(check_versions(lake, settings, due, now=now).results())
    failures = {t: [r for r in results[t] if r.failed_critical] for t in versions}
    for table in versions:
        warned = [r.check for r in results[table] if r.failed and not r.failed_critical]
        if warned:
            log.warning("gate: %s v%d passes with warnings: %s", table, versions[table], ", ".join(warned))
        for skipped in (r for r in results[table] if r.skipped):
            log.info("gate: %s v%d: %s skipped: %s", table, versions[table], skipped.check,
                     skipped.details_dict().get("skipped"))
    if any(failures.values()):
        raise QualityGateFailed(versions, failures)
    log.info("gate: %s passed", ", ".join(f"{t} v{v}" for t, v in versions.items()))
    return versions
