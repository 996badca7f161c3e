"""Rows a model cannot use (an empty review, an undecodable image) are counted by reason and reported, never dropped silently."""
from __future__ import annotations

from collections.abc import Mapping

import mlflow
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.log import get_logger

log = get_logger(__name__)
SKIP_REASON = "skip_reason"


def split_skipped(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The rows without a ``skip_reason`` (usable, that column dropped) and the rows with one."""
    return df.where(F.col(SKIP_REASON).isNull()).drop(SKIP_REASON), df.where(F.col(SKIP_REASON).isNotNull())


def skip_counts(df: DataFrame) -> dict[str, int]:
    """Reason → number of rows skipped for it (one small aggregation)."""
    rows = df.where(F.col(SKIP_REASON).isNotNull()).groupBy(SKIP_REASON).count().collect()
    return {row[SKIP_REASON]: int(row["count"]) for row in rows}


def report_skips(counts: Mapping[str, int], what: str) -> None:
    """Log the skipped rows and, inside an MLflow run, record them as ``skipped_<reason>`` metrics and a JSON."""
    if counts:
        log.warning("%s: skipped %s", what, ", ".join(f"{n} ({reason})" for reason, n in sorted(counts.items())))
    else:
        log.info("%s: no row skipped", what)
    if mlflow.active_run() is not None:
        mlflow.log_metrics({f"skipped_{reason}": float(n) for reason, n in counts.items()})
        mlflow.log_dict(dict(counts), f"skipped/{what.replace(' ', '_')}.json")
