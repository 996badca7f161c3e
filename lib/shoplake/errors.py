"""The project's user-facing errors: a mistake the person running a job can fix.

Raise a subclass of :class:`UserFacingError` when the message alone tells the user what is
wrong and what to change (name the config key, environment variable, path or command).
:func:`shoplake.runner.run_job` and the ``shoplake`` command turn one into a single log line
on stderr and exit code 2, without a traceback; set ``SHOPLAKE_DEBUG=1`` (or pass ``--debug``
to a job) to see the traceback too. Any other exception stays a failure: a traceback and exit
code 1.

- :class:`ConfigurationError`: the configuration is missing, malformed or invalid
  (``shoplake.config.ConfigError`` is one).
- :class:`EnvironmentProblem`: the configuration is well-formed but the machine does not
  match it (a Spark master that cannot be reached, a lake root that cannot be written).
- :class:`ConflictError`: another run is doing the same thing right now.
"""
from __future__ import annotations

from collections.abc import Mapping

from shoplake.log import get_logger, setup_logging

EXIT_USER_ERROR = 2
log = get_logger("runner")


class UserFacingError(Exception):
    """Base class: the message is the whole story; the runner logs it as one line, exit code 2."""

    def one_line(self) -> str:
        """The message flattened to one line (multi-line details joined with ``; ``)."""
        parts = [part.strip() for part in str(self).splitlines() if part.strip()]
        return "; ".join(parts) if parts else type(self).__name__


class ConfigurationError(UserFacingError, ValueError):
    """A configuration value, file or override is missing, malformed or invalid."""


class EnvironmentProblem(UserFacingError):
    """The environment does not match the configuration (unreachable service, unwritable path)."""


class ConflictError(UserFacingError):
    """Another run holds what this run needs (for example another ingest of the same source)."""


class InputRefused(Exception):
    """Input that a configured limit refuses (a batch with too much quarantined): the job ends with the message
    as one line and exit code 1; the pipeline records its step as failed and stops there."""


def exception_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, for a one-line error; for a JVM exception raised through py4j,
    the Java exception's class and message without the Java stack trace."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        return f"{java.getClass().getSimpleName()}: {java.getMessage() or ''}".splitlines()[0]
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def debug_requested(environ: Mapping[str, str]) -> bool:
    """True when ``SHOPLAKE_DEBUG`` asks for tracebacks of user-facing errors."""
    return environ.get("SHOPLAKE_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def log_user_error(exc: UserFacingError, debug: bool, context: str) -> int:
    """Log ``exc`` as one error line (with its traceback when ``debug``); return exit code 2."""
    setup_logging()
    log.error("%s: %s", context, exc.one_line(), exc_info=exc if debug else None)
    return EXIT_USER_ERROR
