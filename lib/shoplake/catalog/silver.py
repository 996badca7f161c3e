"""Silver: typed, deduplicated, pseudonymized records of the shop, and the real datasets the models learn from."""
from __future__ import annotations

from shoplake.catalog.bronze import BRONZE_CLICKSTREAM, BRONZE_ORDERS, BRONZE_PRODUCTS, BRONZE_REVIEWS
from shoplake.catalog.ddl import ddl_columns
from shoplake.catalog.table import AT_LEAST_ONE, NON_NEGATIVE, Range, Table
from shoplake.schemas import EVENT_TYPES, ORDER_STATUSES

SILVER_EVENTS = "silver.events"
SILVER_SESSIONS = "silver.sessions"
SILVER_ORDERS = "silver.orders"
SILVER_ORDER_LINES = "silver.order_lines"
SILVER_CUSTOMERS = "silver.customers"
SILVER_PRODUCTS = "silver.products"
SILVER_REVIEWS = "silver.reviews"
SILVER_CLOTHING_REVIEWS = "silver.clothing_reviews"
SILVER_FASHION_MNIST = "silver.fashion_mnist"

TABLES = (
    Table(
        SILVER_EVENTS, "clickstream events, one row per event id",
        columns=ddl_columns("event_id string, event_time timestamp, user_id string, session_id string, "
                            "event_type string, product_id string, price double, quantity int, query string, "
                            "device string, channel string, user_agent string, _ingested_at timestamp, "
                            "_batch_id bigint, event_date date"),
        keys=(("event_id",),), partition_by=("event_date",),
        written_by=("ingest_clickstream",), inputs=(BRONZE_CLICKSTREAM,), checked=True,
        required=("event_time", "user_id", "event_type"),
        allowed={"event_type": EVENT_TYPES},
        ranges={"price": NON_NEGATIVE, "quantity": AT_LEAST_ONE},
        not_future=("event_time",),
        references={"product_id": SILVER_PRODUCTS},
        freshness="event_time",
        not_empty=True,
        drift_nulls=("product_id", "price", "session_id", "device", "channel"),
        drift_means=("price",),
        drift_mix=("event_type",),
    ),
    Table(
        SILVER_SESSIONS, "visits: a user's events without a long gap, with counts per event type",
        columns=ddl_columns("session_key string, user_id string, session_start timestamp, session_end timestamp, "
                            "n_events bigint, device string, channel string, n_page_view bigint, "
                            "n_product_view bigint, n_search bigint, n_add_to_cart bigint, "
                            "n_remove_from_cart bigint, n_begin_checkout bigint, n_purchase bigint, "
                            "converted boolean, duration_s bigint, session_date date"),
        keys=(("session_key",),), partition_by=("session_date",),
        written_by=("ingest_clickstream",), inputs=(SILVER_EVENTS,), checked=True,
        required=("user_id", "session_start", "session_end"),
        ranges={"n_events": AT_LEAST_ONE, "duration_s": NON_NEGATIVE},
        not_future=("session_end",),
        not_empty=True,
        drift_means=("n_events",),
    ),
    Table(
        SILVER_ORDERS, "orders in their latest state, one row per order id, lines nested",
        columns=ddl_columns("order_id string, customer_id string, order_time timestamp, status string, "
                            "updated_at timestamp, "
                            "lines array<struct<product_id:string,quantity:int,unit_price:double,discount:double>>, "
                            "_ingested_at timestamp, _batch_id bigint, email_domain string, order_date date"),
        keys=(("order_id",),), partition_by=("order_date",),
        written_by=("ingest_orders",), inputs=(BRONZE_ORDERS,), checked=True,
        required=("customer_id", "order_time", "status", "updated_at"),
        allowed={"status": ORDER_STATUSES},
        not_future=("order_time", "updated_at"),
        freshness="updated_at",
        not_empty=True,
        drift_nulls=("email_domain",),
        drift_mix=("status",),
    ),
    Table(
        SILVER_ORDER_LINES, "one row per order line, with its order's customer, time and status",
        columns=ddl_columns("order_id string, line_no int, customer_id string, order_time timestamp, "
                            "status string, updated_at timestamp, product_id string, quantity int, "
                            "unit_price double, discount double, net_amount double"),
        keys=(("order_id", "line_no"),),
        written_by=("ingest_orders",), inputs=(SILVER_ORDERS,), checked=True,
        required=("product_id", "status"),
        allowed={"status": ORDER_STATUSES},
        ranges={"quantity": AT_LEAST_ONE, "unit_price": NON_NEGATIVE, "discount": NON_NEGATIVE,
                "net_amount": NON_NEGATIVE},
        references={"product_id": SILVER_PRODUCTS},
        not_empty=True,
        drift_means=("unit_price",),
    ),
    Table(
        SILVER_CUSTOMERS, "one row per customer: email domain, first and last order, order count",
        columns=ddl_columns("customer_id string, email_domain string, first_order_time timestamp, "
                            "last_order_time timestamp, orders bigint"),
        keys=(("customer_id",),),
        written_by=("ingest_orders",), inputs=(SILVER_ORDERS,), checked=True,
        ranges={"orders": AT_LEAST_ONE},
        not_future=("last_order_time",),
        not_empty=True,
    ),
    Table(
        SILVER_PRODUCTS, "the product catalogue with images, one row per product id",
        columns=ddl_columns("product_id string, title string, description string, category string, brand string, "
                            "price double, image binary, _ingested_at timestamp, _batch_id bigint"),
        keys=(("product_id",),),
        written_by=("ingest_catalog",), inputs=(BRONZE_PRODUCTS,), checked=True,
        required=("category",),
        ranges={"price": NON_NEGATIVE},
        not_empty=True,
        drift_nulls=("title", "price", "image"),
        drift_means=("price",),
    ),
    Table(
        SILVER_REVIEWS, "product reviews with rating and text, one row per review id",
        columns=ddl_columns("review_id string, product_id string, user_id string, rating int, title string, "
                            "text string, review_time timestamp, _ingested_at timestamp, _batch_id bigint"),
        keys=(("review_id",),),
        written_by=("ingest_catalog",), inputs=(BRONZE_REVIEWS,), checked=True,
        required=("product_id", "rating"),
        ranges={"rating": Range(1, 5)},
        not_future=("review_time",),
        references={"product_id": SILVER_PRODUCTS},
        drift_means=("rating",),
    ),
    Table(
        SILVER_CLOTHING_REVIEWS, "the Women's E-Commerce Clothing Reviews dataset in the reviews contract",
        written_by=("train_sentiment",), read_by=("train_sentiment",),
    ),
    Table(
        SILVER_FASHION_MNIST, "the Fashion-MNIST product photos as PNG bytes, with category and split",
        written_by=("train_image_model",), read_by=("train_image_model",),
    ),
)
