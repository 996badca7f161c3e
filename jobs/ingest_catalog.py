"""Ingest new product and review files into bronze and silver.products (images as bytes) and silver.reviews."""
from __future__ import annotations

import os
import sys

from shoplake.ingest.load_catalog import ingest_catalog
from shoplake.lake import open_lake
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.runner import JobContext, run_job


def main(ctx: JobContext) -> None:
    ingest_catalog(ctx.spark, open_lake(ctx.spark, ctx.settings), ctx.settings, resolve_key(ctx.settings, os.environ),
                   audit_key=resolve_audit_key(ctx.settings, os.environ))


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__))
