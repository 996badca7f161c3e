"""The inputs a shop may not send: many shops have orders only, without clickstream or a product catalogue.

Each optional input names the silver tables it feeds. A job that can do without one asks
``present(lake.exists)`` and, when it is absent, leaves out what needs it and says ``reason``
(``"no clickstream"``); quality skips rules that refer to its tables.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shoplake.catalog.silver import SILVER_EVENTS, SILVER_PRODUCTS, SILVER_REVIEWS, SILVER_SESSIONS


@dataclass(frozen=True)
class OptionalInput:
    """An input source a shop may not send, and the silver tables it feeds."""

    name: str
    tables: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Why something that needs this input was not done: ``"no clickstream"``."""
        return f"no {self.name}"

    def present(self, exists: Callable[[str], bool]) -> bool:
        """True when every table of this input exists (``exists`` is ``lake.exists``)."""
        return all(exists(t) for t in self.tables)


CLICKSTREAM = OptionalInput("clickstream", (SILVER_EVENTS, SILVER_SESSIONS))
PRODUCT_CATALOGUE = OptionalInput("product catalogue", (SILVER_PRODUCTS,))
REVIEWS = OptionalInput("reviews", (SILVER_REVIEWS,))
OPTIONAL_INPUTS = (CLICKSTREAM, PRODUCT_CATALOGUE, REVIEWS)


def absent_inputs(exists: Callable[[str], bool]) -> tuple[OptionalInput, ...]:
    """The optional inputs the lake does not have."""
    return tuple(optional for optional in OPTIONAL_INPUTS if not optional.present(exists))


def without_absent(tables: Iterable[str], exists: Callable[[str], bool]) -> tuple[str, ...]:
    """``tables`` less the tables of the optional inputs the lake does not have (required ones stay)."""
    left_out = {t for optional in absent_inputs(exists) for t in optional.tables}
    return tuple(t for t in tables if t not in left_out)
