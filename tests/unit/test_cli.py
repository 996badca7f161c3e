"""The ``shoplake`` command line: ``run`` hands every argument after the job name to the job."""
from __future__ import annotations

import pytest

from shoplake.cli import main


def test_run_job_help_lists_the_jobs_own_arguments(capsys):
    assert main(["run", "doctor", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--partitions" in out and "--output" in out  # doctor's arguments, not the run command's


def test_run_without_a_job_names_what_is_missing(capsys):
    with pytest.raises(SystemExit):
        main(["run"])
    assert "the following arguments are required: job" in capsys.readouterr().err
