"""The ``shoplake`` command: list jobs and run them locally through the same entry points
that ``spark-submit.sh`` submits.

A configuration or environment error ends any subcommand with one error line and exit code 2
(``SHOPLAKE_DEBUG=1`` adds the traceback), as it does for a job."""
from __future__ import annotations

import argparse
import os
import sys

from shoplake.config import load_config
from shoplake.datasets.cli import add_datasets_parser
from shoplake.explore.cli import add_explore_parsers
from shoplake.ingest.preview import add_preview_parser
from shoplake.quality.cli import add_dq_parser
from shoplake.tracking.ui import mlflow_ui_command
from shoplake.errors import UserFacingError
from shoplake.errors import debug_requested, log_user_error
from shoplake.runner import list_jobs, run_job_file


def _cmd_jobs(_args: argparse.Namespace, _rest: list[str]) -> int:
    jobs = list_jobs()
    width = max(map(len, jobs), default=0)
    for name, summary in jobs.items():
        print(f"{name:<{width}}  {summary}")
    return 0


def _cmd_run(args: argparse.Namespace, rest: list[str]) -> int:
    return run_job_file(args.job, rest)


def add_job_verb(subparsers, verb: str, job: str, help_text: str) -> None:
    """``shoplake VERB [args]`` runs ``jobs/<job>.py`` with ``args`` (``shoplake VERB --help`` lists them)."""
    parser = subparsers.add_parser(verb, add_help=False, help=help_text)
    parser.set_defaults(func=lambda _args, rest: run_job_file(job, rest))


def _cmd_mlflow_ui(args: argparse.Namespace, _rest: list[str]) -> int:
    settings = load_config(args.config or args.env, environ=os.environ)
    command = mlflow_ui_command(settings.mlflow, args.host, args.port)
    print(f"MLflow UI for {settings.mlflow.tracking_uri}: http://{args.host}:{args.port}"
          f"/#/experiments?workflowType=machine_learning (the training runs; MLflow opens on GenAI traces otherwise)",
          flush=True)
    os.execv(command[0], command)
    return 1  # not reached: execv replaces this process


def _add_mlflow_ui_parser(sub) -> None:
    ui = sub.add_parser("mlflow-ui", help="serve the config's MLflow tracking store on 127.0.0.1")
    ui.add_argument("--env", default="local", help="config environment (default: local)")
    ui.add_argument("--config", help="path to a config YAML file (overrides --env)")
    ui.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    ui.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    ui.set_defaults(func=_cmd_mlflow_ui)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subcommand per verb."""
    parser = argparse.ArgumentParser(prog="shoplake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("jobs", help="list the jobs with one line each").set_defaults(func=_cmd_jobs)
    # no --help of its own: `shoplake run JOB --help` reaches the job and lists the job's arguments
    run = sub.add_parser("run", add_help=False, help="run a job locally: shoplake run JOB [--env ENV] [job args]")
    run.add_argument("job", help="job name (a file in jobs/)")
    run.set_defaults(func=_cmd_run)
    add_job_verb(sub, "generate", "generate_data",
                 "generate a synthetic shop's input files and ground truth (shoplake generate --help for the flags)")
    add_datasets_parser(sub)
    add_dq_parser(sub)
    add_preview_parser(sub)
    _add_mlflow_ui_parser(sub)
    add_job_verb(sub, "erase", "erase_customer",
                 "erase a customer from every table: shoplake erase --customer ID | --email ADDRESS [--env ENV]")
    add_job_verb(sub, "report", "report", "write the HTML report: shoplake report [--env ENV] [--out PATH]")
    add_explore_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``shoplake`` console script."""
    args, rest = build_parser().parse_known_args(argv)
    try:
        return args.func(args, rest)
    except UserFacingError as exc:
        return log_user_error(exc, debug_requested(os.environ), f"shoplake {args.command}")


if __name__ == "__main__":
    sys.exit(main())
