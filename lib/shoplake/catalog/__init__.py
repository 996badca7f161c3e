"""The lake's tables, each named once: ``SILVER_EVENTS`` is ``"silver.events"``, and ``table(SILVER_EVENTS)``
says what it holds, which steps write it from which tables, and the rules its data must satisfy.

The constants are plain strings (``lake.read(SILVER_EVENTS)``); the entries live in one module per
layer (:mod:`~shoplake.catalog.bronze`, ``silver``, ``gold``, ``ops``), in the order listed here;
:mod:`~shoplake.catalog.optional` names the inputs a shop may not send (clickstream, products, reviews).
"""
from __future__ import annotations

from shoplake.catalog import bronze, gold, ops, silver
from shoplake.catalog.bronze import (BRONZE_CLICKSTREAM, BRONZE_ORDERS, BRONZE_PRODUCTS, BRONZE_QUARANTINE,
                                     BRONZE_REVIEWS)
from shoplake.catalog.gold import (GOLD_ANOMALIES, GOLD_BUNDLES, GOLD_CHURN_SCORES, GOLD_COHORT_RETENTION,
                                   GOLD_DAILY_ITEM_SALES, GOLD_FORECAST_BACKTEST, GOLD_FORECASTS, GOLD_FUNNEL, GOLD_FUNNEL_DAILY,
                                   GOLD_FUNNEL_STEPS, GOLD_ITEM_EMBEDDINGS, GOLD_PRODUCT_SENTIMENT,
                                   GOLD_RECOMMENDATIONS, GOLD_REVIEW_SENTIMENT, GOLD_RFM_SEGMENTS,
                                   GOLD_SEGMENT_SUMMARY, GOLD_SERIES_FORECAST_BACKTEST, GOLD_SERIES_FORECASTS,
                                   GOLD_SIMILAR_ITEMS, GOLD_USER_FEATURES,
                                   GOLD_USER_ITEM_INTERACTIONS, GOLD_VISUALLY_SIMILAR_ITEMS)
from shoplake.catalog.ops import (OPS_DQ_RESULTS, OPS_ERASURE_LIST, OPS_ERASURE_REQUESTS, OPS_ERASURES,
                                  OPS_PIPELINE_RUNS)
from shoplake.catalog.optional import (CLICKSTREAM, OPTIONAL_INPUTS, PRODUCT_CATALOGUE, REVIEWS, OptionalInput,
                                       absent_inputs, without_absent)
from shoplake.catalog.silver import (SILVER_CLOTHING_REVIEWS, SILVER_CUSTOMERS, SILVER_EVENTS, SILVER_FASHION_MNIST,
                                     SILVER_ORDER_LINES, SILVER_ORDERS, SILVER_PRODUCTS, SILVER_REVIEWS,
                                     SILVER_SESSIONS)
from shoplake.catalog.table import Range, Table

TABLES: dict[str, Table] = {t.name: t for layer in (bronze, silver, gold, ops) for t in layer.TABLES}


class UnknownTable(KeyError):
    """A table name that is not in the catalogue; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def table(name: str) -> Table:
    """The catalogue entry of ``name``; :class:`UnknownTable` naming the known tables when there is none."""
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(f"no table {name!r} in the lake catalogue; known tables: {', '.join(TABLES)}") from None


def tables_of_layer(layer: str) -> tuple[str, ...]:
    """Every catalogued table of ``layer``, in catalogue order."""
    return tuple(name for name, entry in TABLES.items() if entry.layer == layer)


def tables_written_by(*steps: str) -> tuple[str, ...]:
    """The tables that any of the pipeline steps or jobs ``steps`` writes, in catalogue order."""
    return tuple(name for name, entry in TABLES.items() if set(steps) & set(entry.written_by))


def inputs_of(step: str) -> tuple[str, ...]:
    """The tables ``step`` reads, in catalogue order: the inputs of the tables it writes, less those it writes
    itself, and the tables it reads to make something outside the lake (``Table.read_by``)."""
    written = tables_written_by(step)
    needed = {source for name in written for source in TABLES[name].inputs} - set(written)
    return tuple(name for name, entry in TABLES.items() if name in needed or step in entry.read_by)


def bronze_table(source: str) -> str:
    """The bronze table of input ``source`` (``"orders"`` -> ``BRONZE_ORDERS``); UnknownTable if none."""
    return table(f"bronze.{source}").name


def silver_table(source: str) -> str:
    """The silver table of input ``source`` (``"products"`` -> ``SILVER_PRODUCTS``); UnknownTable if none."""
    return table(f"silver.{source}").name


__all__ = [
    "TABLES", "Range", "Table", "UnknownTable", "bronze_table", "inputs_of", "silver_table", "table",
    "tables_of_layer", "tables_written_by",
    "OptionalInput", "OPTIONAL_INPUTS", "CLICKSTREAM", "PRODUCT_CATALOGUE", "REVIEWS", "absent_inputs",
    "without_absent",
    "BRONZE_CLICKSTREAM", "BRONZE_ORDERS", "BRONZE_PRODUCTS", "BRONZE_REVIEWS", "BRONZE_QUARANTINE",
    "SILVER_EVENTS", "SILVER_SESSIONS", "SILVER_ORDERS", "SILVER_ORDER_LINES", "SILVER_CUSTOMERS", "SILVER_PRODUCTS",
    "SILVER_REVIEWS", "SILVER_CLOTHING_REVIEWS", "SILVER_FASHION_MNIST",
    "GOLD_DAILY_ITEM_SALES", "GOLD_USER_ITEM_INTERACTIONS", "GOLD_USER_FEATURES", "GOLD_FUNNEL_DAILY", "GOLD_FUNNEL",
    "GOLD_FUNNEL_STEPS", "GOLD_COHORT_RETENTION", "GOLD_RFM_SEGMENTS", "GOLD_SEGMENT_SUMMARY", "GOLD_BUNDLES",
    "GOLD_ANOMALIES", "GOLD_CHURN_SCORES", "GOLD_RECOMMENDATIONS", "GOLD_SIMILAR_ITEMS", "GOLD_FORECASTS",
    "GOLD_FORECAST_BACKTEST", "GOLD_SERIES_FORECASTS", "GOLD_SERIES_FORECAST_BACKTEST", "GOLD_REVIEW_SENTIMENT",
    "GOLD_PRODUCT_SENTIMENT", "GOLD_ITEM_EMBEDDINGS", "GOLD_VISUALLY_SIMILAR_ITEMS",
    "OPS_PIPELINE_RUNS", "OPS_DQ_RESULTS", "OPS_ERASURES", "OPS_ERASURE_LIST", "OPS_ERASURE_REQUESTS",
]
