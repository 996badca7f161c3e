"""Order anomaly signals, score and reasons on hand-made orders, and precision/recall against known ones."""
from __future__ import annotations

import datetime as dt

import pytest

from shoplake.analytics.anomalies import evaluate_flags, order_facts, score_orders
from shoplake.analytics.errors import AnalyticsError
from shoplake.config.settings import AnalyticsSettings

T0 = dt.datetime(2024, 2, 1, 9)
LINES = ("order_id string, customer_id string, order_time timestamp, status string, updated_at timestamp, "
         "product_id string, quantity int, net_amount double")
SESSIONS = "user_id string, session_start timestamp, session_end timestamp"


def at(hours=0.0):
    return T0 + dt.timedelta(hours=hours)


def shop(spark):
    """Order lines and sessions: 40 ordinary orders and the unusual ones the comments name."""
    lines, sessions = [], []

    def order(order_id, customer, hours, amount, quantity=1, status="delivered", updated=None, browsed=True):
        lines.append((order_id, customer, at(hours), status, updated or at(hours + 48), "p1", quantity, amount))
        if browsed:
            sessions.append((customer, at(hours - 0.2), at(hours)))

    for n in range(40):
        order(f"ok{n}", f"c{n}", 24 * n, 20.0 + n, 1 + n % 2)
    order("fraud", "f", 100, 4000.0, 30, browsed=False)  # huge amount, many items, no browsing
    for n in range(4):  # four orders in six minutes
        order(f"burst{n}", "b", 200 + n * 0.03, 25.0)
    order("refund1", "r", 300, 30.0, status="refunded", updated=at(400))  # two refunds within 30 days
    order("refund2", "r", 500, 35.0, status="refunded", updated=at(600))
    order("one_refund", "n2", 300, 30.0, status="refunded", updated=at(400))  # a single refund is ordinary
    order("quiet", "q", 700, 40.0, browsed=False)  # no browsing alone never flags
    order("twice1", "t", 800, 30.0, browsed=False)  # two orders in 20 minutes without browsing: flagged
    order("twice2", "t", 800.33, 30.0, browsed=False)
    order("twice_browsed1", "tb", 900, 30.0)  # the same with browsing: ordinary
    order("twice_browsed2", "tb", 900.33, 30.0)
    return spark.createDataFrame(lines, LINES), spark.createDataFrame(sessions, SESSIONS)


@pytest.fixture(scope="module")
def scored(spark):
    lines, sessions = shop(spark)
    return {r.order_id: r for r in score_orders(order_facts(lines), sessions, AnalyticsSettings()).collect()}


def test_each_kind_of_unusual_order_is_flagged_with_its_reason(scored):
    assert scored["fraud"].reasons == ["high_amount", "many_items", "no_browsing"]
    assert all(scored[f"burst{n}"].reasons == ["order_velocity"] for n in range(4))
    assert scored["refund1"].reasons == scored["refund2"].reasons == ["refund_burst"]
    assert scored["twice1"].reasons == ["order_velocity", "no_browsing"]
    assert scored["fraud"].reason == "high_amount, many_items, no_browsing"


def test_ordinary_orders_are_not_flagged(scored):
    flagged = {order_id for order_id, row in scored.items() if row.flagged}
    assert flagged == {"fraud", "burst0", "burst1", "burst2", "burst3", "refund1", "refund2", "twice1", "twice2"}
    assert scored["quiet"].no_browsing and scored["quiet"].score < 1 and scored["quiet"].reasons == []
    assert scored["one_refund"].refund_orders == 1 and not scored["twice_browsed1"].flagged


def test_signals_and_score(scored):
    assert scored["burst0"].velocity_orders == 4 and scored["ok0"].velocity_orders == 1
    assert scored["fraud"].amount_z > 10 and abs(scored["ok20"].amount_z) < 1
    assert scored["twice1"].score == pytest.approx(2 / 3 + 0.5, abs=1e-3)
    assert scored["burst0"].score == pytest.approx(4 / 3, abs=1e-3)
    assert scored["fraud"].order_date == at(100).date() and scored["fraud"].items == 30


def test_without_sessions_no_browsing_is_unknown_and_adds_nothing(spark, scored):
    lines, _ = shop(spark)
    blind = {r.order_id: r for r in score_orders(order_facts(lines), None, AnalyticsSettings()).collect()}
    assert all(r.no_browsing is None and "no_browsing" not in r.reasons for r in blind.values())
    assert blind["fraud"].reasons == ["high_amount", "many_items"] and not blind["twice1"].flagged
    assert blind["burst0"].score == scored["burst0"].score  # browsed before: the same score either way


def test_precision_and_recall_against_known_anomalies(spark, scored):
    lines, sessions = shop(spark)
    table = score_orders(order_facts(lines), sessions, AnalyticsSettings())
    known = spark.createDataFrame(
        [("fraud", "fraud_amount"), *[(f"burst{n}", "burst") for n in range(4)], ("refund1", "refund_abuse"),
         ("refund2", "refund_abuse"), ("one_refund", "refund_abuse"), ("never_ingested", "burst")],
        "order_id string, kind string")
    metrics = evaluate_flags(table, known)
    assert metrics["flagged"] == 9 and metrics["planted"] == 8
    assert metrics["precision"] == pytest.approx(7 / 9) and metrics["recall"] == pytest.approx(7 / 8)
    assert metrics["recall_refund_abuse"] == pytest.approx(2 / 3) and metrics["recall_fraud_amount"] == 1.0


def test_lines_without_amounts_are_a_clear_error(spark):
    bad = spark.createDataFrame([("o1", "c1")], "order_id string, customer_id string")
    with pytest.raises(AnalyticsError, match="net_amount"):
        order_facts(bad)
