"""A hostile pickle for the tests that check nothing the project loads can run code."""
from __future__ import annotations

from pathlib import Path


class Planted:
    """Pickles to a payload that, when unpickled, creates the file ``marker`` (any code could run there)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)
