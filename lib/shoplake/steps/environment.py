"""Check the environment: Spark, Java, the Delta backend and a distributed computation on the executors."""
from __future__ import annotations

import json
from pathlib import Path

from shoplake.log import get_logger
from shoplake.session.doctor import environment_report
from shoplake.steps.context import StepContext, StepOutcome

log = get_logger(__name__)


def check_environment_step(ctx: StepContext) -> StepOutcome:
    """Report the session's facts and check a sum of squares computed on the executors (``--output``: as JSON)."""
    partitions = ctx.option("partitions", ctx.spark.sparkContext.defaultParallelism)
    report = environment_report(ctx.spark, ctx.settings, ctx.option("rows", 10_000), partitions)
    if ctx.option("output"):
        Path(ctx.option("output")).write_text(json.dumps(report, indent=2))
    executors = len({p["pid"] for p in report["partitions"]})
    log.info("spark %s on %s, java %s, delta backend %s (%s), %d executor processes, computation %s",
             report["spark_version"], report["master"], report["java_version"], report["delta_backend"],
             report["delta_version"], executors, "ok" if report["sum_of_squares_ok"] else "WRONG")
    if not report["sum_of_squares_ok"]:
        raise RuntimeError("the executors returned a wrong result for the environment check")
    return StepOutcome(figures={"spark": report["spark_version"], "delta_backend": report["delta_backend"],
                                "executor_processes": executors})
