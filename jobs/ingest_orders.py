"""Ingest new order files into bronze.orders and silver.orders, order_lines and customers (latest update wins)."""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.ingest import add_accept_quarantine, ingest_orders_step


JOB = Job("ingest_orders", ingest_orders_step, __doc__, add_accept_quarantine)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
