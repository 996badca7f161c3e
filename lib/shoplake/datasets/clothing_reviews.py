"""Women's E-Commerce Clothing Reviews → the reviews and products contracts, and texts by rating."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

UNCLASSIFIED = "Unclassified"  # the category of the few clothing ids the dataset gives no class


def _read(folder: Path) -> pd.DataFrame:
    frame = pq.read_table(folder / "reviews.parquet").to_pandas()
    return frame.reset_index(drop=True)


def to_reviews(folder: Path) -> pd.DataFrame:
    """All 23,486 reviews; the dataset has no reviewer ids nor dates, so those are null."""
    frame = _read(folder)
    return pd.DataFrame({
        "review_id": [f"wcr{i:05d}" for i in range(len(frame))],
        "product_id": "wc" + frame["Clothing ID"].astype(str),
        "user_id": None,
        "rating": frame["Rating"].astype("int64"),
        "title": frame["Title"],
        "text": frame["Review Text"],
        "review_time": pd.NaT,
    })


def to_products(folder: Path) -> pd.DataFrame:
    """One product per reviewed clothing id, with its class as the category (``UNCLASSIFIED`` when it has none)."""
    frame = _read(folder).drop_duplicates("Clothing ID").sort_values("Clothing ID")
    return pd.DataFrame({
        "product_id": "wc" + frame["Clothing ID"].astype(str),
        "title": None,
        "description": frame["Department Name"],
        "category": frame["Class Name"].fillna(UNCLASSIFIED),
        "brand": None,
        "price": None,
        "image": None,
    })


def texts_by_rating(folder: Path) -> dict[int, list[tuple[str | None, str]]]:
    """Rating (1-5) → the (title, text) pairs of the reviews with that rating and a text."""
    frame = _read(folder).dropna(subset=["Review Text"])
    return {
        int(rating): list(zip(group["Title"].where(group["Title"].notna(), None), group["Review Text"]))
        for rating, group in frame.groupby("Rating", sort=True)
    }
