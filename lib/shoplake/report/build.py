"""Build the report from the lake, write it to one HTML file and log it to MLflow (family ``report``)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import mlflow

from shoplake.config import Settings
from shoplake.config.settings import MlflowSettings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake import tracking
from shoplake.report.html import render
from shoplake.report.inputs import Inputs
from shoplake.report.model import Section, SectionUnavailable
from shoplake.report.sections import SECTIONS

log = get_logger(__name__)
FAMILY = "report"
TITLE = "shoplake report"


@dataclass(frozen=True)
class Report:
    """A written report: where it is, its sections and the table versions it read."""

    path: str
    sections: list[Section]
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def rendered(self) -> list[str]:
        return [s.key for s in self.sections if s.content is not None]

    @property
    def unavailable(self) -> list[str]:
        return [s.key for s in self.sections if s.content is None]


def build_sections(lake: Lake, settings: Settings) -> tuple[list[Section], dict[str, int]]:
    """Every section (drawn, or why not) and the version of each table read."""
    inputs = Inputs(lake)
    sections = []
    for number, (key, title, build) in enumerate(SECTIONS, start=1):
        try:
            sections.append(Section(key, title, build(inputs, settings)))
            log.info("report [%d/%d] %s: drawn", number, len(SECTIONS), key)
        except SectionUnavailable as exc:
            sections.append(Section(key, title, unavailable=str(exc)))
            log.info("report [%d/%d] %s: %s", number, len(SECTIONS), key, exc)
    return sections, inputs.versions


def write_report(lake: Lake, settings: Settings, out: str | None = None) -> Report:
    """Build the report into ``out`` (default ``report.output``) and return what it holds."""
    path = Path(os.path.expanduser(out or settings.report.output))
    sections, versions = build_sections(lake, settings)
    facts = {"generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "environment": settings.env,
             "lake": lake.root}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(TITLE, sections, facts, versions), encoding="utf-8")
    report = Report(str(path), sections, versions)
    log.info("report written to %s: %d section(s) drawn, %d not built yet", path, len(report.rendered),
             len(report.unavailable))
    return report


def log_report(store: MlflowSettings, report: Report) -> str:
    """Log the report file, the table versions it read and its section counts as one MLflow run; return its id."""
    with tracking.start_run(store, FAMILY, run_name="report") as run:
        tracking.log_table_versions(report.versions)
        mlflow.log_metrics({"sections_drawn": len(report.rendered), "sections_unavailable": len(report.unavailable)})
        mlflow.set_tag("sections_unavailable", ",".join(report.unavailable) or "none")
        mlflow.log_artifact(report.path)
    return run.info.run_id
