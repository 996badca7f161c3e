"""The error of the lake-reading commands: what was asked for does not exist or cannot be done."""
from __future__ import annotations

from shoplake.errors import UserFacingError


class ExploreError(UserFacingError):
    """A table, version, query or output folder the command cannot serve; the message names it and what exists."""
