"""Run named steps in order, logging each start, end, duration and the counts it reports."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shoplake.log import get_logger

log = get_logger("pipeline")


@dataclass(frozen=True)
class Step:
    """One pipeline step: ``run(ctx)`` returns a mapping of figures to report (row counts...)."""

    name: str
    run: Callable[[object], dict]
    description: str = ""


@dataclass
class StepResult:
    name: str
    seconds: float
    figures: dict = field(default_factory=dict)


def run_steps(steps: Sequence[Step], ctx, only: Sequence[str] = ()) -> list[StepResult]:
    """Run ``steps`` (or the named subset) in order; a failing step stops the run and is re-raised."""
    unknown = sorted(set(only) - {s.name for s in steps})
    if unknown:
        raise ValueError(f"unknown pipeline step(s): {', '.join(unknown)}; steps: {', '.join(s.name for s in steps)}")
    chosen = [s for s in steps if not only or s.name in only]
    results = []
    for number, step in enumerate(chosen, start=1):
        log.info("[%d/%d] %s: started%s", number, len(chosen), step.name, f" ({step.description})" if step.description else "")
        started = time.monotonic()
        try:
            figures = step.run(ctx) or {}
        except Exception:
            log.error("[%d/%d] %s: failed after %.1fs", number, len(chosen), step.name, time.monotonic() - started)
            raise
        result = StepResult(step.name, time.monotonic() - started, dict(figures))
        log.info("[%d/%d] %s: done in %.1fs %s", number, len(chosen), step.name, result.seconds,
                 " ".join(f"{k}={v}" for k, v in result.figures.items()))
        results.append(result)
    return results
