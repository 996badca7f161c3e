"""One day of one block's traffic: sessions, the purchase funnel and the clickstream events.

Funnel per session: page views, maybe a search, product views (chosen by the user's taste and
the items' popularity; a share driven by today's promotions), each view added to the cart with
probability ``view_to_cart * device * channel * (price / list price) ** elasticity``, some items
removed again, FBT partners of kept items added, then checkout and purchase.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shoplake.datasets.generator.catalogue import CLASS_NOUN, Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.people import Users, activity_on, mix_probabilities
from shoplake.schemas import CHANNELS, DEVICES, EVENT_TYPES

EVENT = {name: code for code, name in enumerate(EVENT_TYPES)}
QUERY_FORMS = ("{noun}", "{noun} sale", "women {noun}", "black {noun}")
QUERIES = tuple(form.format(noun=noun.lower()) for noun in CLASS_NOUN for form in QUERY_FORMS)
HOURLY = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 8, 9, 10, 9, 6, 4], dtype=float)
DAY_MS = 86_400_000
MAX_PROBABILITY = 0.95


class ChoiceModel:
    """Which product a user views: softmax over taste affinity plus log popularity."""

    def __init__(self, config: GeneratorConfig, users: Users, catalogue: Catalogue):
        taste, vectors = users.taste.astype(np.float32), catalogue.vectors.astype(np.float32)
        affinity = taste @ vectors.T / np.float32(np.sqrt(config.taste_dims))
        logits = np.float32(config.taste_strength) * affinity + catalogue.log_popularity.astype(np.float32)
        logits -= logits.max(axis=1, keepdims=True)
        self._cdf = np.cumsum(np.exp(logits), axis=1)
        self._cdf /= self._cdf[:, -1:]
        self.products = logits.shape[1]
        sample = affinity[:256]  # the spread of affinities, for scaling ratings
        self.affinity_mean, self.affinity_std = float(sample.mean()), float(sample.std())

    def sample(self, user: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One product per entry of ``user`` (positions in the block)."""
        if len(user) == 0:  # a small block can have a day without sessions
            return np.empty(0, dtype=np.int64)
        draws = rng.random(len(user), dtype=np.float32)
        picked = np.empty(len(user), dtype=np.int64)
        order = np.argsort(user, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(user[order]) != 0])
        for start, end in zip(starts, np.r_[starts[1:], len(order)]):
            rows = order[start:end]
            picked[rows] = np.searchsorted(self._cdf[user[rows[0]]], draws[rows], side="right")
        return np.minimum(picked, self.products - 1)


@dataclass(frozen=True)
class Day:
    """A day's events (sorted by time; ms since the start date) and its orders (one per purchasing session)."""

    sessions: int
    time_ms: np.ndarray
    session: np.ndarray
    user: np.ndarray
    kind: np.ndarray
    product: np.ndarray  # -1: none
    quantity: np.ndarray  # 0: none
    query: np.ndarray  # index into QUERIES, -1: none
    device: np.ndarray
    channel: np.ndarray
    order_session: np.ndarray
    order_time_ms: np.ndarray
    line_order: np.ndarray  # index into order_session
    line_product: np.ndarray
    line_quantity: np.ndarray


def _within(counts: np.ndarray) -> np.ndarray:
    """0..count-1 for each group, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _session_choice(rng, preferred: np.ndarray, keep: float, mix: np.ndarray) -> np.ndarray:
    random = rng.choice(len(mix), len(preferred), p=mix)
    return np.where(rng.random(len(preferred)) < keep, preferred, random)


def simulate_day(
    config: GeneratorConfig,
    catalogue: Catalogue,
    users: Users,
    choice: ChoiceModel,
    traffic: float,
    day: int,
    last_purchase: np.ndarray,
    rng: np.random.Generator,
) -> Day:
    """Simulate ``day`` for the block's users; ``last_purchase`` (day per user) is updated in place."""
    boost = 1 + (config.repeat_boost - 1) * np.exp(-(day - last_purchase) / config.repeat_decay_days)
    counts = rng.poisson(users.activity * traffic * activity_on(config, users, day) * boost)
    s_user = np.repeat(np.arange(len(users)), counts)
    n_sessions = len(s_user)
    hour = rng.choice(24, n_sessions, p=HOURLY / HOURLY.sum())
    s_start = day * DAY_MS + hour * 3_600_000 + rng.integers(0, 3_600_000, n_sessions)
    s_device = _session_choice(rng, users.device[s_user], 0.85, mix_probabilities(config.device_mix, DEVICES))
    s_channel = _session_choice(rng, users.channel[s_user], 0.5, mix_probabilities(config.channel_mix, CHANNELS))
    effect = (np.array([config.device_effect[d] for d in DEVICES])[s_device]
              * np.array([config.channel_effect[c] for c in CHANNELS])[s_channel])

    # product views
    n_views = 1 + rng.poisson(2.2, n_sessions)
    v_sess = np.repeat(np.arange(n_sessions), n_views)
    v_index = _within(n_views)
    v_prod = choice.sample(s_user[v_sess], rng)
    on_promo = np.flatnonzero(catalogue.discount[:, day] > 0)
    if len(on_promo):
        promo_driven = rng.random(len(v_prod)) < config.promo_view_share
        weights = np.exp(catalogue.log_popularity[on_promo])
        v_prod[promo_driven] = rng.choice(on_promo, promo_driven.sum(), p=weights / weights.sum())
    price = catalogue.price(day)
    ratio = price / catalogue.list_price

    # funnel
    p_cart = config.view_to_cart * effect[v_sess] * ratio[v_prod] ** config.price_elasticity
    carted = rng.random(len(v_prod)) < np.minimum(p_cart, MAX_PROBABILITY)
    v_qty = np.where(carted, 1 + rng.poisson(0.15, len(v_prod)), 0)
    removed = carted & (rng.random(len(v_prod)) < config.remove_from_cart)
    kept = carted & ~removed
    partner = catalogue.partner[v_prod]
    fbt = np.flatnonzero(kept & (partner >= 0) & (rng.random(len(v_prod)) < config.fbt_prob))
    has_cart = np.bincount(v_sess[kept], minlength=n_sessions) > 0
    checkout = has_cart & (rng.random(n_sessions) < np.minimum(config.cart_to_checkout * effect, MAX_PROBABILITY))
    purchase = checkout & (rng.random(n_sessions) < np.minimum(config.checkout_to_purchase * effect, MAX_PROBABILITY))

    # order lines: kept items and FBT additions of purchasing sessions, merged per product
    line_sess = np.concatenate([v_sess[kept], v_sess[fbt]])
    line_prod = np.concatenate([v_prod[kept], partner[fbt]])
    line_qty = np.concatenate([v_qty[kept], np.ones(len(fbt), dtype=np.int64)])
    bought = purchase[line_sess]
    keys, inverse = np.unique(line_sess[bought] * choice.products + line_prod[bought], return_inverse=True)
    line_qty = np.bincount(inverse, weights=line_qty[bought]).astype(np.int64)
    line_sess, line_prod = keys // choice.products, keys % choice.products
    order_session = np.flatnonzero(purchase)

    # events of each session in funnel order (key), then timed and sorted
    n_pages = 1 + rng.poisson(0.4, n_sessions)
    searched = np.flatnonzero(rng.random(n_sessions) < 0.35)
    first_view = np.cumsum(n_views) - n_views
    query = catalogue.category[v_prod[first_view[searched]]] * len(QUERY_FORMS) + rng.integers(
        0, len(QUERY_FORMS), len(searched))
    removed_idx = np.flatnonzero(removed)
    line_index = _within(np.bincount(line_sess, minlength=n_sessions))
    parts = [
        # (session, key, kind, product, quantity, query)
        (np.repeat(np.arange(n_sessions), n_pages), _within(n_pages), EVENT["page_view"], -1, 0, -1),
        (searched, 50, EVENT["search"], -1, 0, query),
        (v_sess, 100 + 2 * v_index, EVENT["product_view"], v_prod, 0, -1),
        (v_sess[carted], 101 + 2 * v_index[carted], EVENT["add_to_cart"], v_prod[carted], v_qty[carted], -1),
        (v_sess[removed_idx], 10_000 + v_index[removed_idx], EVENT["remove_from_cart"], v_prod[removed_idx],
         v_qty[removed_idx], -1),
        (v_sess[fbt], 20_000 + v_index[fbt], EVENT["add_to_cart"], partner[fbt], 1, -1),
        (np.flatnonzero(checkout), 30_000, EVENT["begin_checkout"], -1, 0, -1),
        (line_sess, 30_001 + line_index, EVENT["purchase"], line_prod, line_qty, -1),
    ]
    cols = [np.concatenate([np.broadcast_to(np.asarray(part[i]), part[0].shape) for part in parts]) for i in range(6)]
    e_sess, e_key, e_kind, e_prod, e_qty, e_query = cols
    order = np.lexsort((e_key, e_sess))
    e_sess, e_kind, e_prod, e_qty, e_query = (c[order] for c in (e_sess, e_kind, e_prod, e_qty, e_query))
    per_session = np.bincount(e_sess, minlength=n_sessions)
    elapsed = np.cumsum(1_000 + rng.exponential(25_000, len(e_sess)).astype(np.int64))
    elapsed -= np.repeat(elapsed[np.cumsum(per_session) - per_session], per_session)  # 0 at a session's start
    e_time = s_start[e_sess] + elapsed
    by_time = np.argsort(e_time, kind="stable")

    order_time = np.full(n_sessions, np.iinfo(np.int64).max)
    is_purchase = e_kind == EVENT["purchase"]
    np.minimum.at(order_time, e_sess[is_purchase], e_time[is_purchase])
    last_purchase[s_user[order_session]] = day
    return Day(
        sessions=n_sessions,
        time_ms=e_time[by_time],
        session=e_sess[by_time],
        user=s_user[e_sess][by_time],
        kind=e_kind[by_time],
        product=e_prod[by_time],
        quantity=e_qty[by_time],
        query=e_query[by_time],
        device=s_device[e_sess][by_time],
        channel=s_channel[e_sess][by_time],
        order_session=order_session,
        order_time_ms=order_time[order_session],
        line_order=np.searchsorted(order_session, line_sess),
        line_product=line_prod,
        line_quantity=line_qty,
    )
