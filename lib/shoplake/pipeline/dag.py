"""Run named steps in order, logging each start, end, duration and the counts it reports.

A step may declare the lake tables it ``reads`` and ``writes``. With a ledger (see
:mod:`shoplake.pipeline.ledger`) the runner records, per step, the table versions it read and
wrote, and skips a step whose last successful run read the same versions and whose outputs are
still the versions it wrote: re-running after a failure continues where it stopped. Steps that
declare no reads (ingest from files, which is incremental by itself) always run. A step that
raises :class:`StepNotRun` (nothing to work with yet), or one whose :class:`Need` is not met (an
input this shop does not send), is recorded as ``not_run`` with its reason and the run goes on;
the next run tries it again.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shoplake.log import get_logger
from shoplake.steps.context import StepNotRun, StepOutcome, format_versions

log = get_logger("pipeline")


@dataclass(frozen=True)
class Need:
    """What a step needs that a shop may not have: ``met(ctx)`` says whether it is there, ``reason`` why
    the step is not run without it (``"no clickstream"``)."""

    reason: str
    met: Callable[[object], bool]


@dataclass(frozen=True)
class Step:
    """One pipeline step: ``run(ctx)`` is a step function (:mod:`shoplake.steps`) returning a
    :class:`~shoplake.steps.context.StepOutcome`, called with ``options`` set on the pipeline's context.

    ``reads``/``writes`` name the lake tables the step consumes and produces; the outcome's run ids
    become the figure ``mlflow_run_ids``, which ties the step to the MLflow runs it created. Without
    one of its ``needs`` the step is not run.
    """

    name: str
    run: Callable[[object], StepOutcome]
    description: str = ""
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)
    needs: tuple[Need, ...] = ()


@dataclass
class StepResult:
    name: str
    seconds: float
    figures: dict = field(default_factory=dict)
    skipped: bool = False
    not_run: str | None = None
    reads: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)


class Ledger(Protocol):
    """Where step runs are recorded and looked up (``ops.pipeline_runs`` in the lake)."""

    def versions(self, tables: Sequence[str]) -> dict[str, int]: ...

    def is_current(self, step: str, reads: Mapping[str, int]) -> bool: ...

    def record(self, result: StepResult, status: str, started: float, error: str | None = None) -> None: ...


def choose_steps(steps: Sequence[Step], only: Sequence[str] = (), start_from: str | None = None) -> list[Step]:
    """The steps to run, in pipeline order: the ``only`` subset, or every step from ``start_from`` on."""
    names = [s.name for s in steps]
    unknown = sorted((set(only) | ({start_from} if start_from else set())) - set(names))
    if unknown:
        raise ValueError(f"unknown pipeline step(s): {', '.join(unknown)}; steps: {', '.join(names)}")
    if only and start_from:
        raise ValueError("pass --only or --from, not both")
    first = names.index(start_from) if start_from else 0
    return [s for s in steps[first:] if not only or s.name in only]


def run_steps(steps: Sequence[Step], ctx, only: Sequence[str] = (), *, start_from: str | None = None,
              ledger: Ledger | None = None, force: bool = False) -> list[StepResult]:
    """Run the chosen steps in order; a failing step stops the run and is re-raised.

    With a ``ledger``, up-to-date steps are skipped (unless ``force``) and every step's outcome,
    including a failure, is recorded.
    """
    chosen = choose_steps(steps, only, start_from)
    results = []
    for number, step in enumerate(chosen, start=1):
        prefix = f"[{number}/{len(chosen)}] {step.name}"
        reads = ledger.versions(step.reads) if ledger else {}
        started_wall, started = time.time(), time.monotonic()
        if ledger and not force and step.reads and ledger.is_current(step.name, reads):
            result = StepResult(step.name, 0.0, skipped=True, reads=reads, writes=ledger.versions(step.writes))
            ledger.record(result, "skipped", started_wall)
            log.info("%s: up to date (inputs %s unchanged since its last run), skipped", prefix, format_versions(reads))
            results.append(result)
            continue
        unmet = "; ".join(need.reason for need in step.needs if not need.met(ctx))
        if unmet:
            log.info("%s: not run: %s", prefix, unmet)
            results.append(_not_run(step.name, unmet, reads, started, started_wall, ledger))
            continue
        log.info("%s: started%s", prefix, f" ({step.description})" if step.description else "")
        try:
            outcome = step.run(ctx.with_options(**step.options) if step.options else ctx) or StepOutcome()
        except StepNotRun as reason:
            log.warning("%s: not run: %s", prefix, reason)
            results.append(_not_run(step.name, str(reason), reads, started, started_wall, ledger))
            continue
        except Exception as exc:
            log.error("%s: failed after %.1fs", prefix, time.monotonic() - started)
            if ledger:
                ledger.record(StepResult(step.name, time.monotonic() - started, reads=reads), "failed", started_wall,
                              error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        figures = {**outcome.figures, "mlflow_run_ids": outcome.run_ids} if outcome.run_ids else dict(outcome.figures)
        result = StepResult(step.name, time.monotonic() - started, figures, reads=reads,
                            writes=ledger.versions(step.writes) if ledger else {})
        if ledger:
            ledger.record(result, "succeeded", started_wall)
        log.info("%s: done in %.1fs %s", prefix, result.seconds,
                 " ".join(f"{k}={v}" for k, v in result.figures.items() if k != "mlflow_run_ids"))
        results.append(result)
    return results


def _not_run(name: str, reason: str, reads: dict[str, int], started: float, started_wall: float,
             ledger: Ledger | None) -> StepResult:
    """The result of a step not run for ``reason``, recorded in the ledger."""
    result = StepResult(name, time.monotonic() - started, not_run=reason, reads=reads)
    if ledger:
        ledger.record(result, "not_run", started_wall, error=reason)
    return result
