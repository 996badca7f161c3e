"""map_model on a real Spark session: the driver's weights reach the executors, rows go through in batches,
and ``sort_by`` puts rows of similar length in the same batch."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from pyspark.sql.types import DoubleType, IntegerType, LongType, StructField, StructType
from torch import nn

from shoplake.dl.inference import map_model

pytestmark = pytest.mark.slow
ROWS, BATCH = 500, 50
OUT = StructType([StructField("id", LongType()), StructField("length", IntegerType()), StructField("scaled", DoubleType()),
                  StructField("batch", LongType()), StructField("batch_low", IntegerType()),
                  StructField("batch_high", IntegerType())])


def scored_rows(spark, sort_by: str | None) -> pd.DataFrame:
    """Every row's output, from a one-weight model (weight 3) over shuffled lengths in one partition."""
    lengths = np.random.default_rng(7).integers(1, 129, ROWS)
    df = spark.createDataFrame(pd.DataFrame({"id": np.arange(ROWS), "length": lengths.astype("int32")})).coalesce(1)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(3.0)

    def build() -> nn.Module:
        return nn.Linear(1, 1, bias=False)  # a fresh random weight: only the broadcast one gives 3 × length

    def infer(net: nn.Module, rows: pd.DataFrame, device: torch.device) -> pd.DataFrame:
        lengths = torch.tensor(rows["length"].to_numpy(), dtype=torch.float32, device=device)[:, None]
        return pd.DataFrame({"id": rows["id"].to_numpy(), "length": rows["length"].to_numpy(),
                             "scaled": net(lengths)[:, 0].float().cpu().numpy().astype("float64"),
                             "batch": rows["id"].iloc[0], "batch_low": rows["length"].min(),
                             "batch_high": rows["length"].max()})

    return map_model(df, build, model, infer, OUT, BATCH, "cpu", sort_by=sort_by).toPandas()


def batch_ranges(rows: pd.DataFrame) -> list[tuple[int, int]]:
    """(lowest, highest) length of each batch (a batch is named by its first row's id), in order."""
    return sorted(rows.groupby("batch")[["batch_low", "batch_high"]].first().itertuples(index=False, name=None))


@pytest.mark.parametrize("sort_by", [None, "length"])
def test_every_row_is_scored_once_with_the_drivers_weights(spark, sort_by):
    rows = scored_rows(spark, sort_by)
    assert sorted(rows["id"]) == list(range(ROWS))
    assert np.allclose(rows["scaled"], 3.0 * rows["length"])


def test_sort_by_puts_rows_of_similar_length_in_the_same_batch(spark):
    ranges = batch_ranges(scored_rows(spark, "length"))
    assert len(ranges) == ROWS // BATCH
    assert all(high <= next_low for (_, high), (next_low, _) in zip(ranges, ranges[1:]))  # batches do not overlap
    unsorted = batch_ranges(scored_rows(spark, None))
    assert sum(high - low for low, high in unsorted) > 5 * sum(high - low for low, high in ranges)
