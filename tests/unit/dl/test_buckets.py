"""Batches of similar length: every row once per epoch, in batches that need little padding."""
from __future__ import annotations

import torch

from shoplake.dl.buckets import LengthBuckets
from shoplake.dl.petastorm_bridge import TensorBatches


def _rows(count: int = 100, width: int = 16) -> dict[str, torch.Tensor]:
    lengths = torch.randint(1, width + 1, (count,), generator=torch.Generator().manual_seed(3))
    mask = (torch.arange(width)[None, :] < lengths[:, None]).int()
    return {"attention_mask": mask, "id": torch.arange(count)}


def _epoch(source, epoch: int = 1) -> list[dict[str, torch.Tensor]]:
    with source(epoch) as loader:
        return list(loader)


def _padded(batches) -> int:
    """Token slots a model that trims each batch to its longest row computes."""
    return sum(int(b["attention_mask"].sum(1).max()) * len(b["id"]) for b in batches)


def test_every_row_comes_once_in_batches_of_the_same_size():
    rows = _rows()
    source = TensorBatches(rows, 8, shuffle=True, seed=1)
    buckets = LengthBuckets(source, "attention_mask", 4, shuffle=True, seed=1)
    batches = _epoch(buckets)
    assert len(buckets) == len(source) == len(batches) and buckets.rows == 100
    assert sorted(torch.cat([b["id"] for b in batches]).tolist()) == list(range(100))
    assert sorted(len(b["id"]) for b in batches) == sorted(len(b["id"]) for b in _epoch(source))
    for batch in batches:  # rows stay whole
        assert torch.equal(batch["attention_mask"], rows["attention_mask"][batch["id"]])


def test_batches_hold_rows_of_similar_length_so_less_is_padded():
    source = TensorBatches(_rows(), 8, shuffle=True, seed=1)
    bucketed = _epoch(LengthBuckets(source, "attention_mask", 4, shuffle=False, seed=1))
    assert _padded(bucketed) < 0.8 * _padded(_epoch(source))
    lengths = [b["attention_mask"].sum(1) for b in bucketed[:4]]  # one pool, in length order without shuffle
    assert all(a.max() <= b.min() for a, b in zip(lengths, lengths[1:]))


def test_the_order_of_batches_is_random_per_epoch_and_repeatable():
    source = TensorBatches(_rows(), 8, shuffle=True, seed=1)
    buckets = LengthBuckets(source, "attention_mask", 4, shuffle=True, seed=1)
    first = [b["id"].tolist() for b in _epoch(buckets, 1)]
    assert first == [b["id"].tolist() for b in _epoch(buckets, 1)]
    assert first != [b["id"].tolist() for b in _epoch(buckets, 2)]
