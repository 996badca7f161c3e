"""The generator's command-line flags and the config they describe (``jobs/generate_data.py``, the pipeline)."""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone

from shoplake.datasets.generator.config import (
    FILE_CORRUPTIONS,
    PRESETS,
    RECORD_CORRUPTIONS,
    GeneratorConfig,
    default_corruption,
    make_config,
)


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
    """The generator config the flags describe (preset, then explicit flags; a flag the parser lacks is unset)."""
    flag = lambda name: getattr(args, name, None)  # noqa: E731
    corruption = default_corruption()
    if flag("corrupt_rate") is not None:
        corruption.update({kind: flag("corrupt_rate") for kind in RECORD_CORRUPTIONS})
    for item in flag("corrupt") or ():
        kind, _, rate = item.partition("=")
        try:
            corruption[kind] = float(rate)
        except ValueError:
            raise ValueError(f"--corrupt expects KIND=RATE, got {item!r}") from None
    return make_config(
        flag("preset") or "small", users=flag("users"), days=flag("days"), products=flag("products"),
        users_per_block=flag("users_per_block"), seed=flag("seed"), anomaly_share=flag("anomaly_share"),
        corruption=corruption, **shop_dates(args),
    )
