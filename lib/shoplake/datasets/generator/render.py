"""JSON-lines rendering: clickstream events from column arrays (fast templates), other records via json."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from shoplake.datasets.generator.sessions import QUERIES, Day
from shoplake.schemas import CHANNELS, DEVICES, EVENT_TYPES

EVENT_TEMPLATE = (
    '{"event_id":"%s","event_time":"%s","user_id":%s,"session_id":"%s","event_type":%s,"product_id":%s,'
    '"price":%s,"quantity":%s,"query":%s,"device":%s,"channel":%s,"ip":%s,"user_agent":%s}'
)
NULL = "null"


def quoted(values) -> list[str]:
    """JSON string literals of ``values``."""
    return [json.dumps(v, ensure_ascii=False) for v in values]


def iso_times(epoch_ms: np.ndarray) -> list[str]:
    """ISO-8601 UTC timestamps with milliseconds (``2024-01-05T10:15:30.123Z``)."""
    return [t + "Z" for t in np.datetime_as_string(np.asarray(epoch_ms).astype("datetime64[ms]"), unit="ms")]


def iso_time(epoch_ms: int) -> str:
    """One ISO-8601 UTC timestamp with milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


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
        price_tokens = [f"{p:.2f}" for p in prices] + [NULL]
        quantity_tokens = [NULL if q == 0 else str(q) for q in day.quantity.tolist()]
        users, products = self._users, self._products
        return [
            EVENT_TEMPLATE % (
                f"e{tag}-{n:07d}", time, users[u], f"s{tag}-{s:06d}", self._kinds[k], products[p],
                price_tokens[p], q, self._queries[qi], self._devices[d], self._channels[c], self._ips[u],
                self._agents[u],
            )
            for n, (time, u, s, k, p, q, qi, d, c) in enumerate(zip(
                iso_times(start_ms + day.time_ms), day.user.tolist(), day.session.tolist(), day.kind.tolist(),
                day.product.tolist(), quantity_tokens, day.query.tolist(), day.device.tolist(),
                day.channel.tolist(),
            ))
        ]
