"""DataFrames → torch batches through petastorm's Spark converter, and the same from in-memory tensors.

:func:`converted` materialises a DataFrame under ``dl.petastorm_cache_dir`` (the Spark conf
``petastorm.spark.converter.parentCacheDirUrl`` is set from the config) and deletes it when the
block exits, whatever happens inside. A *batch source* is a callable ``epoch -> context manager
of an iterable of {column: tensor}``; :class:`PetastormBatches` reads a converter (one reader per
epoch, shuffled with a per-epoch seed), :class:`TensorBatches` slices tensors in memory (the
baseline the benchmark compares with, and the unit tests' source).
"""
from __future__ import annotations

import logging
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlparse

import torch
from pyspark.sql import DataFrame

from shoplake.config.settings import DlSettings
from shoplake.log import get_logger

log = get_logger(__name__)
PARENT_CACHE_DIR_CONF = "petastorm.spark.converter.parentCacheDirUrl"
Batch = dict[str, torch.Tensor]
BatchSource = Callable[[int], AbstractContextManager[Iterable[Batch]]]

# petastorm 0.12 reads Parquet through pyarrow's legacy dataset API: its deprecation warnings are not ours.
for _category in (FutureWarning, DeprecationWarning, UserWarning):
    warnings.filterwarnings("ignore", category=_category, module=r"petastorm(\..*)?$")
warnings.filterwarnings("ignore", message=r".*distutils.*", category=DeprecationWarning)
logging.getLogger("petastorm").setLevel(logging.ERROR)


def cache_dir_url(where: str) -> str:
    """``dl.petastorm_cache_dir`` as the URL petastorm wants (a local path becomes ``file://``)."""
    if urlparse(where).scheme:
        return where.rstrip("/")
    return Path(where).expanduser().resolve().as_uri()


@contextmanager
def converted(df: DataFrame, dl: DlSettings, what: str = "the data") -> Iterator:
    """A petastorm ``SparkDatasetConverter`` of ``df`` whose files are deleted when the block exits.

    An empty ``df`` is a clear error naming ``what`` it holds (petastorm cannot read an empty dataset).
    """
    from petastorm.spark import make_spark_converter

    if df.isEmpty():
        raise ValueError(f"{what} has no rows: use more rows or other split fractions")
    url = cache_dir_url(dl.petastorm_cache_dir)
    if url.startswith("file://"):
        Path(urlparse(url).path).mkdir(parents=True, exist_ok=True)
    df.sparkSession.conf.set(PARENT_CACHE_DIR_CONF, url)
    converter = make_spark_converter(df, parquet_row_group_size_bytes=dl.row_group_bytes)
    log.info("petastorm: %d rows materialised under %s", len(converter), converter.cache_dir_url)
    try:
        yield converter
    finally:
        converter.delete()
        _remove_if_empty(url)
        log.info("petastorm: removed %s", converter.cache_dir_url)


def _remove_if_empty(url: str) -> None:
    if url.startswith("file://"):
        folder = Path(urlparse(url).path)
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)


class PetastormBatches:
    """Batches of a converter, one petastorm reader per epoch; shuffled rows when ``shuffle``."""

    def __init__(self, converter, batch_size: int, *, shuffle: bool, seed: int, workers: int):
        self.converter, self.batch_size, self.shuffle, self.seed, self.workers = converter, batch_size, shuffle, seed, workers

    def __len__(self) -> int:
        return -(-len(self.converter) // self.batch_size)

    @property
    def rows(self) -> int:
        return len(self.converter)

    def __call__(self, epoch: int):
        from petastorm.pytorch import BatchedDataLoader

        return self.converter.make_torch_dataloader(
            batch_size=self.batch_size, num_epochs=1, workers_count=self.workers, data_loader_fn=BatchedDataLoader,
            shuffling_queue_capacity=8 * self.batch_size if self.shuffle else 0,
            shuffle_row_groups=self.shuffle, shuffle_rows=self.shuffle, seed=self.seed + epoch,
        )


class TensorBatches:
    """Batches sliced from in-memory tensors (same first dimension); shuffled per epoch when ``shuffle``."""

    def __init__(self, tensors: Batch, batch_size: int, *, shuffle: bool = False, seed: int = 0):
        sizes = {len(t) for t in tensors.values()}
        if len(sizes) != 1:
            raise ValueError(f"tensors of different lengths: { {k: len(t) for k, t in tensors.items()} }")
        self.tensors, self.batch_size, self.shuffle, self.seed = tensors, batch_size, shuffle, seed
        self.rows = sizes.pop()

    def __len__(self) -> int:
        return -(-self.rows // self.batch_size)

    def __call__(self, epoch: int):
        return nullcontext(self._batches(epoch))

    def _batches(self, epoch: int) -> Iterator[Batch]:
        order = None
        if self.shuffle:
            order = torch.randperm(self.rows, generator=torch.Generator().manual_seed(self.seed + epoch))
        for start in range(0, self.rows, self.batch_size):
            index = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yield {name: tensor[index] for name, tensor in self.tensors.items()}
