"""The step runner: order, subsets, figures, and failures."""
from __future__ import annotations

import pytest

from shoplake.pipeline import Need, Step, run_steps
from shoplake.steps.context import StepNotRun, StepOutcome
from shoplake.pipeline.summary import summary_lines


def recorder(calls, name, figures=None):
    def run(ctx):
        calls.append((name, ctx))
        return StepOutcome(figures=figures or {})
    return run


def test_steps_run_in_order_and_report_figures():
    calls = []
    steps = [Step("a", recorder(calls, "a", {"rows": 3})), Step("b", recorder(calls, "b"))]
    results = run_steps(steps, ctx="CTX")
    assert calls == [("a", "CTX"), ("b", "CTX")]
    assert [r.name for r in results] == ["a", "b"]
    assert results[0].figures == {"rows": 3}
    assert all(r.seconds >= 0 for r in results)


def test_only_runs_named_steps_in_pipeline_order():
    calls = []
    steps = [Step(n, recorder(calls, n)) for n in "abc"]
    run_steps(steps, ctx=None, only=["c", "a"])
    assert [c[0] for c in calls] == ["a", "c"]


def test_unknown_step_is_named():
    with pytest.raises(ValueError, match="unknown pipeline step\\(s\\): zz; steps: a"):
        run_steps([Step("a", lambda ctx: {})], ctx=None, only=["zz"])


def test_failure_stops_the_run():
    calls = []

    def boom(ctx):
        raise RuntimeError("step broke")

    steps = [Step("a", boom), Step("b", recorder(calls, "b"))]
    with pytest.raises(RuntimeError, match="step broke"):
        run_steps(steps, ctx=None)
    assert calls == []


class MemoryLedger:
    """A ledger over a dict of table versions, with the lake ledger's up-to-date rule."""

    def __init__(self, tables):
        self.tables, self.rows = tables, []

    def versions(self, tables):
        return {t: self.tables[t] for t in tables if t in self.tables}

    def is_current(self, step, reads):
        done = [r for r, status in self.rows if r.name == step and status in ("succeeded", "skipped")]
        return bool(done) and done[-1].reads == dict(reads) and self.versions(done[-1].writes) == done[-1].writes

    def record(self, result, status, started, error=None):
        self.rows.append((result, status))


def writer(tables, table):
    def run(ctx):
        tables[table] = tables.get(table, -1) + 1
        return {}
    return run


def test_a_step_whose_inputs_and_outputs_are_unchanged_is_skipped():
    tables = {"silver.x": 0}
    ledger = MemoryLedger(tables)
    steps = [Step("gold", writer(tables, "gold.y"), reads=("silver.x",), writes=("gold.y",))]
    first = run_steps(steps, None, ledger=ledger)
    second = run_steps(steps, None, ledger=ledger)
    assert (first[0].skipped, second[0].skipped) == (False, True)
    assert tables["gold.y"] == 0 and second[0].writes == {"gold.y": 0}
    tables["silver.x"] = 1  # new input version: runs again
    assert not run_steps(steps, None, ledger=ledger)[0].skipped
    tables["gold.y"] = 7  # output changed by someone else: runs again
    assert not run_steps(steps, None, ledger=ledger)[0].skipped
    assert not run_steps(steps, None, ledger=ledger, force=True)[0].skipped


def test_a_failed_step_is_recorded_and_the_rerun_continues_from_it():
    tables = {"in": 0}
    ledger = MemoryLedger(tables)
    broken = {"yes": True}

    def flaky(ctx):
        if broken["yes"]:
            raise RuntimeError("disk full")
        return writer(tables, "b.out")(ctx)

    steps = [Step("a", writer(tables, "a.out"), reads=("in",), writes=("a.out",)),
             Step("b", flaky, reads=("a.out",), writes=("b.out",))]
    with pytest.raises(RuntimeError):
        run_steps(steps, None, ledger=ledger)
    assert [(r.name, s) for r, s in ledger.rows] == [("a", "succeeded"), ("b", "failed")]
    broken["yes"] = False
    results = run_steps(steps, None, ledger=ledger)
    assert [(r.name, r.skipped) for r in results] == [("a", True), ("b", False)]
    assert tables == {"in": 0, "a.out": 0, "b.out": 0}


def test_a_step_that_cannot_run_yet_is_recorded_the_run_goes_on_and_the_next_run_tries_again(settings):
    tables = {"in": 0}
    ledger = MemoryLedger(tables)
    model = {"registered": False}

    def score(ctx):
        if not model["registered"]:
            raise StepNotRun("no version of model 'm' is registered")
        return writer(tables, "scores")(ctx)

    steps = [Step("score", score, reads=("in",), writes=("scores",)), Step("report", writer(tables, "report"))]
    first = run_steps(steps, None, ledger=ledger)
    assert [(r.name, s) for r, s in ledger.rows] == [("score", "not_run"), ("report", "succeeded")]
    assert first[0].not_run == "no version of model 'm' is registered" and "report" in tables
    summary = summary_lines(settings, first, "r1", 12.34)
    assert "  score   not run: no version of model 'm' is registered" in summary and "  total      12.3s" in summary
    model["registered"] = True
    second = run_steps(steps, None, ledger=ledger)
    assert (second[0].skipped, second[0].not_run, tables["scores"]) == (False, None, 0)


def test_a_step_whose_need_is_not_met_is_recorded_as_not_run_with_the_reason_without_running():
    tables, calls = {"in": 0}, []
    ledger = MemoryLedger(tables)
    shop = {"clickstream": False}
    need = Need("no clickstream", lambda ctx: ctx["clickstream"])
    steps = [Step("funnel", recorder(calls, "funnel"), reads=("in",), needs=(need,)),
             Step("report", recorder(calls, "r"))]
    first = run_steps(steps, shop, ledger=ledger)
    assert [c[0] for c in calls] == ["r"] and first[0].not_run == "no clickstream"
    assert [(r.name, s) for r, s in ledger.rows] == [("funnel", "not_run"), ("report", "succeeded")]
    shop["clickstream"] = True
    assert run_steps(steps, shop, ledger=ledger)[0].not_run is None and calls[-2][0] == "funnel"


def test_from_runs_the_named_step_and_every_later_one():
    calls = []
    steps = [Step(n, recorder(calls, n)) for n in "abcd"]
    run_steps(steps, None, start_from="c")
    assert [c[0] for c in calls] == ["c", "d"]
    with pytest.raises(ValueError, match="not both"):
        run_steps(steps, None, ["a"], start_from="c")
