"""Schemas: every input contract's StructType and allowed values, one source of truth.

The generator, the real-data converters and the ingest jobs all read their columns from here.
"""

from shoplake.schemas.inputs import (
    CHANNELS,
    CLICKSTREAM,
    CONTRACTS,
    DEVICES,
    EVENT_TYPES,
    FUNNEL_STEPS,
    ITEM_SALES,
    ORDER_LINE,
    ORDER_STATUSES,
    ORDERS,
    PRODUCTS,
    RATINGS,
    REVENUE_STATUSES,
    REVIEWS,
    Contract,
)

__all__ = [
    "CHANNELS",
    "CLICKSTREAM",
    "CONTRACTS",
    "DEVICES",
    "EVENT_TYPES",
    "FUNNEL_STEPS",
    "ITEM_SALES",
    "ORDER_LINE",
    "ORDER_STATUSES",
    "ORDERS",
    "PRODUCTS",
    "RATINGS",
    "REVENUE_STATUSES",
    "REVIEWS",
    "Contract",
]
