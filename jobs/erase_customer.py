"""Erase one customer (by --customer ID or --email) from every lake table, vacuum old versions, audit in ops.erasures.

The customer's rows go from bronze (raw records and quarantine), silver, gold and model outputs;
their ids and emails join ops.erasure_list (audit-key hashes) so ingest never brings them back.
The request is recorded first (ops.erasure_requests): an erasure that was killed is finished by
running it again. The audit rows, the log and the --output file hold keyed hashes only, never the
raw identifier. Exit code 1 when no table holds the customer, unless --allow-unknown.
"""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.privacy import erase_customer_step


def add_arguments(parser):
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", help="the customer's id as the shop sends it (customer_id / user_id)")
    who.add_argument("--email", help="the customer's email address (their ids are found in bronze.orders)")
    parser.add_argument("--allow-unknown", action="store_true",
                        help="when no table holds the customer, still list them on ops.erasure_list so future "
                             "input is dropped (without it, the job exits 1 and changes nothing)")
    parser.add_argument("--output", help="write the erasure's summary (per table: rows deleted, files vacuumed) "
                                         "to this JSON file")


JOB = Job("erase_customer", erase_customer_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
