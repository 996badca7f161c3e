"""Input contracts: what a shop drops into the inputs folder, as typed Spark schemas.

Each :class:`Contract` names its folder under the inputs root, its StructType (the typed form a
valid record parses to; files are JSON lines, timestamps ISO-8601 strings in UTC), the columns
that identify a record, the columns a valid record must have, the identifier columns that must
arrive as JSON strings, the text columns that hold encoded bytes rather than text, and the column
whose date names the day folder a record arrives in: ``<folder>/date=YYYY-MM-DD/part-*.json``
(records without that time, and sources not dropped daily, sit in ``<folder>/part-*.json``). The
day folders are arrival batches, not a column to trust: read a source's folder recursively.

The first four are DESIGN.md's shop inputs; ``ratings`` (explicit feedback, e.g. MovieLens) and
``item_sales`` (an aggregated sales series, e.g. a retailer's monthly turnover) are the forms the
real public datasets arrive in.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    ArrayType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

EVENT_TYPES = (
    "page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase",
)
FUNNEL_STEPS = ("product_view", "add_to_cart", "begin_checkout", "purchase")
"""The steps of the purchase funnel, in order (each an event type)."""
ORDER_STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "refunded")
REVENUE_STATUSES = ("placed", "paid", "shipped", "delivered")
"""Orders in these states count towards revenue; cancelled and refunded ones do not."""
DEVICES = ("mobile", "desktop", "tablet")
CHANNELS = ("direct", "organic_search", "paid_search", "email", "social", "referral")


@dataclass(frozen=True)
class Contract:
    """One input: folder under the inputs root, schema, record key, required and identifier columns."""

    name: str
    schema: StructType
    key: tuple[str, ...]
    required: tuple[str, ...]
    arrival: str | None  # column whose date names the day folder; None: not dropped daily
    ids: tuple[str, ...] = ()  # string columns that must be JSON strings; "lines.product_id": in each element
    encoded: tuple[str, ...] = ()  # string columns holding encoded bytes (base64), not text

    def __post_init__(self):
        named = self.key + self.required + self.encoded + tuple(name.split(".")[0] for name in self.ids)
        missing = set(named + ((self.arrival,) if self.arrival else ())) - set(self.schema.fieldNames())
        if missing:
            raise ValueError(f"contract {self.name}: unknown columns {sorted(missing)}")
        not_text = [name for name in self.ids + self.encoded if not isinstance(self.field_type(name), StringType)]
        if not_text:
            raise ValueError(f"contract {self.name}: {not_text} must be string columns")

    def field_type(self, name: str) -> DataType:
        """The type of column ``name``, or of field ``b`` in each element of array column ``a`` for ``"a.b"``."""
        column, _, element_field = name.partition(".")
        dtype = self.schema[column].dataType
        if not element_field:
            return dtype
        if not (isinstance(dtype, ArrayType) and isinstance(dtype.elementType, StructType)
                and element_field in dtype.elementType.fieldNames()):
            raise ValueError(f"contract {self.name}: {name!r} is not a field of {column!r}'s elements")
        return dtype.elementType[element_field].dataType


def _fields(*specs: tuple[str, object]) -> StructType:
    return StructType([StructField(name, dtype, True) for name, dtype in specs])


CLICKSTREAM = Contract(
    name="clickstream",
    schema=_fields(
        ("event_id", StringType()),
        ("event_time", TimestampType()),
        ("user_id", StringType()),
        ("session_id", StringType()),
        ("event_type", StringType()),
        ("product_id", StringType()),
        ("price", DoubleType()),
        ("quantity", IntegerType()),
        ("query", StringType()),
        ("device", StringType()),
        ("channel", StringType()),
        ("ip", StringType()),
        ("user_agent", StringType()),
    ),
    key=("event_id",),
    required=("event_id", "event_time", "user_id", "session_id", "event_type"),
    arrival="event_time",
    ids=("event_id", "user_id", "session_id", "product_id"),
)

ORDER_LINE = _fields(
    ("product_id", StringType()),
    ("quantity", IntegerType()),
    ("unit_price", DoubleType()),
    ("discount", DoubleType()),
)

ORDERS = Contract(
    name="orders",
    schema=_fields(
        ("order_id", StringType()),
        ("customer_id", StringType()),
        ("order_time", TimestampType()),
        ("status", StringType()),
        ("updated_at", TimestampType()),
        ("lines", ArrayType(ORDER_LINE, containsNull=False)),
        ("email", StringType()),
        ("name", StringType()),
        ("phone", StringType()),
        ("address", StringType()),
    ),
    key=("order_id", "updated_at"),
    required=("order_id", "customer_id", "order_time", "status", "updated_at"),
    arrival="updated_at",
    ids=("order_id", "customer_id", "lines.product_id"),
)

PRODUCTS = Contract(
    name="products",
    schema=_fields(
        ("product_id", StringType()),
        ("title", StringType()),
        ("description", StringType()),
        ("category", StringType()),
        ("brand", StringType()),
        ("price", DoubleType()),
        ("image", StringType()),  # base64 of a PNG, or a path to one
    ),
    key=("product_id",),
    required=("product_id", "category"),
    arrival=None,
    ids=("product_id",),
    encoded=("image",),
)

REVIEWS = Contract(
    name="reviews",
    schema=_fields(
        ("review_id", StringType()),
        ("product_id", StringType()),
        ("user_id", StringType()),
        ("rating", IntegerType()),
        ("title", StringType()),
        ("text", StringType()),
        ("review_time", TimestampType()),
    ),
    key=("review_id",),
    required=("review_id", "product_id", "rating"),
    arrival="review_time",
    ids=("review_id", "product_id", "user_id"),
)

RATINGS = Contract(
    name="ratings",
    schema=_fields(
        ("user_id", StringType()),
        ("item_id", StringType()),
        ("rating", DoubleType()),
        ("timestamp", TimestampType()),
    ),
    key=("user_id", "item_id", "timestamp"),
    required=("user_id", "item_id", "rating", "timestamp"),
    arrival=None,
    ids=("user_id", "item_id"),
)

ITEM_SALES = Contract(
    name="item_sales",
    schema=_fields(
        ("item_id", StringType()),
        ("date", DateType()),
        ("units", LongType()),
        ("revenue", DoubleType()),
    ),
    key=("item_id", "date"),
    required=("item_id", "date"),
    arrival=None,
    ids=("item_id",),
)

CONTRACTS = {c.name: c for c in (CLICKSTREAM, ORDERS, PRODUCTS, REVIEWS, RATINGS, ITEM_SALES)}
