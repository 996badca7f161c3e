"""What every analysis run does with the lake and MLflow: check and pin its inputs, log, write its tables."""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import mlflow
from pyspark.sql import DataFrame

from shoplake.analytics.errors import AnalyticsError
from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake import tracking

log = get_logger(__name__)
FAMILY = "analytics"


def input_versions(lake: Lake, names: Sequence[str], part: str) -> dict[str, int]:
    """The current version of each input table, or a clear error naming the missing ones."""
    missing = [name for name in names if not lake.exists(name)]
    if missing:
        raise AnalyticsError(f"{part} needs {', '.join(missing)}: run the ingest jobs and build_gold first")
    return {name: lake.version(name) for name in names}


@contextmanager
def tracked_run(settings: Settings, part: str, versions: Mapping[str, int],
                params: Mapping[str, object]) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run named after the part in the ``analytics`` experiment, with its inputs and settings logged."""
    with tracking.start_run(settings, FAMILY, run_name=part, tags={"analytics.part": part}) as run:
        tracking.log_table_versions(versions)
        mlflow.log_params(dict(params))
        yield run


def overwrite_tables(lake: Lake, tables: Mapping[str, DataFrame]) -> dict[str, int]:
    """Replace each named table with its DataFrame; return the versions written."""
    versions = {}
    for name, df in tables.items():
        versions[name] = lake.overwrite(df, name)
        log.info("%s: version %d", name, versions[name])
    return versions
