"""Shared pieces of the lake tests: a fresh lake per test for each backend, and tiny test data."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from shoplake.lake import open_lake
from shoplake.session import delta_jvm_available

BACKENDS = ["delta-rs", "delta-spark"]
NO_DELTA_JVM = "Delta JVM classes (io.delta:delta-spark) are not on the classpath; they cannot be downloaded on this machine"
EVENTS_SCHEMA = "id long, user string, day date, amount double"


@pytest.fixture(params=BACKENDS)
def lake(request, spark, settings, tmp_path):
    """An empty lake under ``tmp_path`` on each backend (delta-spark skips without its jars)."""
    if request.param == "delta-spark" and not delta_jvm_available(spark):
        pytest.skip(reason=NO_DELTA_JVM)
    lake_settings = dataclasses.replace(settings.lake, root=str(tmp_path / "lake"), backend=request.param)
    return open_lake(spark, dataclasses.replace(settings, lake=lake_settings))


def events(spark, ids, day=date(2024, 1, 1), user="u", amount=1.0):
    """Rows ``(id, user<id>, day, amount)`` for each id."""
    return spark.createDataFrame([(i, f"{user}{i}", day, float(amount)) for i in ids], EVENTS_SCHEMA)


def rows(df, *columns):
    """The DataFrame's rows as sorted tuples of ``columns`` (all columns by default)."""
    return sorted(tuple(r) for r in df.select(*(columns or df.columns)).collect())
