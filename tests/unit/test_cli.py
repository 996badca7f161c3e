"""The ``shoplake`` command line: ``run`` hands every argument after the job name to the job, and
a configuration or environment error ends any subcommand with one line and exit code 2."""
from __future__ import annotations

import sys

import pytest

from shoplake.cli import main
from tests.support.processes import run_command, user_error_line
from tests.support.standalone import free_port


def test_run_job_help_lists_the_jobs_own_arguments(capsys):
    assert main(["run", "doctor", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--partitions" in out and "--output" in out  # doctor's arguments, not the run command's


def test_run_without_a_job_names_what_is_missing(capsys):
    with pytest.raises(SystemExit):
        main(["run"])
    assert "the following arguments are required: job" in capsys.readouterr().err


def shoplake_command(tmp_path, *args: str, env: dict[str, str] | None = None):
    """``shoplake ARGS`` as a real process."""
    return run_command([sys.executable, "-m", "shoplake.cli", *args], cwd=tmp_path, env=env)


def test_run_with_a_bad_environment_value_names_the_variable(tmp_path):
    line = user_error_line(shoplake_command(tmp_path, "run", "doctor", "--env", "test", env={"SHOPLAKE__SPARK__CONF": "{"}))
    assert "job doctor not started: environment variable SHOPLAKE__SPARK__CONF: not a valid YAML value" in line


def test_subcommands_report_config_errors_in_one_line(tmp_path):
    line = user_error_line(shoplake_command(tmp_path, "mlflow-ui", "--env", "staging"))
    assert "shoplake mlflow-ui: config file not found: " in line and "staging.yaml" in line
    line = user_error_line(shoplake_command(tmp_path, "erase", "--env", "test", "--customer", "c1",
                                            env={"SHOPLAKE__SPARK__MASTER": "local[abc]"}))
    assert "spark.master: 'local[abc]'" in line


def test_dq_report_on_an_unreachable_master_fails_fast_naming_it(tmp_path):
    master = f"spark://127.0.0.1:{free_port()}"
    line = user_error_line(shoplake_command(tmp_path, "dq", "report", "--env", "test",
                                            env={"SHOPLAKE__SPARK__MASTER": master}))
    assert f"shoplake dq: spark.master: cannot reach the Spark master {master}" in line
