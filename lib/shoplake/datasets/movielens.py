"""MovieLens 100k → explicit ratings, movies as products, and clickstream-like interactions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)
POSITIVE_RATING = 4  # ratings at or above this become an add_to_cart as well as a product_view


def to_ratings(folder: Path) -> pd.DataFrame:
    """The 100,000 ratings: user_id, item_id, rating (1-5), timestamp (UTC)."""
    frame = pq.read_table(folder / "ratings.parquet").to_pandas()
    return pd.DataFrame({
        "user_id": frame["user_id"].astype(str),
        "item_id": frame["movie_id"].astype(str),
        "rating": frame["rating"].astype("float64"),
        "timestamp": pd.to_datetime(frame["timestamp"], unit="s", utc=True),
    })


def to_products(folder: Path) -> pd.DataFrame:
    """The 1,682 movies as products; the category is the first listed genre ('unknown' if none)."""
    items = pq.read_table(folder / "items.parquet").to_pandas()
    flags = items[list(GENRES)].to_numpy().astype(bool)
    first = np.where(flags.any(axis=1), flags.argmax(axis=1), -1)
    return pd.DataFrame({
        "product_id": items["movie_id"].astype(str),
        "title": items["movie_title"],
        "description": None,
        "category": [GENRES[g] if g >= 0 else "unknown" for g in first],
        "brand": None,
        "price": None,
        "image": None,
    })


def to_clickstream(ratings: pd.DataFrame) -> pd.DataFrame:
    """Implicit interactions: every rating is a product_view; a rating >= 4 adds an add_to_cart 1 s later.

    MovieLens has no sessions: a user's interactions of one (UTC) day share a session id.
    """
    positive = ratings[ratings["rating"] >= POSITIVE_RATING]
    views = ratings.assign(event_type="product_view", quantity=pd.NA)
    carts = positive.assign(event_type="add_to_cart", quantity=1,
                            timestamp=positive["timestamp"] + pd.Timedelta(1, "s"))
    events = pd.concat([views, carts], ignore_index=True).sort_values(
        ["timestamp", "user_id", "event_type"], kind="stable")
    return pd.DataFrame({
        "event_id": "ml-" + events["user_id"] + "-" + events["item_id"] + "-" + events["event_type"],
        "event_time": events["timestamp"],
        "user_id": events["user_id"],
        "session_id": "ml-" + events["user_id"] + "-" + events["timestamp"].dt.strftime("%Y-%m-%d"),
        "event_type": events["event_type"],
        "product_id": events["item_id"],
        "price": None,
        "quantity": events["quantity"].astype("Int64"),
        "query": None,
        "device": None,
        "channel": None,
        "ip": None,
        "user_agent": None,
    }).reset_index(drop=True)
