"""The one way a job starts: parse arguments, load config, check the environment, open the
session, call the job.

Every file in ``jobs/`` ends with ``run_job(main, __doc__, add_arguments)``; the same
file runs under ``spark-submit.sh`` and under ``shoplake run``. Exit codes: 0 done, 1 the job
failed (logged with its traceback), 2 a :class:`~shoplake.errors.UserFacingError` (a bad
config, an unusable environment, a conflicting run), logged as one line; ``--debug`` or
``SHOPLAKE_DEBUG=1`` adds the traceback.
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from shoplake.config import Settings, load_config
from shoplake.errors import EXIT_USER_ERROR, UserFacingError
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
    """Argument parser with the options every job shares (``--env``, ``--config``, ``--debug``)."""
    parser = argparse.ArgumentParser(description=(description or "").strip())
    parser.add_argument("--env", default="local", help="config environment: conf/<env>.yaml (default: local)")
    parser.add_argument("--config", help="path to a config YAML file (overrides --env)")
    parser.add_argument("--debug", action="store_true",
                        help="log configuration and environment errors with their traceback (or SHOPLAKE_DEBUG=1)")
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
    from shoplake.session.preflight import check_folders

    args = job_parser(description, add_arguments).parse_args(argv)
    debug = args.debug or debug_requested(os.environ)
    name = Path(main.__code__.co_filename).stem
    try:
        settings = load_config(args.config or args.env, environ=os.environ)
        check_folders(settings)
        spark = build_session(settings)
    except UserFacingError as exc:
        return log_user_error(exc, debug, f"job {name} not started")
    started = time.monotonic()
    log.info("job %s started (env=%s)", name, settings.env)
    try:
        main(JobContext(spark=spark, settings=settings, args=args))
    except UserFacingError as exc:
        return log_user_error(exc, debug, f"job {name} stopped after {time.monotonic() - started:.1f}s")
    except Exception:
        log.exception("job %s failed after %.1fs", name, time.monotonic() - started)
        return 1
    finally:
        spark.stop()
    log.info("job %s finished in %.1fs", name, time.monotonic() - started)
    return 0


def debug_requested(environ: Mapping[str, str]) -> bool:
    """True when ``SHOPLAKE_DEBUG`` asks for tracebacks of user-facing errors."""
    return environ.get("SHOPLAKE_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def log_user_error(exc: UserFacingError, debug: bool, context: str) -> int:
    """Log ``exc`` as one error line (with its traceback when ``debug``); return exit code 2."""
    setup_logging()
    log.error("%s: %s", context, exc.one_line(), exc_info=exc if debug else None)
    return EXIT_USER_ERROR


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
