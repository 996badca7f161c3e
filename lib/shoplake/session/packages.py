"""Resolve a config's ``spark.packages`` (Delta's and Hadoop's jars) from Maven Central into Ivy's cache.

    python -m shoplake.session.packages --env test [--with GROUP:ARTIFACT:VERSION ...]

Spark resolves ``spark.jars.packages`` when a session starts; doing it once here, ahead of the
tests or a job, shows the download and fails early, with one line, when Maven Central (or the
mirror in ``spark.jars.repositories``) cannot be reached. Nothing is copied into the repository:
the jars stay in Ivy's cache (``~/.ivy2.5.2``) for every later session.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from shoplake.config import load_config
from shoplake.errors import UserFacingError
from shoplake.errors import debug_requested, log_user_error


def resolve_packages(env: str, extra: tuple[str, ...] = ()) -> list[Path]:
    """Start and stop a one-core local session with ``env``'s packages and ``extra``; return the jars it resolved."""
    from shoplake.session.factory import build_session

    settings = load_config(env)
    packages = tuple(settings.spark.packages) + tuple(p for p in extra if p not in settings.spark.packages)
    if not packages:
        return []
    local = dataclasses.replace(settings.spark, master="local[1]", ui=False, packages=packages)
    session = build_session(dataclasses.replace(settings, spark=local))
    try:
        jars = session.sparkContext.getConf().get("spark.jars", "")
    finally:
        session.stop()
    return [Path(j.removeprefix("file:")) for j in jars.split(",") if j]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="test", help="config environment whose spark.packages to resolve")
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="GROUP:ARTIFACT:VERSION",
                        help="a package to resolve as well (repeatable)")
    args = parser.parse_args(argv)
    try:
        jars = resolve_packages(args.env, tuple(args.extra))
    except UserFacingError as exc:
        return log_user_error(exc, debug_requested(os.environ), "resolving spark.packages")
    size = sum(j.stat().st_size for j in jars if j.is_file())
    also = f" and {', '.join(args.extra)}" if args.extra else ""
    print(f"{len(jars)} jars of conf/{args.env}.yaml's spark.packages{also} in Ivy's cache ({size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
