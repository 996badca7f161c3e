"""Erase one customer (by --customer ID or --email) from every lake table, vacuum old versions, audit in ops.erasures.

The customer's rows go from bronze (raw records and quarantine), silver, gold and model outputs;
their ids and emails join ops.erasure_list (keyed hashes) so ingest never brings them back. The
audit rows, the log and the --output file hold keyed hashes only, never the raw identifier.
"""
from __future__ import annotations

import json
import os
import sys

from shoplake.lake import open_lake
from shoplake.privacy.erasure import erase_customer
from shoplake.privacy.pseudonyms import resolve_key
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", help="the customer's id as the shop sends it (customer_id / user_id)")
    who.add_argument("--email", help="the customer's email address (their ids are found in bronze.orders)")
    parser.add_argument("--output", help="write the erasure's summary (per table: rows deleted, files vacuumed) "
                                         "to this JSON file")


def main(ctx: JobContext) -> None:
    result = erase_customer(open_lake(ctx.spark, ctx.settings), ctx.settings, resolve_key(ctx.settings, os.environ),
                            customer_id=ctx.args.customer, email=ctx.args.email)
    if ctx.args.output:
        with open(ctx.args.output, "w") as out:
            json.dump(result.as_dict(), out, indent=2)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
