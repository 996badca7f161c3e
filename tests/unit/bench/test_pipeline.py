"""bench/pipeline.py reads the pipeline's own output: each step's outcome from its log, the total from its summary."""
from __future__ import annotations

import io
import logging

import pytest

from bench.pipeline import figure_lines, parse_output
from bench.run_all import figures
from shoplake.log import DATE_FORMAT, LOG_FORMAT
from shoplake.pipeline import Step, run_steps
from shoplake.steps.context import StepNotRun, StepOutcome
from shoplake.pipeline.summary import summary_lines


class UpToDate:
    """A ledger for which every step that reads a table is up to date."""

    def versions(self, tables):
        return {table: 1 for table in tables}

    def is_current(self, step, reads):
        return True

    def record(self, *args, **kwargs):
        pass


def not_yet(ctx):
    raise StepNotRun("no version of model 'm' is registered")


def broken(ctx):
    raise RuntimeError("boom")


def pipeline_output(settings, steps, caplog) -> str:
    """What the pipeline job prints: its step log in the project's format, then its summary if it finishes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    logger = logging.getLogger("shoplake.pipeline")
    caplog.set_level(logging.INFO, logger="shoplake.pipeline")
    logger.addHandler(handler)
    try:
        results = run_steps(steps, None, ledger=UpToDate())
        return stream.getvalue() + "\n".join(summary_lines(settings, results, "r1", 42.5)) + "\n"
    except RuntimeError:
        return stream.getvalue()
    finally:
        logger.removeHandler(handler)


def test_a_finished_run_gives_its_total_and_the_steps_neither_done_nor_up_to_date(settings, caplog):
    steps = [Step("demo_data", lambda ctx: StepOutcome(figures={"events": 3})), Step("build_gold", lambda ctx: {}, reads=("silver.x",)),
             Step("score_reviews", not_yet), Step("report", lambda ctx: {})]
    run = parse_output(pipeline_output(settings, steps, caplog))
    assert [(name, outcome.split(" ")[0]) for name, outcome, _ in run.steps] == [
        ("demo_data", "done"), ("build_gold", "up"), ("score_reviews", "not"), ("report", "done")]
    assert run.steps[0][2] is not None and run.steps[2][2] is None
    assert (run.planned, run.seconds, run.not_done) == (4, 42.5, 1)
    assert figures("\n".join(figure_lines(run, "local", 900.0))) == {
        "pipeline.local.seconds": ("42.5", "s"), "pipeline.local.steps_not_done": ("1", "steps"),
        "pipeline.local.driver_peak_mb": ("900", "MB")}


def test_a_failed_run_has_no_total_and_counts_the_failed_step_and_those_never_reached(settings, caplog):
    steps = [Step("demo_data", lambda ctx: {}), Step("forecast", broken), Step("report", lambda ctx: {})]
    run = parse_output(pipeline_output(settings, steps, caplog))
    assert [name for name, _, _ in run.steps] == ["demo_data", "forecast"]
    assert run.steps[1][1].startswith("failed after")
    assert (run.planned, run.seconds, run.not_done) == (3, None, 2)
    found = figures("\n".join(figure_lines(run, "medium", 900.0)))
    assert found["pipeline.medium.steps_not_done"] == ("2", "steps") and "pipeline.medium.seconds" not in found


@pytest.mark.parametrize("text", ["", "ERROR   shoplake.runner: no Java found\n"])
def test_a_run_that_ended_before_its_first_step_is_not_done(text):
    assert parse_output(text).not_done == 1
