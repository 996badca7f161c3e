"""Image bytes decoded in Spark: good PNGs become pixels, bad ones a skip reason."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from shoplake.datasets.png import encode_gray
from shoplake.dl.skips import skip_counts
from shoplake.dl.vision.images import with_pixels


def _jpeg(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG")
    return out.getvalue()


def test_images_are_decoded_on_the_executors_and_bad_ones_get_a_reason(spark):
    rng = np.random.default_rng(0)
    good = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    png = encode_gray(good)
    rows = [
        ("good", png),
        ("jpeg", _jpeg(good)),
        ("big", encode_gray(rng.integers(0, 256, (32, 32), dtype=np.uint8))),
        ("garbage", b"not an image at all"),
        ("truncated", png[: len(png) // 2]),
        ("empty", b""),
        ("missing", None),
    ]
    df = spark.createDataFrame(rows, "product_id string, image binary")
    decoded = with_pixels(df, "image", 28)
    assert decoded.columns == ["product_id", "pixels", "skip_reason"]
    out = {r.product_id: r for r in decoded.collect()}
    assert out["good"].skip_reason is None
    assert np.allclose(np.array(out["good"].pixels, dtype=np.float32), good.ravel() / 255.0)
    assert out["jpeg"].skip_reason is None and len(out["jpeg"].pixels) == 784  # any format PIL reads
    assert out["big"].skip_reason == "wrong_image_size" and out["big"].pixels is None
    assert out["garbage"].skip_reason == out["truncated"].skip_reason == "undecodable_image"
    assert out["empty"].skip_reason == out["missing"].skip_reason == "missing_image"
    assert skip_counts(decoded) == {"wrong_image_size": 1, "undecodable_image": 2, "missing_image": 2}
