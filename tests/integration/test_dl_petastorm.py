"""Delta/Spark rows reach torch through petastorm: every row once per epoch, shuffled, and the cache cleaned up."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from pyspark.sql import functions as F

from shoplake.dl.petastorm_bridge import PARENT_CACHE_DIR_CONF, PetastormBatches, TensorBatches, cache_dir_url, converted


@pytest.fixture()
def dl_settings(settings, tmp_path):
    return replace(settings, dl=replace(settings.dl, petastorm_cache_dir=str(tmp_path / "petastorm"),
                                        row_group_bytes=16_384))


def _rows(spark, n=1200):
    return spark.range(n).select(
        F.col("id").cast("int").alias("row"),
        F.array_repeat(F.col("id").cast("int"), 4).alias("tokens"),
        F.array_repeat((F.col("id") / 10).cast("double"), 3).alias("values"),
    )


def test_every_row_once_per_epoch_as_tensors_shuffled_differently_each_epoch(spark, dl_settings):
    with converted(_rows(spark), dl_settings.dl) as converter:
        assert spark.conf.get(PARENT_CACHE_DIR_CONF) == cache_dir_url(dl_settings.dl.petastorm_cache_dir)
        batches = PetastormBatches(converter, 100, shuffle=True, seed=1, workers=1)
        assert batches.rows == 1200 and len(batches) == 12
        orders = []
        for epoch in (1, 2):
            with batches(epoch) as loader:
                seen = list(loader)
            assert {b["tokens"].dtype for b in seen} == {torch.int32}
            assert {b["values"].dtype for b in seen} == {torch.float32}  # doubles become float32
            rows = torch.cat([b["row"] for b in seen])
            assert sorted(rows.tolist()) == list(range(1200))
            assert all(torch.equal(b["tokens"], b["row"][:, None].expand(-1, 4)) for b in seen)
            assert all(torch.allclose(b["values"][:, 0], b["row"].float() / 10) for b in seen)
            orders.append(rows.tolist())
        assert orders[0] != orders[1] and orders[0] != sorted(orders[0])
        ordered = PetastormBatches(converter, 500, shuffle=False, seed=1, workers=1)
        with ordered(0) as loader:
            assert [len(b["row"]) for b in loader] == [500, 500, 200]


def test_the_cache_is_removed_after_use_even_when_training_fails(spark, dl_settings):
    folder = cache_dir_url(dl_settings.dl.petastorm_cache_dir).removeprefix("file://")
    with pytest.raises(RuntimeError, match="boom"):
        with converted(_rows(spark, 50), dl_settings.dl) as converter:
            assert any(p.is_dir() for p in Path(folder).iterdir())
            assert len(converter) == 50
            raise RuntimeError("boom")
    assert not Path(folder).exists()


def test_an_empty_split_is_a_clear_error(spark, dl_settings):
    with pytest.raises(ValueError, match="the images validation split has no rows"):
        with converted(_rows(spark, 10).where("row < 0"), dl_settings.dl, "the images validation split"):
            pass


def test_in_memory_batches_cover_every_row():
    tensors = {"x": torch.arange(10), "label": torch.arange(10) % 2}
    batches = TensorBatches(tensors, 4, shuffle=True, seed=0)
    with batches(1) as loader:
        parts = list(loader)
    assert [len(p["x"]) for p in parts] == [4, 4, 2] and len(batches) == 3
    assert sorted(torch.cat([p["x"] for p in parts]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="tensors of different lengths"):
        TensorBatches({"x": torch.zeros(3), "y": torch.zeros(4)}, 2)
