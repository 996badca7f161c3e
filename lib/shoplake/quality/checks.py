"""Run the suites: validate tables with Great Expectations, record the results, log Data Docs.

:func:`check_tables` is the one entry point (the ``quality_checks`` job, the pipeline after each
layer through :func:`check_layer`, and the gate for a version never checked). Each table is
read at one version, persisted for the duration of its single GE validation, and unpersisted.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

import mlflow
from pyspark import StorageLevel

from shoplake.config import Settings
from shoplake.config.settings import QualitySettings
from shoplake.lake import Lake
from shoplake.lake.errors import LakeError
from shoplake.log import get_logger
from shoplake.tracking import log_table_versions, start_run
from shoplake.quality.errors import QualityError
from shoplake.quality.expectations import ExpectationsRun
from shoplake.quality.quarantine_volume import quarantine_limits
from shoplake.quality.references import (out_of_date_tables, reference_view, referenced_versions, skipped_reference,
                                         version_label)
from shoplake.quality.results import CheckResult, details_of, observed_of, to_json
from shoplake.quality.store import append_results, baselines, results_for_versions
from shoplake.quality.suites import SuiteContext, build_checks, known_check, severity_of
from shoplake.quality.specs import known_tables, spec_for

log = get_logger(__name__)
FAMILY = "quality"


@dataclass(frozen=True)
class TableOutcome:
    """One table's part of a run: the version checked, its results and how long it took."""

    table: str
    version: int
    results: list[CheckResult]
    seconds: float

    @property
    def failed(self) -> list[CheckResult]:
        """The failed critical checks."""
        return [r for r in self.results if r.failed_critical]

    @property
    def warnings(self) -> list[CheckResult]:
        """The failed checks of severity warning."""
        return [r for r in self.results if r.failed and not r.failed_critical]

    @property
    def skipped(self) -> list[CheckResult]:
        """The checks not run (references to tables the lake does not have)."""
        return [r for r in self.results if r.skipped]

    @property
    def status(self) -> str:
        """``failed`` (a critical check failed), ``warning`` or ``passed``."""
        return "failed" if self.failed else "warning" if self.warnings else "passed"


@dataclass(frozen=True)
class QualityRun:
    """The outcome of one :func:`check_tables` call; ``run_id`` is also the MLflow run id."""

    run_id: str | None
    checked_at: datetime
    tables: list[TableOutcome] = field(default_factory=list)
    docs_uri: str | None = None

    @property
    def failed_tables(self) -> list[str]:
        """Tables whose checked version failed a critical check."""
        return [t.table for t in self.tables if t.failed]

    def results(self) -> dict[str, list[CheckResult]]:
        """Results by table."""
        return {t.table: t.results for t in self.tables}

    def summary(self) -> dict:
        """Figures for a log line or a pipeline step summary."""
        return {
            "run_id": self.run_id,
            "tables": len(self.tables),
            "checks": sum(len(t.results) for t in self.tables),
            "failed": {t.table: [r.check for r in t.failed] for t in self.tables if t.failed},
            "warnings": sum(len(t.warnings) for t in self.tables),
            "skipped": sum(len(t.skipped) for t in self.tables),
            "seconds": {t.table: round(t.seconds, 1) for t in self.tables},
        }


def check_tables(lake: Lake, settings: Settings, tables: Sequence[str] | None = None, *,
                 changed_only: bool = False, now: datetime | None = None) -> QualityRun:
    """Validate the current version of ``tables`` (default: every table with a spec that exists).

    With ``changed_only`` a table whose current version already has results is skipped, unless a table
    it refers to changed since a referential check of it failed or was skipped. ``now`` (default: the
    current local time) is what freshness and not-in-the-future checks compare to. Results go to
    ``ops.dq_results``; Data Docs and figures to an MLflow run of family ``quality``.
    """
    wanted = list(tables) if tables is not None else [t for t in known_tables() if lake.exists(t)]
    versions = current_versions(lake, wanted)
    if changed_only:
        checked = results_for_versions(lake, versions)
        stale = out_of_date_tables(lake, checked)
        for table, reasons in stale.items():
            log.info("quality: %s v%d checked again: %s", table, versions[table], "; ".join(reasons))
        versions = {t: v for t, v in versions.items() if t not in checked or t in stale}
    return check_versions(lake, settings, versions, now=now)


def check_layer(lake: Lake, settings: Settings, layer: str, *, now: datetime | None = None) -> dict:
    """The pipeline's step after a layer is written: check the layer's changed tables; return the summary."""
    run = check_tables(lake, settings, [t for t in known_tables(layer) if lake.exists(t)], changed_only=True, now=now)
    return run.summary()


def current_versions(lake: Lake, tables: Sequence[str]) -> dict[str, int]:
    """The latest version of each table; a :class:`QualityError` naming the tables that do not exist."""
    try:
        missing = [t for t in tables if not lake.exists(t)]
    except LakeError as exc:
        raise QualityError(f"cannot check tables: {exc}") from exc
    if missing:
        raise QualityError(f"cannot check {', '.join(missing)}: no such table in the lake at {lake.root} "
                           "(run the job that writes it first)")
    return {t: lake.version(t) for t in tables}


def check_versions(lake: Lake, settings: Settings, versions: Mapping[str, int], *,
                   now: datetime | None = None) -> QualityRun:
    """Validate exactly these table versions in one quality run (see :func:`check_tables`)."""
    now = _local_naive(now or datetime.now())
    if not versions:
        log.info("quality: nothing to check (every table's current version already has results)")
        return QualityRun(None, now)
    previous = baselines(lake, list(versions))
    with ExitStack() as stack:
        docs_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="shoplake-data-docs-"))
        mlflow_run = stack.enter_context(start_run(settings.mlflow, FAMILY, run_name=f"quality {len(versions)} tables",
                                                   tags={"tables": ",".join(versions)}))
        run_id = mlflow_run.info.run_id
        log_table_versions(versions)
        gx_run = ExpectationsRun(run_id, now, docs_dir, settings.quality.unexpected_examples)
        outcomes = []
        for i, (table, version) in enumerate(versions.items(), 1):
            outcome = _check_table(lake, settings.quality, gx_run, run_id, now, table, version, previous.get(table, {}),
                                   quarantine_limits(lake, settings, table, version))
            outcomes.append(outcome)
            log.info("quality %d/%d: %s v%d %s (%d checks, %d critical failed, %d warnings, %d skipped) in %.1fs",
                     i, len(versions), table, version, outcome.status.upper(), len(outcome.results),
                     len(outcome.failed), len(outcome.warnings), len(outcome.skipped), outcome.seconds)
        append_results(lake, [r for o in outcomes for r in o.results])
        gx_run.build_docs()
        mlflow.log_artifacts(docs_dir, "data_docs")
        _log_figures(outcomes)
        docs_uri = mlflow.get_artifact_uri("data_docs/index.html")
    run = QualityRun(run_id, now, outcomes, docs_uri)
    log.info("quality run %s: %d tables, failed: %s; Data Docs: %s", run_id, len(outcomes),
             ", ".join(run.failed_tables) or "none", docs_uri)
    return run


def _check_table(lake: Lake, quality: QualitySettings, gx_run: ExpectationsRun, run_id: str, now: datetime, table: str,
                 version: int, baseline: Mapping[str, CheckResult], quarantine: Mapping[str, int]) -> TableOutcome:
    started = time.monotonic()
    df = lake.read(table, version=version)
    spec = spec_for(table, df.schema)
    ref_versions = referenced_versions(lake, spec.references.values())
    views = {ref: reference_view(lake, ref, v, [c for c, r in spec.references.items() if r == ref], run_id)
             for ref, v in ref_versions.items() if v is not None}
    checks = build_checks(spec, SuiteContext(table, quality, now, baseline, views, quarantine))
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        outcomes = gx_run.validate(table, df, checks)
    finally:
        df.unpersist()
        for view in views.values():
            lake.spark.catalog.dropTempView(view)
    seconds = time.monotonic() - started
    results = []
    for o in outcomes:
        missing = o.check.column is not None and o.check.column not in df.columns
        error = f"the table has no column {o.check.column!r}" if missing else o.error
        details = details_of(o.kwargs, o.result, error, baseline[o.check.name].run_id if o.check.name in baseline
                             else None)
        reference = spec.references[o.check.column] if o.check.kind == "referential" else None
        if reference:
            details["reference"] = version_label(reference, ref_versions[reference])
        results.append(CheckResult(
            run_id=run_id, checked_at=now, table=table, table_version=version, check=o.check.name,
            kind=o.check.kind, expectation=o.check.expectation.expectation_type, column=o.check.column,
            severity=o.check.severity, success=o.success and not missing,
            observed_value=to_json(observed_of(o.result)), details=to_json(details), table_seconds=round(seconds, 3),
            reference_versions={reference: ref_versions[reference]} if reference else None,
        ))
    for column, reference in spec.references.items():
        if ref_versions[reference] is None:
            name = known_check(column)
            results.append(skipped_reference(results[0], name, column, reference,
                                             severity_of(quality, table, name, "referential")))
            log.info("quality: %s v%d: %s skipped: %s", table, version, name, results[-1].details_dict()["skipped"])
    return TableOutcome(table, version, results, seconds)


def _log_figures(outcomes: Sequence[TableOutcome]) -> None:
    mlflow.log_metrics({
        "tables": len(outcomes),
        "checks": sum(len(o.results) for o in outcomes),
        "failed_critical": sum(len(o.failed) for o in outcomes),
        "warnings": sum(len(o.warnings) for o in outcomes),
        **{f"seconds.{o.table}": o.seconds for o in outcomes},
    })
    mlflow.set_tag("failed_tables", ",".join(o.table for o in outcomes if o.failed) or "none")


def _local_naive(moment: datetime) -> datetime:
    """Local wall-clock time without a zone, as PySpark reads and writes timestamps."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment
