"""Fashion-MNIST (Zalando product photos) → the products contract, and its images for the generator."""
from __future__ import annotations

import base64
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from shoplake.datasets.png import encode_gray

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
SPLITS = ("train", "t10k")  # 60,000 then 10,000 images


def load(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All 70,000 images (uint8, 28x28) and their class labels (0-9): the train split first."""
    images = [_idx(folder / f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28) for split in SPLITS]
    labels = [_idx(folder / f"{split}-labels-idx1-ubyte.gz", 8) for split in SPLITS]
    return np.concatenate(images), np.concatenate(labels)


def _idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8, offset=header)


def image_base64(image: np.ndarray) -> str:
    """A product's ``image`` field: base64 of the PNG."""
    return base64.b64encode(encode_gray(image)).decode("ascii")


def to_products(folder: Path) -> pd.DataFrame:
    """One product per image (``fm00000``…``fm69999``; ids from 60000 are the test split)."""
    images, labels = load(folder)
    return pd.DataFrame({
        "product_id": [f"fm{i:05d}" for i in range(len(labels))],
        "title": None,
        "description": None,
        "category": [CLASSES[label] for label in labels],
        "brand": None,
        "price": None,
        "image": [image_base64(image) for image in images],
    })
