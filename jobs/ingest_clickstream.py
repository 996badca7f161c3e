"""Ingest new clickstream files into bronze.clickstream, silver.events and silver.sessions (--stream to keep running)."""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.ingest import add_accept_quarantine, ingest_clickstream_step


def add_arguments(parser):
    parser.add_argument("--stream", action="store_true", help="keep running, picking up new files as they arrive")
    parser.add_argument("--interval", default="30 seconds", help="polling interval with --stream")
    add_accept_quarantine(parser)


JOB = Job("ingest_clickstream", ingest_clickstream_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
