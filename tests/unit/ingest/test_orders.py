"""Clickstream and order transforms on tiny hand-made DataFrames."""
from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from shoplake.ingest.clickstream import first_per_key, sessionize, sessions
from shoplake.ingest.load_orders import customer_summary, silver_orders
from shoplake.ingest.orders import latest_state, order_lines, pseudonymized_orders
from shoplake.privacy.pseudonyms import pseudonym

T0 = dt.datetime(2026, 3, 1, 10, 0)


def minutes(m):
    return T0 + dt.timedelta(minutes=m)


def test_sessions_split_on_inactivity(spark):
    rows = [("e1", "u1", minutes(0), "product_view"), ("e2", "u1", minutes(20), "add_to_cart"),
            ("e3", "u1", minutes(49), "purchase"),   # 29 min gap: same session
            ("e4", "u1", minutes(80), "page_view"),  # 31 min gap: new session
            ("e5", "u2", minutes(5), "page_view")]
    events = spark.createDataFrame(rows, "event_id string, user_id string, event_time timestamp, event_type string")
    events = events.withColumn("device", F.lit("mobile")).withColumn("channel", F.lit("email"))
    keyed = {r.event_id: r.session_key for r in sessionize(events, 30).collect()}
    assert keyed["e1"] == keyed["e2"] == keyed["e3"]
    assert len({keyed["e1"], keyed["e4"], keyed["e5"]}) == 3
    table = {r.session_key: r for r in sessions(sessionize(events, 30)).collect()}
    first = table[keyed["e1"]]
    assert (first.n_events, first.converted, first.duration_s) == (3, True, 49 * 60)
    assert table[keyed["e4"]].converted is False


def test_session_key_is_stable_when_events_are_added(spark):
    schema = "event_id string, user_id string, event_time timestamp, event_type string"
    before = spark.createDataFrame([("e1", "u1", minutes(0), "page_view")], schema)
    after = before.union(spark.createDataFrame([("e2", "u1", minutes(10), "page_view")], schema))
    assert sessionize(before, 30).first().session_key == {r.session_key for r in sessionize(after, 30).collect()}.pop()


def test_first_per_key_is_deterministic(spark):
    df = spark.createDataFrame([("e1", 2), ("e1", 1), ("e2", 5)], "event_id string, n int")
    kept = {r.event_id: r.n for r in first_per_key(df, "event_id", [F.col("n")]).collect()}
    assert kept == {"e1": 1, "e2": 5}


ORDER_SCHEMA = ("order_id string, customer_id string, order_time timestamp, status string, updated_at timestamp, "
                "lines array<struct<product_id:string,quantity:int,unit_price:double,discount:double>>, "
                "email string, name string, phone string, address string, _ingested_at timestamp, _source_file string")


def orders_df(spark):
    line = [("p1", 2, 10.0, 1.0), ("p2", 1, 5.0, None)]
    pii = ("ann@Example.com", "Ann Lee", "+1 555 0100", "1 Main St")
    rows = [("o1", "c1", minutes(0), "placed", minutes(0), line, *pii, minutes(1), "f1"),
            ("o1", "c1", minutes(0), "shipped", minutes(90), line, *pii, minutes(2), "f2"),
            ("o1", "c1", minutes(0), "paid", minutes(30), line, *pii, minutes(3), "f3"),  # late, older update
            ("o2", "c2", minutes(5), "cancelled", minutes(6), [("p1", 1, 10.0, 0.0)], "b@x.org", "B", "1", "a",
             minutes(1), "f1")]
    return spark.createDataFrame(rows, ORDER_SCHEMA)


def test_latest_update_wins_regardless_of_arrival_order(spark):
    latest = {r.order_id: r.status for r in latest_state(orders_df(spark)).collect()}
    assert latest == {"o1": "shipped", "o2": "cancelled"}


def test_order_lines_and_pii_removal(spark):
    key = b"k"
    orders = pseudonymized_orders(latest_state(orders_df(spark)), key)
    assert not {"email", "name", "phone", "address"} & set(orders.columns)
    lines = {(r.order_id, r.line_no): r for r in order_lines(orders).collect()}
    assert lines[("o1", 0)].net_amount == 18.0  # 2 x (10.0 - 1.0)
    assert lines[("o1", 1)].net_amount == 5.0   # missing discount counts as none
    assert lines[("o1", 0)].customer_id == pseudonym("c1", key)


def test_silver_orders_and_customers_keep_no_raw_pii(spark):
    orders = silver_orders(orders_df(spark), b"k")
    assert not {"email", "name", "phone", "address"} & set(orders.columns)
    rows = {r.customer_id: r for r in customer_summary(orders).collect()}
    ann = rows[pseudonym("c1", b"k")]
    assert (ann.email_domain, ann.orders) == ("example.com", 1)
    assert "Ann" not in str(ann) and "555" not in str(ann)


def test_daily_item_sales_counts_only_revenue_statuses(spark):
    from shoplake.gold.transforms import daily_item_sales

    lines = order_lines(pseudonymized_orders(latest_state(orders_df(spark)), b"k"))
    sales = {(r.product_id, str(r.date)): r for r in daily_item_sales(lines).collect()}
    # o1 (shipped) counts; o2 (cancelled) does not
    assert sales[("p1", "2026-03-01")].units == 2
    assert sales[("p1", "2026-03-01")].revenue == 18.0
    assert sales[("p1", "2026-03-01")].promotion is True
    assert sales[("p2", "2026-03-01")].promotion is False
    assert sum(r.revenue for r in sales.values()) == 23.0


def test_interactions_weight_events(spark):
    from shoplake.gold.transforms import user_item_interactions

    rows = [("u1", "p1", "product_view", minutes(0)), ("u1", "p1", "purchase", minutes(1)),
            ("u1", "p2", "remove_from_cart", minutes(2)), ("u2", None, "page_view", minutes(3))]
    events = spark.createDataFrame(rows, "user_id string, product_id string, event_type string, event_time timestamp")
    got = {(r.user_id, r.product_id): r for r in user_item_interactions(
        events, {"product_view": 1.0, "purchase": 8.0, "remove_from_cart": -1.0}).collect()}
    assert set(got) == {("u1", "p1")}  # negative total dropped, events without a product ignored
    assert (got[("u1", "p1")].weight, got[("u1", "p1")].n_purchases) == (9.0, 1)


def test_funnel_rates(spark):
    from shoplake.gold.transforms import funnel_daily

    schema = ("session_date date, channel string, device string, n_product_view int, n_add_to_cart int, "
              "n_begin_checkout int, n_purchase int")
    d = dt.date(2026, 3, 1)
    rows = [(d, "email", "mobile", 1, 1, 1, 1), (d, "email", "mobile", 2, 1, 0, 0),
            (d, "email", "mobile", 1, 0, 0, 0), (d, "email", "mobile", 0, 0, 0, 0)]
    f = funnel_daily(spark.createDataFrame(rows, schema)).first()
    assert (f.sessions, f.product_view, f.add_to_cart, f.begin_checkout, f.purchase) == (4, 3, 2, 1, 1)
    assert (f.product_view_rate, f.add_to_cart_rate, f.begin_checkout_rate, f.purchase_rate) == (0.75, 0.6667, 0.5, 1.0)


def test_user_features_ignore_activity_after_cutoff(spark):
    from shoplake.gold.transforms import user_features

    sess = spark.createDataFrame(
        [("u1", minutes(0), minutes(10), True), ("u1", minutes(60 * 24 * 5), minutes(60 * 24 * 5 + 1), False)],
        "user_id string, session_start timestamp, session_end timestamp, converted boolean")
    lines = spark.createDataFrame(
        [("o1", "u1", minutes(5), "paid", 20.0), ("o2", "u1", minutes(60 * 24 * 6), "paid", 99.0)],
        "order_id string, customer_id string, order_time timestamp, status string, net_amount double")
    f = user_features(sess, lines, minutes(60 * 24 * 2)).first()
    assert (f.frequency, f.monetary, f.sessions, f.conversion_rate, f.recency_days) == (1, 20.0, 1, 1.0, 1)
