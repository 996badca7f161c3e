"""The synthetic shop's parameters: sizes, behaviour, planted signals and corruption rates.

Every number that shapes the data lives here and is written to the ground truth
(``params.json``), so a model's output can be scored against what was planted.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta

from shoplake.schemas import CHANNELS, DEVICES

RECORD_CORRUPTIONS = (
    "malformed_json", "wrong_type", "missing_id", "unknown_event_type",
    "negative_quantity", "negative_price", "future_timestamp", "duplicate_event",
)
FILE_CORRUPTIONS = ("duplicate_file",)

PRESETS = {
    "small": dict(users=3_000, days=35, products=300, users_per_block=750),
    "medium": dict(users=30_000, days=91, products=2_000, users_per_block=2_500),
    "large": dict(users=300_000, days=91, products=2_000, users_per_block=5_000),
}


def default_corruption() -> dict[str, float]:
    """The corruption rates of a shop that does not choose its own: each record kind 0.2%, files 1%."""
    return {**{kind: 0.002 for kind in RECORD_CORRUPTIONS}, "duplicate_file": 0.01}


@dataclass(frozen=True)
class GeneratorConfig:
    """All parameters of one generated shop; same config and seed give the same bytes.

    ``start_date``, the first day, has no default: the caller chooses the dates (see :func:`make_config`).
    """

    users: int = 3_000
    days: int = 35
    start_date: date = field(kw_only=True)
    seed: int = 42
    products: int = 300
    users_per_block: int = 750

    # tastes and popularity
    segments: int = 6
    taste_dims: int = 8
    taste_strength: float = 1.5
    popularity_exponent: float = 1.1

    # traffic and seasonality (weekly: Monday..Sunday, mean 1)
    sessions_per_user_day: float = 0.08
    weekly: tuple[float, ...] = (0.93, 0.9, 0.9, 0.95, 1.04, 1.2, 1.08)
    yearly_amplitude: float = 0.25
    yearly_peak_day: int = 340
    new_user_share: float = 0.3

    # purchase funnel at list price, before device and channel effects
    view_to_cart: float = 0.12
    cart_to_checkout: float = 0.55
    checkout_to_purchase: float = 0.7
    remove_from_cart: float = 0.12
    device_mix: dict[str, float] = field(default_factory=lambda: dict(zip(DEVICES, (0.58, 0.34, 0.08))))
    device_effect: dict[str, float] = field(default_factory=lambda: dict(zip(DEVICES, (0.8, 1.25, 1.0))))
    channel_mix: dict[str, float] = field(
        default_factory=lambda: dict(zip(CHANNELS, (0.3, 0.25, 0.15, 0.1, 0.12, 0.08)))
    )
    channel_effect: dict[str, float] = field(
        default_factory=lambda: dict(zip(CHANNELS, (1.0, 1.0, 1.1, 1.3, 0.7, 0.9)))
    )

    # prices: add-to-cart odds scale with (price / list price) ** price_elasticity
    price_elasticity: float = -1.8
    promo_start_rate: float = 0.015
    promo_days: tuple[int, int] = (3, 10)
    promo_discount: tuple[float, float] = (0.1, 0.4)
    promo_view_share: float = 0.1
    price_change_share: float = 0.2

    # repeat purchases and churn
    repeat_boost: float = 2.0
    repeat_decay_days: float = 10.0
    churn_share: float = 0.25
    churn_decline_days: int = 14

    # planted patterns
    fbt_product_share: float = 0.1
    fbt_prob: float = 0.5
    anomaly_share: float = 0.01
    review_prob: float = 0.2

    corruption: dict[str, float] = field(default_factory=default_corruption)

    @property
    def end_date(self) -> date:
        """The last generated day."""
        return self.start_date + timedelta(days=self.days - 1)

    @property
    def fbt_pairs(self) -> int:
        """Number of planted frequently-bought-together pairs."""
        return int(self.products * self.fbt_product_share) // 2

    @property
    def blocks(self) -> int:
        """Number of user blocks (one Spark task each)."""
        return -(-self.users // self.users_per_block)

    def validate(self) -> list[str]:
        """Human-readable problems with this config; empty when valid."""
        errors = [f"{name} must be >= 1" for name in ("users", "days", "products", "users_per_block")
                  if getattr(self, name) < 1]
        rates = ("view_to_cart", "cart_to_checkout", "checkout_to_purchase", "remove_from_cart", "promo_view_share",
                 "price_change_share", "churn_share", "new_user_share", "fbt_product_share", "fbt_prob",
                 "anomaly_share", "review_prob")
        errors += [f"{name} must be in [0, 1]" for name in rates if not 0 <= getattr(self, name) <= 1]
        unknown = set(self.corruption) - set(RECORD_CORRUPTIONS + FILE_CORRUPTIONS)
        if unknown:
            errors.append(f"unknown corruption kinds {sorted(unknown)}; known: {RECORD_CORRUPTIONS + FILE_CORRUPTIONS}")
        if any(r < 0 for r in self.corruption.values()) or sum(self.record_corruption().values()) > 0.5:
            errors.append("corruption rates must be >= 0 and the record kinds must add up to at most 0.5")
        if len(self.weekly) != 7:
            errors.append("weekly must have 7 values (Monday..Sunday)")
        for name, keys in (("device_mix", DEVICES), ("device_effect", DEVICES),
                           ("channel_mix", CHANNELS), ("channel_effect", CHANNELS)):
            if set(getattr(self, name)) != set(keys):
                errors.append(f"{name} must have exactly the keys {keys}")
        return errors

    def record_corruption(self) -> dict[str, float]:
        """Per-record corruption rate of each record kind, in :data:`RECORD_CORRUPTIONS` order."""
        return {kind: self.corruption.get(kind, 0.0) for kind in RECORD_CORRUPTIONS}

    def to_dict(self) -> dict:
        """JSON-ready form (dates as ISO strings, the last day included)."""
        return {**dataclasses.asdict(self), "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat()}


def make_config(preset: str = "small", *, end_date: date | None = None, **overrides) -> GeneratorConfig:
    """A config from a preset (``small``, ``medium``, ``large``) with ``None``-free overrides applied.

    The dates are given, never read from the clock: either ``start_date`` (an override) or ``end_date``,
    the last day, from which ``start_date = end_date - (days - 1)`` follows.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    if ("start_date" in values) == (end_date is not None):
        raise ValueError("a generated shop needs its dates: give one of start_date and end_date")
    if end_date is not None:
        values["start_date"] = end_date - timedelta(days=values["days"] - 1)
    config = GeneratorConfig(**values)
    errors = config.validate()
    if errors:
        raise ValueError("invalid generator config: " + "; ".join(errors))
    return config
