"""The exceptions the privacy operations raise on purpose."""
from __future__ import annotations


class PrivacyError(ValueError):
    """Base class: a privacy operation cannot run as asked (the message says why)."""


class ErasureRequestError(PrivacyError):
    """An erasure request names no customer, or names one in a form that cannot be used."""


class PiiFound(PrivacyError):
    """Personal data was found outside bronze; the message lists table, column, kind and count."""

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = findings
