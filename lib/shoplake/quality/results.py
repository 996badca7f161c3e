"""One result format for every check: :class:`CheckResult`, a row of ``ops.dq_results``.

``observed_value`` and ``details`` are JSON text: the observed value as Great Expectations
reports it (a count, a share, a timestamp, or the unexpected count and share of a row-level
check), and the expectation's arguments, GE's details, example values and any error. A check
that was skipped (it refers to a table the lake does not have) has ``success`` None and the
reason in its details: it neither passed nor failed.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from shoplake.catalog import OPS_DQ_RESULTS, table

RESULTS_SCHEMA = table(OPS_DQ_RESULTS).struct()
ADDED_COLUMNS = ("reference_versions",)  # null in rows written before the column was added
_MAP_KEYS = ("unexpected_count", "unexpected_percent", "element_count", "missing_count")
_NOT_EXPECTATIONS = ("column", "batch_id", "catch_exceptions", "result_format")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of one table version in one quality run."""

    run_id: str
    checked_at: datetime
    table: str
    table_version: int
    check: str
    kind: str
    expectation: str
    column: str | None
    severity: str
    success: bool | None
    observed_value: str
    details: str
    table_seconds: float
    reference_versions: Mapping[str, int | None] | None = None

    @property
    def failed(self) -> bool:
        """True when the check ran and failed."""
        return self.success is False

    @property
    def skipped(self) -> bool:
        """True when the check was not run (``details`` says why)."""
        return self.success is None

    @property
    def failed_critical(self) -> bool:
        """True when the check failed and its severity is critical."""
        return self.failed and self.severity == "critical"

    def observed(self) -> Any:
        """The observed value, parsed from JSON."""
        return json.loads(self.observed_value) if self.observed_value else None

    def details_dict(self) -> dict:
        """The details, parsed from JSON."""
        return json.loads(self.details) if self.details else {}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CheckResult:
        """A result from a row of ``ops.dq_results`` (a Spark Row's ``asDict()``; added columns may be absent)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row or f.name not in ADDED_COLUMNS})

    def as_row(self) -> tuple:
        """The values in ``RESULTS_SCHEMA`` order."""
        return tuple(asdict(self)[f.name] for f in RESULTS_SCHEMA.fields)


def to_json(value: Any) -> str:
    """JSON text of a GE value: timestamps as ISO strings, NaN and infinities as null."""
    return json.dumps(_plain(value), sort_keys=True, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _plain(value.item())
    return value


def observed_of(result: Mapping[str, Any]) -> Any:
    """What a GE result observed: its ``observed_value``, or the unexpected counts of a row-level check."""
    if "observed_value" in result:
        return result["observed_value"]
    counts = {k: result[k] for k in _MAP_KEYS if k in result}
    return counts or None


def details_of(kwargs: Mapping[str, Any], result: Mapping[str, Any], error: str | None,
               baseline_run: str | None) -> dict:
    """The details kept beside the observed value: arguments, GE details, examples, error, baseline run."""
    expected = {k: v for k, v in kwargs.items() if k not in _NOT_EXPECTATIONS and v is not None}
    details = {"expected": expected}
    if result.get("details"):
        details["details"] = result["details"]
    if result.get("partial_unexpected_list"):
        details["examples"] = result["partial_unexpected_list"]
    if error:
        details["error"] = error
    if baseline_run:
        details["baseline_run"] = baseline_run
    return details
