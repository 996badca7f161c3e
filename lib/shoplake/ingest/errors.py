"""Errors of ingest that the person running it can act on, each one line: exit code 2, or 1 for a refused batch."""
from __future__ import annotations

from shoplake.errors import ConflictError, EnvironmentProblem, InputRefused


class IngestAlreadyRunning(ConflictError):
    """Another ingest of the same source holds its lock."""


class InputFileError(EnvironmentProblem):
    """An input file could not be read for a reason other than its content; it is retried on the next run."""


class CheckpointUnwritable(EnvironmentProblem):
    """The job's checkpoint folder under ``lake.root`` cannot be written."""


class QuarantineTooHigh(InputRefused):
    """Batches whose quarantined share is over ``ingest.max_quarantine_share``: nothing of them was written and
    their files stay unprocessed."""
