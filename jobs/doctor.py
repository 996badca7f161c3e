"""Check the environment: Spark, Java, Delta backend, and a distributed computation on the executors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from shoplake.log import get_logger
from shoplake.runner import JobContext, run_job
from shoplake.session.doctor import environment_report

log = get_logger("jobs.doctor")


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the check computation")
    parser.add_argument("--partitions", type=int, default=4, help="partitions of the check computation")
    parser.add_argument("--output", type=Path, help="write the report as JSON to this file")


def main(ctx: JobContext) -> None:
    report = environment_report(ctx.spark, ctx.settings, ctx.args.rows, ctx.args.partitions)
    text = json.dumps(report, indent=2)
    if ctx.args.output:
        ctx.args.output.write_text(text)
    log.info(
        "spark %s on %s, java %s, delta backend %s (%s), %d executor processes, computation %s",
        report["spark_version"], report["master"], report["java_version"], report["delta_backend"], report["delta_version"],
        len({p["pid"] for p in report["partitions"]}), "ok" if report["sum_of_squares_ok"] else "WRONG",
    )
    if not report["sum_of_squares_ok"]:
        raise RuntimeError("distributed check computation returned a wrong result")


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
