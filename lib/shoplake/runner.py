"""The one way a job starts: parse arguments, load config, check the environment, open the
session, run the job's step.

Every file in ``jobs/`` defines ``JOB = Job(name, step, __doc__, ...)`` and ends with
``sys.exit(run_job(JOB))``; the same file runs under ``spark-submit.sh`` and under ``shoplake run``,
and the pipeline runs the same step functions (:mod:`shoplake.steps`). A flag that sets a config
value is a :class:`ConfigFlag`: it reaches the step as that value of the settings, never as a
special case in the step. Exit codes: 0 done, 1 the job failed (logged with its traceback), 2 a
:class:`~shoplake.errors.UserFacingError` (a bad config, an unusable environment, a conflicting
run), logged as one line; ``--debug`` or ``SHOPLAKE_DEBUG=1`` adds the traceback. A step that has nothing to
work with yet (:class:`~shoplake.steps.context.StepNotRun`: no registered model) ends with its reason and 1, and
so does one that refused its input (:class:`~shoplake.errors.InputRefused`: too much of a batch quarantined).
"""
from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from shoplake.config import Settings, apply_overrides, load_config
from shoplake.errors import InputRefused, UserFacingError, debug_requested, log_user_error
from shoplake.log import get_logger
from shoplake.steps.context import StepContext, StepNotRun, StepOutcome, format_versions

JOBS_DIR = Path(__file__).resolve().parents[2] / "jobs"
log = get_logger("runner")


@dataclass(frozen=True)
class ConfigFlag:
    """A job flag that sets config values: ``--epochs 3`` is ``dl.text_epochs: 3`` for this run."""

    flag: str
    keys: tuple[str, ...]
    type: Callable[[str], object] = str
    many: bool = False
    help: str = ""
    choices: tuple[str, ...] | None = None
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return "config:" + self.flag.lstrip("-")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Add the flag; its help names the config keys it sets."""
        name = None if self.choices else self.flag.lstrip("-").upper().replace("-", "_")
        parser.add_argument(self.flag, dest=self.dest, type=self.type, nargs="+" if self.many else None,
                            choices=self.choices, metavar=self.metavar or name,
                            help=f"{self.help} (default: {', '.join(self.keys)})".strip())


@dataclass(frozen=True)
class Job:
    """A job: its name, its step, its description, and its flags (plain options and config flags)."""

    name: str
    step: Callable[[StepContext], StepOutcome]
    description: str | None = None
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    config_flags: tuple[ConfigFlag, ...] = ()

    def parser(self) -> argparse.ArgumentParser:
        """Argument parser with the options every job shares (``--env``, ``--config``, ``--debug``) and its own."""
        parser = argparse.ArgumentParser(description=(self.description or "").strip())
        parser.add_argument("--env", default="local", help="config environment: conf/<env>.yaml (default: local)")
        parser.add_argument("--config", help="path to a config YAML file (overrides --env)")
        parser.add_argument("--debug", action="store_true",
                            help="log configuration and environment errors with their traceback (or SHOPLAKE_DEBUG=1)")
        if self.add_arguments:
            self.add_arguments(parser)
        for flag in self.config_flags:
            flag.add_to(parser)
        return parser

    def overrides(self, args: argparse.Namespace) -> dict[str, object]:
        """The config values the given flags set (``{"dl.text_epochs": 3}``); unset flags set nothing."""
        values = {}
        for flag in self.config_flags:
            value = getattr(args, flag.dest, None)
            if value is not None:
                values |= {key: tuple(value) if flag.many else value for key in flag.keys}
        return values

    def run_in(self, spark: SparkSession, settings: Settings, argv: Sequence[str] = ()) -> StepOutcome:
        """Parse ``argv``, apply its config flags to ``settings`` and run the step in this session."""
        args = self.parser().parse_args(list(argv))
        return self.step(StepContext(spark, apply_overrides(settings, self.overrides(args)), args))


def run_job(job: Job, argv: Sequence[str] | None = None) -> int:
    """Run ``job``'s step with a session built from the config; return a process exit code."""
    from shoplake.session import build_session
    from shoplake.session.preflight import check_folders

    args = job.parser().parse_args(argv)
    debug = args.debug or debug_requested(os.environ)
    try:
        settings = apply_overrides(load_config(args.config or args.env, environ=os.environ), job.overrides(args))
        check_folders(settings)
        spark = build_session(settings)
    except UserFacingError as exc:
        return log_user_error(exc, debug, f"job {job.name} not started")
    started = time.monotonic()
    log.info("job %s started (env=%s)", job.name, settings.env)
    try:
        outcome = job.step(StepContext(spark, settings, args))
    except UserFacingError as exc:
        return log_user_error(exc, debug, f"job {job.name} stopped after {time.monotonic() - started:.1f}s")
    except StepNotRun as reason:
        log.error("job %s not run: %s", job.name, reason)
        return 1
    except InputRefused as refused:
        log.error("job %s refused its input: %s", job.name, refused)
        return 1
    except Exception:
        log.exception("job %s failed after %.1fs", job.name, time.monotonic() - started)
        return 1
    finally:
        spark.stop()
    log.info("job %s finished in %.1fs%s", job.name, time.monotonic() - started, _written(outcome))
    return 0


def _written(outcome: StepOutcome | None) -> str:
    if not outcome or not outcome.wrote:
        return ""
    return "; wrote " + format_versions(outcome.wrote)


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


def load_job(name: str) -> Job:
    """The ``JOB`` defined by ``jobs/<name>.py`` (without running it)."""
    return runpy.run_path(str(job_path(name)), run_name=f"jobs.{name}")["JOB"]


def run_job_file(job: str, job_args: list[str]) -> int:
    """Run ``jobs/<job>.py`` in this process with ``job_args`` as its command line."""
    path = job_path(job)
    saved = sys.argv
    sys.argv = [str(path), *job_args]
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0
