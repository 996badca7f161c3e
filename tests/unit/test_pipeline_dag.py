"""The step runner: order, subsets, figures, and failures."""
from __future__ import annotations

import pytest

from shoplake.pipeline import Step, run_steps


def recorder(calls, name, figures=None):
    def run(ctx):
        calls.append((name, ctx))
        return figures or {}
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
