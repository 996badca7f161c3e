"""Turn each fetched real dataset into input-contract frames, and write them as input files."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from shoplake.datasets import clothing_reviews, fashion_mnist, movielens, retail_series
from shoplake.datasets.export import write_input
from shoplake.datasets.fetch import fetch
from shoplake.log import get_logger
from shoplake.schemas import CONTRACTS

log = get_logger(__name__)


def _movielens(folder: Path) -> dict[str, pd.DataFrame]:
    ratings = movielens.to_ratings(folder)
    return {
        "ratings": ratings,
        "clickstream": movielens.to_clickstream(ratings),
        "products": movielens.to_products(folder),
    }


CONVERTERS: dict[str, Callable[[Path], dict[str, pd.DataFrame]]] = {
    "movielens-100k": _movielens,
    "womens-clothing-reviews": lambda folder: {
        "reviews": clothing_reviews.to_reviews(folder),
        "products": clothing_reviews.to_products(folder),
    },
    "fashion-mnist": lambda folder: {"products": fashion_mnist.to_products(folder)},
    "retail-series": lambda folder: {"item_sales": retail_series.to_item_sales(folder)},
}


def convert(name: str, cache: str | Path) -> dict[str, pd.DataFrame]:
    """Fetch dataset ``name`` (if needed) and return its contract frames by contract name."""
    return CONVERTERS[name](fetch(name, cache))


def export(name: str, cache: str | Path, out: str | Path) -> dict[str, int]:
    """Write dataset ``name`` as input files ``<out>/<contract>/<name>.json``; return rows written per contract.

    Files are named after the dataset, so datasets exported into one folder sit side by side.
    """
    counts = {}
    for contract_name, frame in convert(name, cache).items():
        files = write_input(frame, CONTRACTS[contract_name], out, stem=name)
        counts[contract_name] = len(frame)
        log.info("%s: wrote %d %s records in %d files under %s", name, len(frame), contract_name, len(files), out)
    return counts
