"""Referential checks against the lake: the version of each referenced table a check ran against, the
result of a reference to a table the lake does not have, and the results a new version of a referenced
table makes out of date.

A check of table T against table R depends on R as much as on T: when R gets a new version (a missing
catalogue loaded, say), a failed or skipped check of T is out of date although T did not change, and the
gate checks T again instead of refusing it on the old result.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

import great_expectations.expectations as gxe

from shoplake.catalog import OPTIONAL_INPUTS
from shoplake.lake import Lake
from shoplake.quality.results import CheckResult, to_json


def referenced_versions(lake: Lake, references: Iterable[str]) -> dict[str, int | None]:
    """The current version of each referenced table; None for a table the lake does not have."""
    return {ref: lake.version(ref) if lake.exists(ref) else None for ref in dict.fromkeys(references)}


def reference_view(lake: Lake, reference: str, version: int, columns: Sequence[str], run_id: str) -> str:
    """A temporary view of the referenced table's key ``columns`` at ``version``; returns its name."""
    name = f"dq_ref_{reference.replace('.', '_')}_{run_id[:8]}"
    lake.read(reference, version=version).select(*columns).createOrReplaceTempView(name)
    return name


def version_label(reference: str, version: int | None) -> str:
    """``silver.products v3``, or ``silver.products (missing)`` for a table the lake did not have."""
    return f"{reference} v{version}" if version is not None else f"{reference} (missing)"


def missing_reason(reference: str) -> str:
    """Why a check against ``reference`` was skipped: ``silver.products is not in the lake (no product catalogue)``."""
    optional = next((o for o in OPTIONAL_INPUTS if reference in o.tables), None)
    return f"{reference} is not in the lake" + (f" ({optional.reason})" if optional else "")


def skipped_reference(run: CheckResult, check: str, column: str, reference: str, severity: str) -> CheckResult:
    """The result of a referential check not run because the lake does not have ``reference``; the run, table,
    version and time are those of ``run``, another result of the same table in the same run."""
    return dataclasses.replace(
        run, check=check, kind="referential", expectation=gxe.UnexpectedRowsExpectation.expectation_type,
        column=column, severity=severity, success=None, observed_value=to_json(None),
        details=to_json({"skipped": missing_reason(reference)}), reference_versions={reference: None},
    )


def out_of_date(lake: Lake, results: Iterable[CheckResult]) -> list[str]:
    """Why each failed or skipped referential result is out of date: a table it referred to is at another version
    now (or the versions were not recorded, in results written before they were); empty when none is."""
    reasons = []
    for result in results:
        if result.kind != "referential" or result.success:
            continue
        if result.reference_versions is None:
            reasons.append(f"{result.check} was checked before referenced versions were recorded")
            continue
        current = referenced_versions(lake, result.reference_versions)
        reasons += [f"{result.check} was checked against {version_label(ref, then)}, now "
                    f"{version_label(ref, current[ref])}"
                    for ref, then in result.reference_versions.items() if current[ref] != then]
    return reasons


def out_of_date_tables(lake: Lake, results: Mapping[str, Sequence[CheckResult]]) -> dict[str, list[str]]:
    """Per table, why its results are out of date (see :func:`out_of_date`); tables whose results are not, absent."""
    return {table: reasons for table, checks in results.items() if (reasons := out_of_date(lake, checks))}
