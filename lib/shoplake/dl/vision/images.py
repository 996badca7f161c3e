"""Image bytes → pixel arrays, decoded in Spark on the executors (a pandas UDF over Arrow batches).

Each image becomes ``pixels``: ``size * size`` grayscale values in [0, 1], row-major. An image
that is missing, cannot be decoded, or is not ``size`` x ``size`` gets a ``skip_reason``
(``missing_image``, ``undecodable_image``, ``wrong_image_size``) instead, to be counted and
reported rather than crash a training epoch.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType

from shoplake.dl.skips import SKIP_REASON

DECODED = StructType([
    StructField("pixels", ArrayType(FloatType(), False)),
    StructField(SKIP_REASON, StringType()),
])


def decode_image(data: bytes | None, size: int) -> tuple[np.ndarray | None, str | None]:
    """``(pixels, None)`` for a decodable ``size`` x ``size`` image, else ``(None, reason)``."""
    from PIL import Image, UnidentifiedImageError

    if data is None or len(data) == 0:
        return None, "missing_image"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.size != (size, size):
                return None, "wrong_image_size"
            gray = np.asarray(image.convert("L"), dtype=np.float32)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None, "undecodable_image"
    return (gray / 255.0).ravel(), None


def decoded(image: Column | str, size: int) -> Column:
    """A struct column (``pixels``, ``skip_reason``) of the image bytes in ``image``."""

    @F.pandas_udf(DECODED)
    def decode(images: pd.Series) -> pd.DataFrame:
        results = [decode_image(data, size) for data in images]
        return pd.DataFrame({"pixels": [pixels for pixels, _ in results], SKIP_REASON: [reason for _, reason in results]})

    return decode(F.col(image) if isinstance(image, str) else image)


def with_pixels(df: DataFrame, image_col: str, size: int) -> DataFrame:
    """``df`` without ``image_col`` and with ``pixels`` and ``skip_reason`` in its place."""
    return (df.withColumn("_decoded", decoded(image_col, size))
            .select(*(c for c in df.columns if c != image_col), "_decoded.pixels", f"_decoded.{SKIP_REASON}"))
