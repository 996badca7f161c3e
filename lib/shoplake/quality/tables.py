"""What each lake table must satisfy: its columns and types, keys, allowed values, ranges,
references to other tables, the column that says how fresh it is, and what drift to watch.

The numbers that decide how much change is too much (freshness delay, volume change, drift
tolerances) and the severities live in the ``quality`` config section, not here. A table without
a spec here (a model output, say) gets :func:`generic_spec`: volume and null-share drift.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql.types import StructType

from shoplake.config.settings import INPUT_SOURCES
from shoplake.schemas import EVENT_TYPES, ORDER_STATUSES


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric column: ``min`` (exclusive when ``strict_min``) to ``max``; nulls pass."""

    min: float | None = None
    max: float | None = None
    strict_min: bool = False


POSITIVE = Range(0, strict_min=True)
AT_LEAST_ONE = Range(1)
NON_NEGATIVE = Range(0)
SHARE = Range(0, 1)


@dataclass(frozen=True)
class TableSpec:
    """The rules of one table. ``columns`` maps each column to its Spark type in DDL form
    (``None``: the schema is not checked); ``keys`` lists the column groups that identify a row;
    ``references`` maps a column to the table whose same-named column holds the known values."""

    columns: Mapping[str, str] | None
    keys: tuple[tuple[str, ...], ...] = ()
    required: tuple[str, ...] = ()
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: Mapping[str, Range] = field(default_factory=dict)
    not_future: tuple[str, ...] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    freshness: str | None = None
    not_empty: bool = False
    drift_nulls: tuple[str, ...] = ()
    drift_means: tuple[str, ...] = ()
    drift_mix: tuple[str, ...] = ()


def _columns(ddl: str) -> dict[str, str]:
    """``"a string, b bigint"`` -> ``{"a": "string", "b": "bigint"}`` (types may hold commas inside <>)."""
    out, depth, start = {}, 0, 0
    for i, ch in enumerate(ddl + ","):
        depth += (ch == "<") - (ch == ">")
        if ch == "," and depth == 0:
            name, dtype = ddl[start:i].strip().split(" ", 1)
            out[name] = dtype.strip()
            start = i + 1
    return out


PRODUCTS = "silver.products"
_RAW = TableSpec(
    columns=_columns("value string, _source_file string, _ingested_at timestamp, _batch_id bigint"),
    required=("value", "_source_file", "_batch_id"),
    not_future=("_ingested_at",),
)

TABLE_SPECS: dict[str, TableSpec] = {
    "bronze.clickstream": _RAW,
    "bronze.orders": _RAW,
    "bronze.products": _RAW,
    "bronze.reviews": _RAW,
    "bronze.quarantine": TableSpec(
        columns=_columns("source string, raw string, _source_file string, reason string, _ingested_at timestamp, "
                         "_batch_id bigint"),
        required=("source", "reason", "_batch_id"),
        allowed={"source": INPUT_SOURCES},
        not_future=("_ingested_at",),
    ),
    "silver.events": TableSpec(
        columns=_columns("event_id string, event_time timestamp, user_id string, session_id string, event_type string, "
                         "product_id string, price double, quantity int, query string, device string, "
                         "channel string, user_agent string, _ingested_at timestamp, _batch_id bigint, "
                         "event_date date"),
        keys=(("event_id",),),
        required=("event_time", "user_id", "event_type"),
        allowed={"event_type": EVENT_TYPES},
        ranges={"price": POSITIVE, "quantity": AT_LEAST_ONE},
        not_future=("event_time",),
        references={"product_id": PRODUCTS},
        freshness="event_time",
        not_empty=True,
        drift_nulls=("product_id", "price", "session_id", "device", "channel"),
        drift_means=("price",),
        drift_mix=("event_type",),
    ),
    "silver.sessions": TableSpec(
        columns=_columns("session_key string, user_id string, session_start timestamp, session_end timestamp, "
                         "n_events bigint, device string, channel string, n_page_view bigint, "
                         "n_product_view bigint, n_search bigint, n_add_to_cart bigint, n_remove_from_cart bigint, "
                         "n_begin_checkout bigint, n_purchase bigint, converted boolean, duration_s bigint, "
                         "session_date date"),
        keys=(("session_key",),),
        required=("user_id", "session_start", "session_end"),
        ranges={"n_events": AT_LEAST_ONE, "duration_s": NON_NEGATIVE},
        not_future=("session_end",),
        not_empty=True,
        drift_means=("n_events",),
    ),
    "silver.orders": TableSpec(
        columns=_columns("order_id string, customer_id string, order_time timestamp, status string, "
                         "updated_at timestamp, "
                         "lines array<struct<product_id:string,quantity:int,unit_price:double,discount:double>>, "
                         "_ingested_at timestamp, _batch_id bigint, email_domain string, order_date date"),
        keys=(("order_id",),),
        required=("customer_id", "order_time", "status", "updated_at"),
        allowed={"status": ORDER_STATUSES},
        not_future=("order_time", "updated_at"),
        freshness="updated_at",
        not_empty=True,
        drift_nulls=("email_domain",),
        drift_mix=("status",),
    ),
    "silver.order_lines": TableSpec(
        columns=_columns("order_id string, line_no int, customer_id string, order_time timestamp, status string, "
                         "updated_at timestamp, product_id string, quantity int, unit_price double, "
                         "discount double, net_amount double"),
        keys=(("order_id", "line_no"),),
        required=("product_id", "status"),
        allowed={"status": ORDER_STATUSES},
        ranges={"quantity": AT_LEAST_ONE, "unit_price": POSITIVE, "discount": NON_NEGATIVE,
                "net_amount": NON_NEGATIVE},
        references={"product_id": PRODUCTS},
        not_empty=True,
        drift_means=("unit_price",),
    ),
    "silver.customers": TableSpec(
        columns=_columns("customer_id string, email_domain string, first_order_time timestamp, "
                         "last_order_time timestamp, orders bigint"),
        keys=(("customer_id",),),
        ranges={"orders": AT_LEAST_ONE},
        not_future=("last_order_time",),
        not_empty=True,
    ),
    "silver.products": TableSpec(
        columns=_columns("product_id string, title string, description string, category string, brand string, "
                         "price double, image binary, _ingested_at timestamp, _batch_id bigint"),
        keys=(("product_id",),),
        required=("category",),
        ranges={"price": POSITIVE},
        not_empty=True,
        drift_nulls=("title", "price", "image"),
        drift_means=("price",),
    ),
    "silver.reviews": TableSpec(
        columns=_columns("review_id string, product_id string, user_id string, rating int, title string, "
                         "text string, review_time timestamp, _ingested_at timestamp, _batch_id bigint"),
        keys=(("review_id",),),
        required=("product_id", "rating"),
        ranges={"rating": Range(1, 5)},
        not_future=("review_time",),
        references={"product_id": PRODUCTS},
        drift_means=("rating",),
    ),
    "gold.daily_item_sales": TableSpec(
        columns=_columns("product_id string, date date, units bigint, revenue double, orders bigint, "
                         "avg_price double, promotion boolean"),
        keys=(("product_id", "date"),),
        ranges={"units": AT_LEAST_ONE, "revenue": NON_NEGATIVE, "orders": AT_LEAST_ONE, "avg_price": NON_NEGATIVE},
        references={"product_id": PRODUCTS},
        not_empty=True,
        drift_means=("avg_price",),
    ),
    "gold.user_item_interactions": TableSpec(
        columns=_columns("user_id string, product_id string, weight double, n_events bigint, n_purchases bigint, "
                         "last_event_time timestamp"),
        keys=(("user_id", "product_id"),),
        ranges={"weight": POSITIVE, "n_events": AT_LEAST_ONE, "n_purchases": NON_NEGATIVE},
        not_future=("last_event_time",),
        references={"product_id": PRODUCTS},
        not_empty=True,
        drift_means=("weight",),
    ),
    "gold.user_features": TableSpec(
        columns=_columns("user_id string, recency_days int, days_since_seen int, frequency bigint, monetary double, "
                         "sessions bigint, conversion_rate double, as_of timestamp"),
        keys=(("user_id",),),
        ranges={"recency_days": NON_NEGATIVE, "days_since_seen": NON_NEGATIVE, "frequency": NON_NEGATIVE,
                "monetary": NON_NEGATIVE, "sessions": NON_NEGATIVE, "conversion_rate": SHARE},
        not_empty=True,
        drift_means=("conversion_rate",),
    ),
    "gold.funnel_daily": TableSpec(
        columns=_columns("date date, channel string, device string, sessions bigint, product_view bigint, "
                         "add_to_cart bigint, begin_checkout bigint, purchase bigint, product_view_rate double, "
                         "add_to_cart_rate double, begin_checkout_rate double, purchase_rate double"),
        keys=(("date", "channel", "device"),),
        ranges={"sessions": AT_LEAST_ONE, "product_view_rate": NON_NEGATIVE, "add_to_cart_rate": NON_NEGATIVE,
                "begin_checkout_rate": NON_NEGATIVE, "purchase_rate": NON_NEGATIVE},
        not_empty=True,
        drift_means=("purchase_rate",),
    ),
}


def generic_spec(schema: StructType) -> TableSpec:
    """The spec of a table without one of its own: row-count volume and null-share drift of every column."""
    return TableSpec(columns=None, drift_nulls=tuple(schema.fieldNames()))


def spec_for(table: str, schema: StructType) -> TableSpec:
    """The table's own spec, or :func:`generic_spec` when it has none."""
    return TABLE_SPECS.get(table) or generic_spec(schema)


def known_tables(layer: str | None = None) -> list[str]:
    """The tables with a spec of their own, optionally only those of one layer."""
    return [t for t in TABLE_SPECS if layer is None or t.split(".")[0] == layer]
