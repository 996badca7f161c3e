"""Ingest new order files into bronze.orders and silver.orders, order_lines and customers (latest update wins)."""
from __future__ import annotations

import os
import sys

from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.runner import JobContext, run_job


def main(ctx: JobContext) -> None:
    ingest_orders(ctx.spark, open_lake(ctx.spark, ctx.settings), ctx.settings, resolve_key(ctx.settings, os.environ),
                  audit_key=resolve_audit_key(ctx.settings, os.environ))


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__))
