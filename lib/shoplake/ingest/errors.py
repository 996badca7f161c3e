"""Errors of ingest that the person running it can act on (each one line, exit code 2)."""
from __future__ import annotations

from shoplake.errors import ConflictError, EnvironmentProblem


class IngestAlreadyRunning(ConflictError):
    """Another ingest of the same source holds its lock."""


class InputFileError(EnvironmentProblem):
    """An input file could not be read for a reason other than its content; it is retried on the next run."""


class CheckpointUnwritable(EnvironmentProblem):
    """The job's checkpoint folder under ``lake.root`` cannot be written."""
