"""Reviews of delivered order lines: the rating follows the customer's taste for the item, the text is a
real review with that rating."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

from shoplake.datasets.generator.catalogue import Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.orders import Order
from shoplake.datasets.generator.people import Users
from shoplake.datasets.generator.sessions import DAY_MS, ChoiceModel

RATING_SHARES = (0.036, 0.067, 0.122, 0.216, 0.559)  # 1..5 stars, as in the real review dataset
TASTE_WEIGHT = 0.8  # share of a rating's (unit) variance explained by the customer's taste for the item
THRESHOLDS = [NormalDist().inv_cdf(q) for q in np.cumsum(RATING_SHARES)[:-1]]


def make_reviews(
    orders: list[Order], users: Users, catalogue: Catalogue, choice: ChoiceModel, config: GeneratorConfig,
    texts: dict[int, list[tuple[str | None, str]]], rng: np.random.Generator,
) -> list[tuple[int, dict]]:
    """(ms, reviews-contract record) for reviews written within the generated period, in time order."""
    horizon = config.days * DAY_MS
    written = []
    for order in orders:
        delivered = order.time_of("delivered")
        if order.anomaly in ("fraud_amount", "burst") or delivered is None:
            continue
        for product, *_ in order.lines:
            at = delivered + int(rng.integers(DAY_MS, 10 * DAY_MS))
            if rng.random() < config.review_prob and at < horizon:
                written.append((at, order.user, product))
    written.sort()
    records = []
    for n, (at, user, product) in enumerate(written):
        affinity = users.taste[user] @ catalogue.vectors[product] / np.sqrt(config.taste_dims)
        z = (TASTE_WEIGHT * (affinity - choice.affinity_mean) / choice.affinity_std
             + np.sqrt(1 - TASTE_WEIGHT**2) * rng.normal())
        rating = 1 + int(np.searchsorted(THRESHOLDS, z))
        title, text = texts[rating][int(rng.integers(len(texts[rating])))]
        records.append((at, {
            "review_id": f"r{users.ids[user][1:]}-{n:06d}", "product_id": catalogue.product_ids[product],
            "user_id": users.ids[user], "rating": rating, "title": title, "text": text, "review_time": at,
        }))
    return records
