"""The exceptions the privacy operations raise on purpose."""
from __future__ import annotations

from shoplake.errors import UserFacingError


class PrivacyError(ValueError):
    """Base class: a privacy operation cannot run as asked (the message says why)."""


class ErasureRequestError(PrivacyError, UserFacingError):
    """An erasure request names no customer, or names one in a form that cannot be used."""


class NothingToErase(PrivacyError):
    """No table holds the customer an erasure names, and the request did not allow that; nothing was written."""


class ErasureIncomplete(PrivacyError):
    """Rows of the customer remain after an erasure deleted them; the request stays pending to be finished."""


class PiiFound(PrivacyError):
    """Personal data was found outside bronze; the message lists table, column, kind and count."""

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = findings
