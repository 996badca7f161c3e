"""Generate one block of users end to end (runs on an executor): events, orders, reviews, their truth."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import numpy as np

from shoplake.datasets.generator.calendar import day_weights
from shoplake.datasets.generator.catalogue import Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.corrupt import corrupt_lines
from shoplake.datasets.generator.orders import assign_ids, lifecycle, orders_of_day, plant_anomalies, status_records
from shoplake.datasets.generator.people import Users, make_users
from shoplake.datasets.generator.render import EventRenderer, dumps, iso_times
from shoplake.datasets.generator.reviews import make_reviews
from shoplake.datasets.generator.sessions import DAY_MS, ChoiceModel, simulate_day
from shoplake.datasets.generator.sink import Sink
from shoplake.schemas import CHANNELS, DEVICES

TIME_FIELDS = {"orders": ("order_time", "updated_at"), "reviews": ("review_time",)}


@dataclass(frozen=True)
class BlockInputs:
    """What every block needs, shipped to the executors once (a broadcast)."""

    config: GeneratorConfig
    catalogue: Catalogue
    review_texts: dict[int, list[tuple[str | None, str]]]
    out: str
    truth: str


def start_ms(config: GeneratorConfig) -> int:
    """Epoch milliseconds of the first generated day's midnight (UTC)."""
    return int(datetime.combine(config.start_date, time(), tzinfo=timezone.utc).timestamp() * 1000)


class DailyWriter:
    """Writes a block's daily files with corruption planted; keeps the corruption report and counts."""

    def __init__(self, sink: Sink, block: int, config: GeneratorConfig, rng: np.random.Generator):
        self.sink, self.block, self.config, self.rng = sink, block, config, rng
        self.future_after = datetime.combine(config.start_date + timedelta(days=config.days), time(), timezone.utc)
        self.report: list[dict] = []
        self.stats: Counter = Counter()

    def write(self, source: str, day: int, lines: list[str]) -> None:
        """Write one day's lines of ``source`` as ``<source>/date=<day>/part-<block>.json``."""
        if not lines:
            return
        folder = f"{source}/date={self.config.start_date + timedelta(days=day)}"
        name = f"{folder}/part-{self.block:05d}.json"
        out, bad = corrupt_lines(lines, source, self.config.record_corruption(), self.rng, self.future_after)
        self.stats["bytes"] += self.sink.write_lines(name, out)
        self.stats[f"{source}_records"] += len(lines)
        self.stats["files"] += 1
        for line, record_id, kind in bad:
            self.report.append({"source": source, "file": name, "line": line, "record_id": record_id, "kind": kind})
            self.stats[f"corrupt_{kind}"] += 1
        if self.rng.random() < self.config.corruption.get("duplicate_file", 0.0):
            copy = f"{folder}/part-{self.block:05d}-resent.json"
            self.stats["bytes"] += self.sink.write_lines(copy, out)
            self.report.append({"source": source, "file": copy, "line": None, "record_id": name,
                                "kind": "duplicate_file"})
            self.stats["corrupt_duplicate_file"] += 1

    def write_records(self, source: str, records: list[tuple[int, dict]], origin_ms: int) -> None:
        """Write ``(ms, record)`` pairs into the day files of their ms, times rendered as ISO-8601."""
        for name in TIME_FIELDS[source]:
            times = iso_times(origin_ms + np.array([record[name] for _, record in records], dtype=np.int64))
            for (_, record), text in zip(records, times):
                record[name] = text
        by_day: dict[int, list[str]] = {}
        for ms, record in records:
            by_day.setdefault(ms // DAY_MS, []).append(dumps(record))
        for day in sorted(by_day):
            self.write(source, day, by_day[day])


def generate_block(inputs: BlockInputs, block: int) -> dict[str, int]:
    """Generate block ``block`` into ``inputs.out`` and its ground truth into ``inputs.truth``; return counts."""
    config, catalogue = inputs.config, inputs.catalogue
    rng_users, rng_days, rng_orders, rng_reviews, rng_corrupt = (
        np.random.default_rng(s) for s in np.random.SeedSequence([config.seed, 2, block]).spawn(5)
    )
    users = make_users(config, catalogue, block, rng_users)
    choice = ChoiceModel(config, users, catalogue)
    writer = DailyWriter(Sink(inputs.out), block, config, rng_corrupt)
    renderer = EventRenderer(block, users.ids, users.ip, users.user_agent, catalogue.product_ids)
    origin, traffic = start_ms(config), day_weights(config)
    last_purchase = np.full(len(users), -np.inf)
    orders = []
    for day_index in range(config.days):
        day = simulate_day(config, catalogue, users, choice, traffic[day_index], day_index, last_purchase, rng_days)
        writer.write("clickstream", day_index, renderer.render(day_index, day, origin, catalogue.price(day_index)))
        orders += orders_of_day(day_index, day, catalogue)
        writer.stats["sessions"] += day.sessions
    for order in orders:
        order.history = lifecycle(order.placed_ms, rng_orders)
    orders = plant_anomalies(orders, users, catalogue, config, rng_orders)
    assign_ids(orders, block)
    horizon = config.days * DAY_MS
    statuses = sorted((r for o in orders for r in status_records(o, users, catalogue.product_ids, horizon)),
                      key=lambda r: (r[0], r[1]["order_id"]))
    writer.write_records("orders", statuses, origin)
    reviews = make_reviews(orders, users, catalogue, choice, config, inputs.review_texts, rng_reviews)
    writer.write_records("reviews", reviews, origin)
    _write_truth(Sink(inputs.truth), block, config, users, orders, writer.report)
    return {"users": len(users), "orders": len(orders), **writer.stats}


def _write_truth(sink: Sink, block: int, config: GeneratorConfig, users: Users, orders, report) -> None:
    part = f"part-{block:05d}.json"

    def day(index: int) -> str | None:
        return str(config.start_date + timedelta(days=int(index))) if index < config.days else None

    sink.write_lines(f"users/{part}", [dumps({
        "user_id": users.ids[i], "segment": int(users.segment[i]), "taste": np.round(users.taste[i], 4).tolist(),
        "activity": round(float(users.activity[i]), 5), "device": DEVICES[users.device[i]],
        "channel": CHANNELS[users.channel[i]], "join_date": day(users.join_day[i]),
        "churn_date": day(users.churn_day[i]),
    }) for i in range(len(users))])
    sink.write_lines(f"anomalies/{part}", [dumps({
        "order_id": o.order_id, "customer_id": users.ids[o.user], "kind": o.anomaly,
    }) for o in orders if o.anomaly])
    sink.write_lines(f"corrupt/{part}", [dumps(row) for row in report])
