"""JSON-lines rendering: clickstream events from column arrays (fast templates), other records via json."""
from __future__ import annotations

import json

import numpy as np

from shoplake.datasets.generator.sessions import QUERIES, Day
from shoplake.schemas import CHANNELS, DEVICES, EVENT_TYPES

EVENT_TEMPLATE = (
    '{"event_id":"%s","event_time":"%s","event_type":%s,"product_id":%s,"price":%s,"quantity":%s,"query":%s,%s}'
)
SESSION_TEMPLATE = '"user_id":%s,"session_id":"%s","device":%s,"channel":%s,"ip":%s,"user_agent":%s'
NULL = "null"


def quoted(values) -> list[str]:
    """JSON string literals of ``values``."""
    return [json.dumps(v, ensure_ascii=False) for v in values]


def iso_times(epoch_ms: np.ndarray) -> list[str]:
    """ISO-8601 UTC timestamps with milliseconds (``2024-01-05T10:15:30.123Z``)."""
    return [t + "Z" for t in np.datetime_as_string(np.asarray(epoch_ms).astype("datetime64[ms]"), unit="ms")]


def dumps(record: dict) -> str:
    """One compact JSON line."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


class EventRenderer:
    """Renders a block's days of events; per-user and per-product tokens are quoted once."""

    _kinds = quoted(EVENT_TYPES)
    _devices = quoted(DEVICES)
    _channels = quoted(CHANNELS)
    _queries = quoted(QUERIES) + [NULL]  # index -1: no query

    def __init__(self, block: int, user_ids: list[str], ips: list[str], agents: list[str], product_ids: list[str]):
        self._prefix = f"{block:05d}"
        self._users = quoted(user_ids)
        self._ips = quoted(ips)
        self._agents = quoted(agents)
        self._products = quoted(product_ids) + [NULL]  # index -1: no product

    def render(self, day_index: int, day: Day, start_ms: int, prices: np.ndarray) -> list[str]:
        """The day's events as JSON lines, with ids ``e<block>-<day>-<n>`` and ``s<block>-<day>-<n>``."""
        tag = f"{self._prefix}-{day_index:04d}"
        first_event = np.unique(day.session, return_index=True)[1]
        sessions = [
            SESSION_TEMPLATE % (self._users[u], f"s{tag}-{s:06d}", self._devices[d], self._channels[c],
                                self._ips[u], self._agents[u])
            for s, u, d, c in zip(range(day.sessions), day.user[first_event].tolist(),
                                  day.device[first_event].tolist(), day.channel[first_event].tolist())
        ]
        product = day.product.tolist()
        price = [NULL if p < 0 else f"{v:.2f}" for p, v in zip(product, prices[day.product].tolist())]
        quantity = [NULL if q == 0 else str(q) for q in day.quantity.tolist()]
        kinds, products, queries = self._kinds, self._products, self._queries
        return [
            EVENT_TEMPLATE % (f"e{tag}-{n:07d}", time, kinds[k], products[p], pr, q, queries[qi], sessions[s])
            for n, (time, k, p, pr, q, qi, s) in enumerate(zip(
                iso_times(start_ms + day.time_ms), day.kind.tolist(), product, price, quantity,
                day.query.tolist(), day.session.tolist(),
            ))
        ]
