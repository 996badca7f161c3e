"""The one exception the analyses raise on purpose."""
from __future__ import annotations


class AnalyticsError(ValueError):
    """An analysis cannot run on its input (missing table or column, too little data, a bad rule)."""
