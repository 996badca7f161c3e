"""Ingest new input files into bronze and silver: clickstream, orders, catalogue (products and reviews).

A batch with more of its records quarantined than ``ingest.max_quarantine_share`` is refused: the step
ends as not run with the refusal's one line (a job: exit code 1), and the batch's files wait for a fix
or for a run with ``--accept-quarantine``.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

from shoplake.catalog import tables_written_by
from shoplake.ingest.load_catalog import ingest_catalog
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.load_orders import ingest_orders
from shoplake.ingest.quarantine import ACCEPT_FLAG
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.steps.context import StepContext, StepOutcome


def add_accept_quarantine(parser: argparse.ArgumentParser) -> None:
    """The ``--accept-quarantine`` flag of the ingest jobs and the pipeline."""
    parser.add_argument(ACCEPT_FLAG, action="store_true",
                        help="land the valid records of batches whose quarantined share is over "
                             "ingest.max_quarantine_share (such a batch is refused otherwise)")


def ingest_clickstream_step(ctx: StepContext) -> StepOutcome:
    """New clickstream files to bronze, silver events and sessions (``stream``: keep polling every ``interval``)."""
    return _ingest(ctx, "ingest_clickstream", ingest_clickstream, available_now=not ctx.option("stream", False),
                   interval=ctx.option("interval", "30 seconds"))


def ingest_orders_step(ctx: StepContext) -> StepOutcome:
    """New order files to bronze, silver orders (latest update wins), order lines and customers."""
    return _ingest(ctx, "ingest_orders", ingest_orders)


def ingest_catalog_step(ctx: StepContext) -> StepOutcome:
    """New product and review files to bronze, silver products (images as bytes) and reviews."""
    return _ingest(ctx, "ingest_catalog", ingest_catalog)


def _ingest(ctx: StepContext, step: str, load: Callable[..., dict], **options) -> StepOutcome:
    figures = load(ctx.lake, ctx.settings, resolve_key(ctx.settings, ctx.environ),
                   audit_key=resolve_audit_key(ctx.settings, ctx.environ),
                   accept_quarantine=ctx.option("accept_quarantine", False), **options)
    written = [table for table in tables_written_by(step) if ctx.lake.exists(table)]
    return StepOutcome(wrote={table: ctx.lake.version(table) for table in written}, figures=figures)
