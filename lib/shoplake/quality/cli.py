"""``shoplake dq report [--env ENV | --config FILE] [--table T ...]``: the latest quality run per table."""
from __future__ import annotations

import argparse
import os
import sys

from shoplake.config import ConfigError, load_config


def add_dq_parser(subparsers) -> None:
    """Add the ``dq`` verb to the ``shoplake`` command's subparsers."""
    dq = subparsers.add_parser("dq", help="data quality: shoplake dq report [--env ENV]")
    verbs = dq.add_subparsers(dest="dq_command", required=True)
    report = verbs.add_parser("report", help="summary of the latest quality run of each table, failures first")
    report.add_argument("--env", default="local", help="config environment: conf/<env>.yaml (default: local)")
    report.add_argument("--config", help="path to a config YAML file (overrides --env)")
    report.add_argument("--table", action="append", dest="tables", help="only this table (repeatable)")
    report.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace, _rest: list[str]) -> int:
    from pyspark.sql import SparkSession

    from shoplake.lake import open_lake
    from shoplake.quality.summary import report
    from shoplake.session import build_session

    try:
        settings = load_config(args.config or args.env, environ=os.environ)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started_here = SparkSession.getActiveSession() is None
    spark = build_session(settings)
    try:
        print(report(open_lake(spark, settings), args.tables))
    finally:
        if started_here:
            spark.stop()
    return 0
