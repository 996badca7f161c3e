"""A table's checks as Great Expectations expectations, named, with a kind and a severity.

:func:`build_checks` turns a table's rules (a :class:`~shoplake.catalog.Table`) into one list of
:class:`Check` (one GE suite, validated in one pass). Time checks are relative to ``now``;
volume and drift checks take their bounds from the same check's observed value in the previous
successful run (``baseline``) and, without one, only record the first observation.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

from shoplake.catalog import Table
from shoplake.config.settings import DEFAULT_CHECK_SEVERITY, QualitySettings
from shoplake.quality.quarantine_volume import KIND as QUARANTINE_KIND
from shoplake.quality.quarantine_volume import check_name, quarantine_volume
from shoplake.quality.results import CheckResult

SPARK_TYPE_CLASSES = {
    "string": "StringType", "timestamp": "TimestampType", "date": "DateType", "bigint": "LongType",
    "int": "IntegerType", "double": "DoubleType", "boolean": "BooleanType", "binary": "BinaryType",
    "array": "ArrayType", "struct": "StructType", "map": "MapType",
}

# Share the mix drift check gives a category the previous run did not see, so that a handful of
# new rows moves the divergence a little instead of making it infinite (allowed values catch them).
NEW_CATEGORY_WEIGHT = 0.001


@dataclass(frozen=True)
class Check:
    """One expectation of a table's suite and the name, kind and severity it is reported under."""

    name: str
    kind: str
    column: str | None
    severity: str
    expectation: gxe.Expectation


@dataclass(frozen=True)
class SuiteContext:
    """What a suite depends on besides the spec: the settings, the time, the baseline, reference views.

    ``baseline`` maps check names to their results in the table's previous successful run;
    ``reference_views`` maps a referenced table to the Spark view holding its current rows. A reference
    to a table without a view (the lake does not have it) gets no check: the run records it as skipped.
    ``quarantine_limits`` maps a source to the most quarantine rows it may have (``bronze.quarantine`` only).
    """

    table: str
    settings: QualitySettings
    now: datetime
    baseline: Mapping[str, CheckResult]
    reference_views: Mapping[str, str]
    quarantine_limits: Mapping[str, int] = field(default_factory=dict)


def severity_of(settings: QualitySettings, table: str, check: str, kind: str) -> str:
    """``table:check`` in ``quality.severity``, else the kind there, else the kind's default."""
    return settings.severity.get(f"{table}:{check}") or settings.severity.get(kind) or DEFAULT_CHECK_SEVERITY[kind]


def build_checks(spec: Table, ctx: SuiteContext) -> list[Check]:
    """Every check of a table, in report order: schema, keys, values, references, time, rows, drift."""
    checks: list[Check] = []
    settings = ctx.settings

    def add(name: str, kind: str, column: str | None, expectation: gxe.Expectation) -> None:
        severity = severity_of(settings, ctx.table, name, kind)
        expectation.meta = {"check": name, "kind": kind, "severity": severity}
        expectation.severity = FailureSeverity(severity)
        expectation.catch_exceptions = True
        checks.append(Check(name, kind, column, severity, expectation))

    if spec.columns is not None:
        add("columns", "schema", None,
            gxe.ExpectTableColumnsToMatchSet(column_set=list(spec.columns), exact_match=True))
        for column, ddl in spec.columns.items():
            add(f"{column}_type", "schema", column,
                gxe.ExpectColumnValuesToBeOfType(column=column, type_=SPARK_TYPE_CLASSES[ddl.split("<", 1)[0]]))
    for column in dict.fromkeys([c for key in spec.keys for c in key] + list(spec.required)):
        add(f"{column}_not_null", "key", column, gxe.ExpectColumnValuesToNotBeNull(column=column))
    for key in spec.keys:
        unique = (gxe.ExpectColumnValuesToBeUnique(column=key[0]) if len(key) == 1
                  else gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
        add("_".join(key) + "_unique", "key", key[0] if len(key) == 1 else None, unique)
    for column, values in spec.allowed.items():
        add(f"{column}_allowed", "allowed", column,
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    for column, bounds in spec.ranges.items():
        add(f"{column}_range", "range", column, gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=bounds.min, max_value=bounds.max, strict_min=bounds.strict_min))
    latest = ctx.now + timedelta(minutes=settings.future_tolerance_minutes)
    for column in spec.not_future:
        add(f"{column}_not_future", "range", column, gxe.ExpectColumnValuesToBeBetween(column=column, max_value=latest))
    for column, reference in spec.references.items():
        if reference in ctx.reference_views:
            add(known_check(column), "referential", column,
                known_values(column, reference, ctx.reference_views[reference]))
    if spec.freshness:
        oldest = ctx.now - timedelta(hours=settings.freshness_max_delay_hours)
        add("freshness", "freshness", spec.freshness, gxe.ExpectColumnMaxToBeBetween(column=spec.freshness,
                                                                                     min_value=oldest))
    if spec.not_empty:
        add("not_empty", "rows", None, gxe.ExpectTableRowCountToBeBetween(min_value=1))
    for source, allowed in ctx.quarantine_limits.items():
        add(check_name(source), QUARANTINE_KIND, None, quarantine_volume(source, allowed))
    add("volume", "volume", None, row_count_near(_number(ctx.baseline.get("volume")), settings.volume_max_change))
    for column in spec.drift_nulls:
        name = f"{column}_nulls_drift"
        add(name, "drift", column, non_null_share_near(column, _number(ctx.baseline.get(name)),
                                                       settings.drift_null_share_max_change))
    for column in spec.drift_means:
        name = f"{column}_mean_drift"
        add(name, "drift", column, mean_near(column, _number(ctx.baseline.get(name)), settings.drift_mean_max_change))
    for column in spec.drift_mix:
        name = f"{column}_mix_drift"
        add(name, "drift", column, gxe.ExpectColumnKLDivergenceToBeLessThan(
            column=column, partition_object=previous_mix(ctx.baseline.get(name)), bucketize_data=False,
            threshold=settings.drift_mix_max_divergence, tail_weight_holdout=NEW_CATEGORY_WEIGHT))
    return checks


def known_check(column: str) -> str:
    """The name of the referential check of ``column``: ``product_id_known``."""
    return f"{column}_known"


def known_values(column: str, reference: str, view: str) -> gxe.Expectation:
    """No non-null ``column`` value missing from the reference table's rows in Spark view ``view``."""
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(f"SELECT b.`{column}` FROM {{batch}} b LEFT ANTI JOIN {view} r "
                               f"ON b.`{column}` = r.`{column}` WHERE b.`{column}` IS NOT NULL"),
        description=f"Every non-null {column} is a {column} of {reference}.",
    )


def row_count_near(previous: float | None, max_change: float) -> gxe.Expectation:
    """Row count within ``max_change`` (relative) of the previous one; any count when there is none."""
    if previous is None:
        return gxe.ExpectTableRowCountToBeBetween(min_value=0)
    return gxe.ExpectTableRowCountToBeBetween(min_value=math.floor(previous * (1 - max_change)),
                                              max_value=math.ceil(previous * (1 + max_change)))


def non_null_share_near(column: str, previous: float | None, tolerance: float) -> gxe.Expectation:
    """Share of non-null values within ``tolerance`` (absolute) of the previous share."""
    low, high = (0.0, 1.0) if previous is None else (max(0.0, previous - tolerance), min(1.0, previous + tolerance))
    return gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(column=column, min_value=low, max_value=high)


def mean_near(column: str, previous: float | None, tolerance: float) -> gxe.Expectation:
    """Mean within ``tolerance`` (relative) of the previous mean; unbounded when there is none."""
    if previous is None:
        return gxe.ExpectColumnMeanToBeBetween(column=column, min_value=None, max_value=None)
    low, high = sorted((previous * (1 - tolerance), previous * (1 + tolerance)))
    return gxe.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high)


def previous_mix(previous: CheckResult | None) -> dict | None:
    """The category shares a previous mix check observed (those above zero), or None to only observe."""
    if previous is None:
        return None
    observed = (previous.details_dict().get("details") or {}).get("observed_partition") or {}
    pairs = [(v, w) for v, w in zip(observed.get("values", []), observed.get("weights", [])) if w and w > 0]
    total = sum(w for _, w in pairs)
    if total <= 0:
        return None
    return {"values": [v for v, _ in pairs], "weights": [w / total for _, w in pairs]}


def _number(previous: CheckResult | None) -> float | None:
    value = previous.observed() if previous is not None else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
