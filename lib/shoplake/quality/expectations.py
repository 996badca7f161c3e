"""Great Expectations for one quality run: an ephemeral context that validates Spark DataFrames
(one validation per table, all of its checks in one suite) and builds Data Docs into a folder."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from pyspark.sql import DataFrame

from shoplake.quality.suites import Check

DOCS_SITE = "shoplake"


@dataclass(frozen=True)
class Outcome:
    """What GE said about one check: success, its result dictionary and the error it hit, if any."""

    check: Check
    success: bool
    result: dict[str, Any]
    kwargs: dict[str, Any]
    error: str | None


class ExpectationsRun:
    """One ephemeral GE context: ``validate`` each table once, then ``build_docs``."""

    def __init__(self, run_name: str, run_time: datetime, docs_dir: str, unexpected_examples: int):
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            data_docs_sites={DOCS_SITE: {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }},
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.source = self.context.data_sources.add_spark(DOCS_SITE)
        self.run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        self.result_format = {"result_format": "BASIC", "partial_unexpected_count": unexpected_examples}

    def validate(self, table: str, df: DataFrame, checks: Sequence[Check]) -> list[Outcome]:
        """Validate ``df`` against ``checks`` in one GE validation; one outcome per check, in order."""
        batch = self.source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("whole table")
        suite = self.context.suites.add(gx.ExpectationSuite(name=table))
        for check in checks:
            suite.add_expectation(check.expectation)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=table, data=batch, suite=suite))
        validation = definition.run(batch_parameters={"dataframe": df}, result_format=self.result_format,
                                    run_id=self.run_id)
        by_name = {r.expectation_config.meta["check"]: r for r in validation.results}
        outcomes = []
        for check in checks:
            r = by_name[check.name]
            info = r.exception_info or {}
            errors = [info] if "raised_exception" in info else list(info.values())
            error = next((e.get("exception_message") for e in errors if e.get("raised_exception")), None)
            outcomes.append(Outcome(check, bool(r.success) and error is None, dict(r.result or {}),
                                    dict(r.expectation_config.kwargs), error))
        return outcomes

    def build_docs(self) -> None:
        """Write the Data Docs of every suite and validation of this run into the docs folder."""
        self.context.build_data_docs(site_names=[DOCS_SITE])
