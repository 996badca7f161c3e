"""Orders of one block: lifecycles (paid, shipped, delivered, cancelled, refunded) and planted anomalies.

Anomalies, a configured share of all orders, split evenly over three kinds:
``fraud_amount`` (orders of many expensive items with someone else's email and address, with no
browsing before them), ``burst`` (one customer placing several small orders within minutes) and
``refund_abuse`` (customers who send back everything they get: their delivered orders are refunded).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shoplake.datasets.generator.catalogue import Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.people import DOMAINS, Users
from shoplake.datasets.generator.sessions import DAY_MS, Day

HOUR_MS = 3_600_000
CANCEL_PROB = 0.03
REFUND_PROB = 0.04


@dataclass
class Order:
    """One order: who, when, what, and its status history ``[(status, ms), ...]``."""

    user: int
    placed_ms: int
    lines: list[tuple[int, int, float, float]]  # product, quantity, unit price, discount per unit
    anomaly: str | None = None
    identity: tuple[str, str] | None = None  # (email, address) used instead of the customer's own
    history: list[tuple[str, int]] = field(default_factory=list)
    order_id: str = ""

    def time_of(self, status: str) -> int | None:
        """When the order reached ``status``, or None."""
        return next((ms for s, ms in self.history if s == status), None)


def orders_of_day(day_index: int, day: Day, catalogue: Catalogue) -> list[Order]:
    """The orders placed in a simulated day, priced at that day's regular price and discount."""
    regular = catalogue.regular_price[:, day_index]
    discount = np.round(regular * catalogue.discount[:, day_index], 2)
    user_of = dict(zip(day.session.tolist(), day.user.tolist()))
    orders = [Order(user=user_of[s], placed_ms=int(t), lines=[])
              for s, t in zip(day.order_session.tolist(), day.order_time_ms.tolist())]
    for o, p, q in zip(day.line_order.tolist(), day.line_product.tolist(), day.line_quantity.tolist()):
        orders[o].lines.append((p, q, float(regular[p]), float(discount[p])))
    return orders


def lifecycle(placed_ms: int, rng: np.random.Generator, refund_prob: float = REFUND_PROB) -> list[tuple[str, int]]:
    """Status history of an order placed at ``placed_ms`` (may run past the generated period)."""
    history = [("placed", placed_ms)]
    if rng.random() < CANCEL_PROB:
        return history + [("cancelled", placed_ms + int(rng.integers(HOUR_MS // 12, 6 * HOUR_MS)))]
    paid = placed_ms + int(rng.integers(60_000, 20 * 60_000))
    shipped = paid + int(rng.integers(12 * HOUR_MS, 60 * HOUR_MS))
    delivered = shipped + int(rng.integers(24 * HOUR_MS, 120 * HOUR_MS))
    history += [("paid", paid), ("shipped", shipped), ("delivered", delivered)]
    if rng.random() < refund_prob:
        history.append(("refunded", delivered + int(rng.integers(2 * DAY_MS, 20 * DAY_MS))))
    return history


def plant_anomalies(
    orders: list[Order], users: Users, catalogue: Catalogue, config: GeneratorConfig, rng: np.random.Generator
) -> list[Order]:
    """Add fraud and burst orders, turn some customers into refund abusers; return all orders."""
    share = config.anomaly_share
    total = round(share * len(orders) / (1 - 2 * share / 3)) if orders else 0
    n_fraud, n_burst = round(total / 3), round(total / 3)
    horizon = config.days * DAY_MS
    planted = (_fraud_orders(n_fraud, users, catalogue, rng, horizon)
               + _burst_orders(n_burst, len(users), catalogue, rng, horizon))
    for order in planted:
        order.history = lifecycle(order.placed_ms, rng)
    _refund_abuse(orders, total - n_fraud - n_burst, rng, horizon)
    return sorted(orders + planted, key=lambda o: (o.placed_ms, o.user))


def _fraud_orders(n: int, users: Users, catalogue: Catalogue, rng, horizon: int) -> list[Order]:
    expensive = np.flatnonzero(catalogue.list_price >= np.quantile(catalogue.list_price, 0.9))
    orders = []
    for _ in range(n):
        placed = int(rng.integers(0, horizon - DAY_MS))
        products = rng.choice(expensive, int(rng.integers(2, 5)), replace=False)
        day = placed // DAY_MS
        lines = [(int(p), int(rng.integers(4, 13)), float(catalogue.regular_price[p, day]), 0.0) for p in products]
        email = f"x{int(rng.integers(10**6, 10**7))}@{DOMAINS[int(rng.integers(len(DOMAINS)))]}"
        address = f"{int(rng.integers(1, 999))} Depot Road, Unit {int(rng.integers(1, 99))}, Portside"
        orders.append(Order(user=int(rng.integers(len(users))), placed_ms=placed, lines=lines,
                            anomaly="fraud_amount", identity=(email, address)))
    return orders


def _burst_orders(n: int, n_users: int, catalogue: Catalogue, rng, horizon: int) -> list[Order]:
    cheap = np.flatnonzero(catalogue.list_price <= np.quantile(catalogue.list_price, 0.3))
    orders = []
    while len(orders) < n:
        user, product = int(rng.integers(n_users)), int(rng.choice(cheap))
        at = int(rng.integers(0, horizon - DAY_MS))
        for _ in range(min(int(rng.integers(4, 11)), n - len(orders))):
            at += int(rng.integers(15_000, 90_000))
            price = float(catalogue.regular_price[product, at // DAY_MS])
            orders.append(Order(user=user, placed_ms=at, lines=[(product, 1, price, 0.0)], anomaly="burst"))
    return orders


def _refund_abuse(orders: list[Order], n: int, rng, horizon: int) -> None:
    """Make whole customers refund abusers until ``n`` of their delivered orders are refunded."""
    delivered_by_user: dict[int, list[Order]] = {}
    for order in orders:
        delivered = order.time_of("delivered")
        if delivered is not None and order.time_of("refunded") is None and delivered + 6 * DAY_MS < horizon:
            delivered_by_user.setdefault(order.user, []).append(order)
    candidates = sorted(delivered_by_user)
    for user in rng.permutation(candidates) if candidates else []:
        for order in delivered_by_user[int(user)]:
            if n <= 0:
                return
            refunded = order.time_of("delivered") + int(rng.integers(DAY_MS, 5 * DAY_MS))
            order.history.append(("refunded", refunded))
            order.anomaly = "refund_abuse"
            n -= 1


def assign_ids(orders: list[Order], block: int) -> None:
    """Order ids ``o<block>-<day>-<n>`` in order of placement (planted orders look like any other)."""
    per_day: dict[int, int] = {}
    for order in orders:
        day = order.placed_ms // DAY_MS
        per_day[day] = per_day.get(day, 0) + 1
        order.order_id = f"o{block:05d}-{day:04d}-{per_day[day] - 1:05d}"


def status_records(order: Order, users: Users, product_ids: list[str], horizon: int) -> list[tuple[int, dict]]:
    """(ms, orders-contract record) for each status the order reached within the generated period."""
    email, address = order.identity or (users.email[order.user], users.address[order.user])
    lines = [{"product_id": product_ids[p], "quantity": q, "unit_price": price, "discount": discount}
             for p, q, price, discount in order.lines]
    return [
        (ms, {
            "order_id": order.order_id, "customer_id": users.ids[order.user], "order_time": order.placed_ms,
            "status": status, "updated_at": ms, "lines": lines, "email": email, "name": users.name[order.user],
            "phone": users.phone[order.user], "address": address,
        })
        for status, ms in order.history if ms < horizon
    ]
