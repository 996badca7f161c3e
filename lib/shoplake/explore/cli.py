"""``shoplake show|sql|export``: look into the lake of a config environment without writing Spark code.

Each command checks what it can before starting Spark (the table is in the catalogue, the output
folder is free), then builds the session as a job does and reads through the lake. A table,
version or query the lake cannot serve ends the command with one error line and exit code 2.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

from shoplake.catalog import table
from shoplake.config import load_config
from shoplake.errors import exception_line
from shoplake.explore.errors import ExploreError
from shoplake.explore.export import FORMATS, output_folder, write_rows
from shoplake.explore.query import run_query
from shoplake.explore.tables import catalogued, read_at
from shoplake.lake import Lake, open_lake
from shoplake.session import build_session

DEFAULT_LIMIT = 20
CELL_WIDTH = 40  # longer values are cut in the printed table


def add_explore_parsers(subparsers) -> None:
    """Add the ``show``, ``sql`` and ``export`` verbs to the ``shoplake`` command's subparsers."""
    show = subparsers.add_parser("show", help="print a table's rows: shoplake show TABLE [--version N] [--limit N]")
    show.add_argument("table", metavar="TABLE", help="catalogue name, e.g. silver.orders")
    show.add_argument("--version", type=_count, metavar="N", help="the table as of version N (default: the latest)")
    _add_limit(show)
    show.set_defaults(func=_cmd_show)
    sql = subparsers.add_parser("sql", help='run one query over the lake: shoplake sql "SELECT ... FROM silver.orders"')
    sql.add_argument("query", help="one query; tables by their catalogue names (silver.orders, gold.user_features)")
    _add_limit(sql)
    sql.set_defaults(func=_cmd_sql)
    export = subparsers.add_parser("export", help="write a table to a folder: export TABLE --format csv --out PATH")
    export.add_argument("table", metavar="TABLE", help="catalogue name, e.g. gold.user_features")
    export.add_argument("--format", required=True, choices=FORMATS, help="csv (with a header) or parquet")
    export.add_argument("--out", required=True, metavar="PATH", help="the folder to write (must be empty or missing)")
    export.add_argument("--version", type=_count, metavar="N", help="the table as of version N (default: the latest)")
    export.add_argument("--overwrite", action="store_true", help="replace PATH when it is not empty")
    export.set_defaults(func=_cmd_export)
    for verb in (show, sql, export):
        verb.add_argument("--env", default="local", help="config environment: conf/<env>.yaml (default: local)")
        verb.add_argument("--config", help="path to a config YAML file (overrides --env)")


def _cmd_show(args: argparse.Namespace, rest: list[str]) -> int:
    _no_extra(rest)
    name = catalogued(args.table)
    with _opened_lake(args) as lake:
        df, version = read_at(lake, name, args.version)
        key = table(name).keys[0] if table(name).keys else ()
        rows = df.count()
        print(f"{name} at version {version}: {rows} row{'' if rows == 1 else 's'}")
        df.orderBy(*[c for c in key if c in df.columns]).show(args.limit, truncate=CELL_WIDTH)
    return 0


def _cmd_sql(args: argparse.Namespace, rest: list[str]) -> int:
    _no_extra(rest)
    with _opened_lake(args) as lake:
        df, versions = run_query(lake, args.query)
        print("read " + (", ".join(f"{n} at version {v}" for n, v in versions.items()) or "no lake table"))
        try:
            df.show(args.limit, truncate=CELL_WIDTH)
        except PySparkException as exc:  # a query that fails while it runs (a bad cast, a division by zero)
            raise ExploreError(exception_line(exc)) from None
    return 0


def _cmd_export(args: argparse.Namespace, rest: list[str]) -> int:
    _no_extra(rest)
    name = catalogued(args.table)
    path = output_folder(args.out, args.overwrite)
    with _opened_lake(args) as lake:
        df, version = read_at(lake, name, args.version)
        rows = df.count()
        write_rows(df, args.format, path)
    print(f"exported {rows} row{'' if rows == 1 else 's'} of {name} (version {version}) to {path} as {args.format}")
    return 0


@contextmanager
def _opened_lake(args: argparse.Namespace) -> Iterator[Lake]:
    """The lake of the config ``--env``/``--config`` names, on a session built as a job builds it (stopped after,
    unless it was already running)."""
    settings = load_config(args.config or args.env, environ=os.environ)
    started_here = SparkSession.getActiveSession() is None
    spark = build_session(settings)
    try:
        yield open_lake(spark, settings)
    finally:
        if started_here:
            spark.stop()


def _add_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_positive, default=DEFAULT_LIMIT, metavar="N",
                        help=f"print at most N rows (default: {DEFAULT_LIMIT})")


def _count(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def _no_extra(rest: list[str]) -> None:
    if rest:
        raise SystemExit(f"error: unexpected arguments: {' '.join(rest)}")
