"""The one shape of a step: a context in, an outcome out."""
from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from pyspark.sql import SparkSession

from shoplake.config import Settings
from shoplake.lake import Lake, open_lake


class StepNotRun(Exception):
    """Raised by a step that cannot do its work yet (no model registered, say): the pipeline records the
    reason and goes on; a job ends with the reason as one line and exit code 1."""


@dataclass
class StepContext:
    """What a step works with: the session, the settings, the lake and the options of the door it came
    through (a job's parsed flags, or the pipeline's); an option the door does not have reads as its default."""

    spark: SparkSession
    settings: Settings
    args: argparse.Namespace = field(default_factory=argparse.Namespace)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @cached_property
    def lake(self) -> Lake:
        """The lake of ``settings`` (opened once per context)."""
        return open_lake(self.spark, self.settings)

    def with_options(self, **options) -> StepContext:
        """This context with ``options`` set on top of the door's."""
        return dataclasses.replace(self, args=argparse.Namespace(**{**vars(self.args), **options}))

    def option(self, name: str, default=None):
        """The door's option ``name``, or ``default`` when it has none or left it unset."""
        value = getattr(self.args, name, None)
        return default if value is None else value


@dataclass
class StepOutcome:
    """What a step did: table versions read and written, figures to report, MLflow runs created."""

    read: dict[str, int] = field(default_factory=dict)
    wrote: dict[str, int] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_summary(cls, summary: Mapping, *parts: Mapping, wrote: Mapping[str, int] | None = None) -> StepOutcome:
        """An outcome from a summary dict: its scalar entries as figures, the ``run_id`` of it and of ``parts``."""
        figures = {k: v for k, v in summary.items() if isinstance(v, (str, int, float)) and k != "run_id"}
        run_ids = [p["run_id"] for p in (summary, *parts) if isinstance(p, Mapping) and p.get("run_id")]
        return cls(wrote=dict(wrote or {}), figures=figures, run_ids=run_ids)


def format_versions(versions: Mapping[str, int]) -> str:
    """``silver.events@v3, silver.sessions@v2`` (``none`` when empty), as the logs name table versions."""
    return ", ".join(f"{table}@v{version}" for table, version in versions.items()) or "none"
