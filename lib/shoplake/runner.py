"""The one way a job starts: parse arguments, load config, open the session, call the job.

Every file in ``jobs/`` ends with ``run_job(main, __doc__, add_arguments)``; the same
file runs under ``spark-submit.sh`` and under ``shoplake run``.
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from shoplake.config import ConfigError, Settings, load_config
from shoplake.log import get_logger, setup_logging

JOBS_DIR = Path(__file__).resolve().parents[2] / "jobs"
log = get_logger("runner")


@dataclass
class JobContext:
    """What a job gets: the session, the settings and its parsed arguments."""

    spark: SparkSession
    settings: Settings
    args: argparse.Namespace


def job_parser(description: str | None, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None):
    """Argument parser with the options every job shares (``--env``, ``--config``)."""
    parser = argparse.ArgumentParser(description=(description or "").strip())
    parser.add_argument("--env", default="local", help="config environment: conf/<env>.yaml (default: local)")
    parser.add_argument("--config", help="path to a config YAML file (overrides --env)")
    if add_arguments:
        add_arguments(parser)
    return parser


def run_job(
    main: Callable[[JobContext], object],
    description: str | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Run ``main`` with a session built from the config; return a process exit code."""
    from shoplake.session import build_session

    args = job_parser(description, add_arguments).parse_args(argv)
    try:
        settings = load_config(args.config or args.env, environ=os.environ)
    except ConfigError as exc:
        setup_logging()
        log.error("%s", exc)
        return 2
    spark = build_session(settings)
    name = Path(main.__code__.co_filename).stem
    started = time.monotonic()
    log.info("job %s started (env=%s)", name, settings.env)
    try:
        main(JobContext(spark=spark, settings=settings, args=args))
    except Exception:
        log.exception("job %s failed after %.1fs", name, time.monotonic() - started)
        return 1
    finally:
        spark.stop()
    log.info("job %s finished in %.1fs", name, time.monotonic() - started)
    return 0


def list_jobs() -> dict[str, str]:
    """Job name -> first line of its docstring, for every file in ``jobs/``."""
    import ast

    jobs = {}
    for path in sorted(JOBS_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        jobs[path.stem] = doc.strip().splitlines()[0] if doc.strip() else ""
    return jobs


def job_path(name: str) -> Path:
    """Path of ``jobs/<name>.py``; a clear error naming the known jobs if there is none."""
    path = JOBS_DIR / f"{Path(name).stem}.py"
    if not path.is_file():
        raise SystemExit(f"error: unknown job {name!r}; known jobs: {', '.join(list_jobs())}")
    return path
