"""Ingest new clickstream files into bronze.clickstream, silver.events and silver.sessions (--stream to keep running)."""
from __future__ import annotations

import os
import sys

from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.lake import open_lake
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--stream", action="store_true", help="keep running, picking up new files as they arrive")
    parser.add_argument("--interval", default="30 seconds", help="polling interval with --stream")


def main(ctx: JobContext) -> None:
    ingest_clickstream(ctx.spark, open_lake(ctx.spark, ctx.settings), ctx.settings, resolve_key(ctx.settings, os.environ),
                       available_now=not ctx.args.stream, interval=ctx.args.interval,
                       audit_key=resolve_audit_key(ctx.settings, os.environ))


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
