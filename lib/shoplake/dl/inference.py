"""Distributed inference: a model's weights broadcast once, rows scored in batches on the executors.

:func:`map_model` ships ``build`` (a picklable function that makes the untrained model) with the
UDF and the state dict as a Spark broadcast; each Python worker builds the model once (cached
for later tasks while the worker is reused), on CUDA when the executor has a GPU, and feeds it
``batch_size`` rows at a time. With ``sort_by``, each Arrow batch of rows is ordered by that column
before it is cut, so inputs of similar length share a batch (less padding for text models).
"""
from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator

import pandas as pd
import torch
from pyspark.sql import DataFrame
from pyspark.sql.types import StructType
from torch import nn

from shoplake.dl.device import autocast, pick_device

Infer = Callable[[nn.Module, pd.DataFrame, torch.device], pd.DataFrame]
_models: dict[str, tuple[nn.Module, torch.device]] = {}


def state_bytes(model: nn.Module) -> bytes:
    """The model's state dict serialised (CPU tensors), to broadcast."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def _worker_model(key: str, build: Callable[[], nn.Module], weights, device_preference: str) -> tuple[nn.Module, torch.device]:
    if key not in _models:
        from pyspark import TaskContext

        context = TaskContext.get()
        if context is not None:
            torch.set_num_threads(max(1, context.cpus()))
        device = pick_device(device_preference)
        model = build()
        model.load_state_dict(torch.load(io.BytesIO(weights.value), map_location="cpu", weights_only=True))
        _models.clear()
        _models[key] = (model.to(device).eval(), device)
    return _models[key]


def map_model(df: DataFrame, build: Callable[[], nn.Module], model: nn.Module, infer: Infer, schema: StructType,
              batch_size: int, device: str = "auto", sort_by: str | None = None) -> DataFrame:
    """``infer(model, rows, device)`` over ``df`` in batches of ``batch_size`` rows, on the executors; rows of ``schema``.

    ``sort_by`` names a column to order rows by before they are cut into batches (the output order
    then follows it).
    """
    weights = df.sparkSession.sparkContext.broadcast(state_bytes(model))
    key = uuid.uuid4().hex

    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        worker_model, worker_device = _worker_model(key, build, weights, device)
        with torch.no_grad(), autocast(worker_device):
            for frame in frames:
                if sort_by is not None:
                    frame = frame.sort_values(sort_by, kind="stable")
                for start in range(0, len(frame), batch_size):
                    yield infer(worker_model, frame.iloc[start:start + batch_size], worker_device)

    return df.mapInPandas(run, schema)
