"""The product catalogue (built once on the driver): tastes, popularity, prices, promotions, FBT pairs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shoplake.datasets.fashion_mnist import CLASSES, image_base64
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.content import Content

CLASS_PRICE = (19.0, 45.0, 49.0, 59.0, 129.0, 35.0, 35.0, 79.0, 69.0, 89.0)
CLASS_NOUN = ("T-Shirt", "Trousers", "Pullover", "Dress", "Coat", "Sandals", "Shirt", "Sneakers", "Bag", "Ankle Boots")
BRANDS = ("Northwind", "Lumen", "Fjord & Co", "Marlowe", "Kestrel", "Oakline", "Vireo", "Solstice", "Tamsin",
          "Brightwater", "Halden", "Corvid", "Juniper Lane", "Atelier Nove", "Redbank", "Saltmarsh")
ADJECTIVES = ("Classic", "Relaxed", "Slim", "Essential", "Everyday", "Premium", "Vintage", "Organic Cotton",
              "Lightweight", "Oversized", "Tailored", "Recycled", "Soft-Touch", "Weekend")
COLOURS = ("black", "white", "navy", "olive", "sand", "grey", "burgundy", "cream", "forest green", "charcoal")


@dataclass(frozen=True)
class Catalogue:
    """Per-product arrays (index = product number) and the planted price and FBT structure."""

    product_ids: list[str]
    category: np.ndarray  # Fashion-MNIST class 0-9
    image_index: np.ndarray  # row in the Fashion-MNIST images
    vectors: np.ndarray  # latent item factors, products x taste_dims
    log_popularity: np.ndarray
    list_price: np.ndarray
    regular_price: np.ndarray  # products x days, after permanent price changes
    discount: np.ndarray  # products x days, promotion discount fraction (0 = none)
    partner: np.ndarray  # FBT partner product, -1 if none
    segment_centroids: np.ndarray  # segments x taste_dims
    brand: list[str]
    title: list[str]
    description: list[str]

    def price(self, day: int) -> np.ndarray:
        """What a customer pays per unit on ``day``, for every product."""
        return np.round(self.regular_price[:, day] * (1 - self.discount[:, day]), 2)


def build_catalogue(config: GeneratorConfig, content: Content) -> Catalogue:
    """Build the catalogue deterministically from ``config.seed``."""
    rng = np.random.default_rng([config.seed, 1])
    n, k = config.products, config.taste_dims
    category = rng.integers(0, len(CLASSES), n)
    image_index = _pick_images(rng, category, content.labels)
    class_centroids = rng.normal(0, 1, (len(CLASSES), k))
    vectors = class_centroids[category] + rng.normal(0, 0.7, (n, k))
    ranks = rng.permutation(n)
    popularity = 1.0 / (ranks + 1.0) ** config.popularity_exponent
    list_price = np.maximum(np.floor(np.asarray(CLASS_PRICE)[category] * rng.lognormal(0, 0.35, n)), 4) + 0.99
    regular = _price_changes(rng, config, list_price)
    brand_idx = rng.integers(0, len(BRANDS), n)
    adjective = rng.integers(0, len(ADJECTIVES), n)
    colour = rng.integers(0, len(COLOURS), n)
    brand = [BRANDS[b] for b in brand_idx]
    title = [f"{brand[i]} {ADJECTIVES[adjective[i]]} {CLASS_NOUN[category[i]]}" for i in range(n)]
    description = [
        f"{ADJECTIVES[adjective[i]]} {CLASS_NOUN[category[i]].lower()} in {COLOURS[colour[i]]} by {brand[i]}."
        for i in range(n)
    ]
    return Catalogue(
        product_ids=[f"p{i:06d}" for i in range(n)],
        category=category,
        image_index=image_index,
        vectors=vectors,
        log_popularity=np.log(popularity / popularity.sum()),
        list_price=list_price,
        regular_price=regular,
        discount=_promotions(rng, config),
        partner=_fbt_partners(rng, config, popularity),
        segment_centroids=rng.normal(0, 1, (config.segments, k)),
        brand=brand,
        title=title,
        description=description,
    )


def _pick_images(rng: np.random.Generator, category: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A distinct photo of the product's class for every product."""
    picked = np.empty(len(category), dtype=np.int64)
    for cls in range(len(CLASSES)):
        wanted = np.flatnonzero(category == cls)
        pool = np.flatnonzero(labels == cls)
        picked[wanted] = rng.choice(pool, size=len(wanted), replace=len(wanted) > len(pool))
    return picked


def _price_changes(rng: np.random.Generator, config: GeneratorConfig, list_price: np.ndarray) -> np.ndarray:
    """Regular price per product and day; a share of products changes price once, for good."""
    regular = np.repeat(list_price[:, None], config.days, axis=1)
    changed = np.flatnonzero(rng.random(len(list_price)) < config.price_change_share)
    change_day = rng.integers(1, max(config.days, 2), len(changed))
    factor = rng.uniform(0.8, 1.25, len(changed))
    for product, day, f in zip(changed, change_day, factor):
        regular[product, day:] = max(np.floor(list_price[product] * f), 4) + 0.99
    return regular


def _promotions(rng: np.random.Generator, config: GeneratorConfig) -> np.ndarray:
    """Promotion discount per product and day: promotions start at random and run for a few days."""
    n = config.products
    discount = np.zeros((n, config.days))
    remaining = np.zeros(n, dtype=np.int64)
    current = np.zeros(n)
    low, high = config.promo_discount
    for day in range(config.days):
        starts = (remaining == 0) & (rng.random(n) < config.promo_start_rate)
        remaining[starts] = rng.integers(config.promo_days[0], config.promo_days[1] + 1, starts.sum())
        current[starts] = np.round(rng.uniform(low, high, starts.sum()) * 20) / 20
        active = remaining > 0
        discount[active, day] = current[active]
        remaining[active] -= 1
    return discount


def _fbt_partners(rng: np.random.Generator, config: GeneratorConfig, popularity: np.ndarray) -> np.ndarray:
    """Pair up products (popular ones more likely, as sqrt(popularity)) as frequently-bought-together partners."""
    partner = np.full(config.products, -1, dtype=np.int64)
    weights = np.sqrt(popularity)
    chosen = rng.choice(config.products, size=2 * config.fbt_pairs, replace=False, p=weights / weights.sum())
    first, second = chosen[0::2], chosen[1::2]
    partner[first], partner[second] = second, first
    return partner


def products_frame(catalogue: Catalogue, content: Content) -> pd.DataFrame:
    """The catalogue as the products input contract (image: base64 PNG)."""
    return pd.DataFrame({
        "product_id": catalogue.product_ids,
        "title": catalogue.title,
        "description": catalogue.description,
        "category": [CLASSES[c] for c in catalogue.category],
        "brand": catalogue.brand,
        "price": catalogue.list_price,
        "image": [image_base64(content.images[i]) for i in catalogue.image_index],
    })
