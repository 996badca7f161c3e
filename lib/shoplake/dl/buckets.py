"""Batches of rows of similar length, so a text model that trims padding to its batch's longest row pads little.

:class:`LengthBuckets` wraps a batch source: it reads ``pool`` batches at a time, orders their
rows by length (the non-zero entries of a mask column), cuts them into batches of the original
size and, for training, hands those out in a seeded random order. Every row is seen once per
epoch, as before; only which rows share a batch changes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch

from shoplake.dl.petastorm_bridge import Batch, BatchSource


class LengthBuckets:
    """``source``'s rows regrouped ``pool`` batches at a time by the length of ``mask``; shuffled batches when ``shuffle``."""

    def __init__(self, source: BatchSource, mask: str, pool: int, *, shuffle: bool, seed: int):
        if pool < 1:
            raise ValueError(f"pool must be >= 1, got {pool}")
        self.source, self.mask, self.pool, self.shuffle, self.seed = source, mask, pool, shuffle, seed

    def __len__(self) -> int:
        return len(self.source)

    @property
    def rows(self) -> int:
        return self.source.rows

    @contextmanager
    def __call__(self, epoch: int) -> Iterator[Iterable[Batch]]:
        with self.source(epoch) as loader:
            yield self._regrouped(loader, torch.Generator().manual_seed(self.seed + epoch))

    def _regrouped(self, loader: Iterable[Batch], generator: torch.Generator) -> Iterator[Batch]:
        pending: list[Batch] = []
        for batch in loader:
            pending.append(batch)
            if len(pending) == self.pool:
                yield from self._cut(pending, generator)
                pending = []
        if pending:
            yield from self._cut(pending, generator)

    def _cut(self, batches: list[Batch], generator: torch.Generator) -> Iterator[Batch]:
        size = len(batches[0][self.mask])
        rows = {name: torch.cat([batch[name] for batch in batches]) for name in batches[0]}
        order = torch.argsort((rows[self.mask] != 0).sum(dim=1), stable=True)
        parts = list(order.split(size))
        if self.shuffle:
            parts = [parts[i] for i in torch.randperm(len(parts), generator=generator)]
        for index in parts:
            yield {name: tensor[index] for name, tensor in rows.items()}
