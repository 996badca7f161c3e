"""Check the environment: Spark, Java, Delta backend, and a distributed computation on the executors."""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.environment import check_environment_step



def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the check computation")
    parser.add_argument("--partitions", type=int, default=4, help="partitions of the check computation")
    parser.add_argument("--output", help="write the report as JSON to this file")

JOB = Job("doctor", check_environment_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
