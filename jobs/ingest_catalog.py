"""Ingest new product and review files into bronze and silver.products (images as bytes) and silver.reviews."""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.ingest import add_accept_quarantine, ingest_catalog_step


JOB = Job("ingest_catalog", ingest_catalog_step, __doc__, add_accept_quarantine)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
