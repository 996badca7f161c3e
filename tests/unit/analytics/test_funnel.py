"""Funnel on hand-made clickstreams: ordered steps, session and within-N-days variants, conversion and drop-off."""
from __future__ import annotations

import datetime as dt

import pytest

from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.funnel import (
    funnel_by_segment,
    funnel_counts,
    funnel_totals,
    session_units,
    step_counts,
    step_rows,
    window_units,
)

T0 = dt.datetime(2024, 3, 4, 10, 0)
SCHEMA = "event_id string, event_time timestamp, user_id string, event_type string, device string, channel string"


def at(day=0, minute=0):
    return T0 + dt.timedelta(days=day, minutes=minute)


def events(spark, rows):
    """rows: (user, day, minute, event_type[, device, channel])."""
    full = [(f"e{i}", at(d, m), user, kind, *(rest or ("mobile", "email")))
            for i, (user, d, m, kind, *rest) in enumerate(rows)]
    return spark.createDataFrame(full, SCHEMA)


SHOP = [
    # u1: the whole funnel in one session, with a page view first
    ("u1", 0, 0, "page_view"), ("u1", 0, 1, "product_view"), ("u1", 0, 2, "add_to_cart"),
    ("u1", 0, 3, "begin_checkout"), ("u1", 0, 4, "purchase"),
    # u2: view and cart, then leaves
    ("u2", 0, 0, "product_view", "desktop", "social"), ("u2", 0, 1, "add_to_cart", "desktop", "social"),
    # u3: cart before any view, checkout without a cart after the view: only the view counts, in order
    ("u3", 0, 0, "add_to_cart"), ("u3", 0, 1, "product_view"), ("u3", 0, 2, "purchase"),
    # u4: only browses pages: not in the funnel
    ("u4", 0, 0, "page_view"),
]


def test_session_units_count_steps_in_order(spark):
    reached = sorted(r.steps_reached for r in session_units(events(spark, SHOP), 30).collect())
    assert reached == [1, 2, 4]  # u3 reached only the view; u4 never entered the funnel


def test_step_rows_give_conversion_and_drop_off(spark):
    counts = step_counts(session_units(events(spark, SHOP), 30), "session", keys=[])
    rows = {r.step: r for r in step_rows(counts, ["variant"]).collect()}
    assert [rows[s].units for s in ("product_view", "add_to_cart", "begin_checkout", "purchase")] == [3, 2, 1, 1]
    assert rows["product_view"].step_conversion is None and rows["product_view"].overall_conversion == 1.0
    assert rows["add_to_cart"].step_conversion == pytest.approx(2 / 3, abs=1e-4)
    assert (rows["add_to_cart"].drop_off, rows["begin_checkout"].drop_off, rows["purchase"].drop_off) == (1, 1, 0)
    assert rows["begin_checkout"].drop_off_rate == 0.5
    assert rows["purchase"].step_conversion == 1.0
    assert rows["purchase"].overall_conversion == pytest.approx(1 / 3, abs=1e-4)


def test_segments_keep_channel_and_device_of_the_session(spark):
    counts = funnel_counts(events(spark, SHOP), 30, 7)
    by_segment = {(r.variant, r.device, r.channel, r.step): r.units for r in funnel_by_segment(counts).collect()}
    assert by_segment[("session", "desktop", "social", "add_to_cart")] == 1
    assert by_segment[("session", "mobile", "email", "product_view")] == 2
    totals = {(r.variant, r.step): r.units for r in funnel_totals(counts).collect()}
    assert totals[("session", "purchase")] == 1 and totals[("within_7d", "product_view")] == 3


def test_missing_channel_and_device_are_unknown(spark):
    rows = [("e1", at(), "u1", "product_view", None, None)]
    units = session_units(spark.createDataFrame(rows, SCHEMA), 30).collect()
    assert (units[0].channel, units[0].device) == ("unknown", "unknown")


def test_window_variant_follows_a_user_across_sessions_and_days(spark):
    spread = events(spark, [("u1", 0, 0, "product_view"), ("u1", 1, 0, "add_to_cart"),
                            ("u1", 2, 0, "begin_checkout"), ("u1", 2, 1, "purchase"),
                            ("u2", 0, 0, "product_view"), ("u2", 9, 0, "add_to_cart")])
    # per session: day 0 sessions only viewed; the later sessions never viewed a product
    assert sorted(r.steps_reached for r in session_units(spread, 30).collect()) == [1, 1]
    within_7 = {r.user_id: r.steps_reached for r in window_units(spread, 7).collect()}
    assert within_7 == {"u1": 4, "u2": 1}  # u2's cart came 9 days later
    within_1 = {r.user_id: r.steps_reached for r in window_units(spread, 1).collect()}
    assert within_1 == {"u1": 1, "u2": 1}


def test_window_entries_are_the_first_view_of_each_day(spark):
    daily = events(spark, [("u1", 0, 0, "product_view"), ("u1", 0, 5, "product_view"), ("u1", 1, 0, "product_view"),
                           ("u1", 1, 1, "add_to_cart")])
    units = sorted((r.date, r.steps_reached) for r in window_units(daily, 7).collect())
    assert units == [(at(0).date(), 2), (at(1).date(), 2)]


def test_missing_columns_are_a_clear_error(spark):
    bad = spark.createDataFrame([("e1", at(), "u1")], "event_id string, event_time timestamp, user_id string")
    with pytest.raises(AnalyticsError, match="missing column.*event_type"):
        session_units(bad, 30)
