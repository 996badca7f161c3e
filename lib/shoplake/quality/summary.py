"""The readable summary of the latest quality run of each table, failures first (``shoplake dq report``)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from shoplake.catalog import OPS_DQ_RESULTS
from shoplake.lake import Lake
from shoplake.quality.describe import describe
from shoplake.quality.results import CheckResult
from shoplake.quality.store import latest_results

STATUS_ORDER = {"FAILED": 0, "WARNING": 1, "PASSED": 2}


def table_status(results: Sequence[CheckResult]) -> str:
    """``FAILED`` (a critical check failed), ``WARNING`` (a warning failed) or ``PASSED``."""
    if any(r.failed_critical for r in results):
        return "FAILED"
    return "WARNING" if any(r.failed for r in results) else "PASSED"


def format_report(latest: Mapping[str, Sequence[CheckResult]]) -> str:
    """Text of the report: one block per table, failed tables first, failed checks under each."""
    if not latest:
        return f"No data-quality results yet ({OPS_DQ_RESULTS} is empty): run `shoplake run quality_checks`."
    order = sorted(latest, key=lambda t: (STATUS_ORDER[table_status(latest[t])], t))
    counts = {s: sum(1 for t in latest if table_status(latest[t]) == s) for s in STATUS_ORDER}
    lines = [f"Data quality, latest run per table: {counts['FAILED']} failed, {counts['WARNING']} with warnings, "
             f"{counts['PASSED']} passed"]
    width = max(len(t) for t in latest)
    for table in order:
        results = sorted(latest[table], key=lambda r: (not r.failed, r.skipped, r.severity != "critical", r.check))
        first = results[0]
        failed = [r for r in results if r.failed]
        skipped = [r for r in results if r.skipped]
        lines.append(
            f"{table_status(results):<7}  {table:<{width}}  v{first.table_version:<4} "
            f"{first.checked_at:%Y-%m-%d %H:%M}  {len(results)} checks, {len(failed)} failed"
            f"{f', {len(skipped)} skipped' if skipped else ''}  {first.table_seconds:.1f}s  run {first.run_id}"
        )
        lines.extend(f"    {r.severity:<8} {r.check}: {describe(r)}" for r in failed + skipped)
    return "\n".join(lines)


def report(lake: Lake, tables: Sequence[str] | None = None) -> str:
    """The report of ``tables`` (default: every table with results) from ``ops.dq_results``."""
    latest = latest_results(lake, tables)
    unchecked = [t for t in tables or () if t not in latest]
    if unchecked and not latest:
        return f"No data-quality results for {', '.join(unchecked)}: run `shoplake run quality_checks --table TABLE`."
    return format_report(latest) + (f"\nNo results for {', '.join(unchecked)}." if unchecked else "")
