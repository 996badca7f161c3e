"""The steps of the main pipeline, in order."""
from __future__ import annotations

from shoplake.pipeline.dag import Step
from shoplake.session.doctor import environment_report


def _check_environment(ctx) -> dict:
    report = environment_report(ctx.spark, ctx.settings, rows=10_000, partitions=ctx.spark.sparkContext.defaultParallelism)
    if not report["sum_of_squares_ok"]:
        raise RuntimeError("the executors returned a wrong result for the environment check")
    return {"spark": report["spark_version"], "delta_backend": report["delta_backend"],
            "executor_processes": len({p["pid"] for p in report["partitions"]})}


PIPELINE_STEPS = (
    Step("environment", _check_environment, "Spark, Java, Delta backend and executors"),
)
