"""Table names and paths: ``layer.name`` resolved under the lake root, nothing else."""
from __future__ import annotations

import os

import pytest

from shoplake.lake import InvalidTableName, TableName
from shoplake.lake.names import lake_root, table_path


def test_parse_valid_names():
    assert TableName.parse("silver.events") == TableName("silver", "events")
    assert str(TableName.parse("ops.pipeline_runs2")) == "ops.pipeline_runs2"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("events", "must be 'layer.name'"),
        ("a.b.c", "must be 'layer.name'"),
        ("platinum.events", "unknown layer 'platinum'"),
        ("silver.Events", "lowercase"),
        ("silver.2events", "lowercase"),
        ("silver.", "lowercase"),
        ("silver.ev-ents", "lowercase"),
    ],
)
def test_parse_rejects_bad_names(name, message):
    with pytest.raises(InvalidTableName, match=message):
        TableName.parse(name)


def test_invalid_name_is_also_a_value_error():
    with pytest.raises(ValueError):
        TableName.parse(None)


def test_paths_are_root_layer_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = lake_root("./lake/")
    assert root == os.path.join(str(tmp_path), "lake")
    assert table_path(root, TableName("gold", "daily_sales")) == f"{tmp_path}/lake/gold/daily_sales"
    assert lake_root("s3a://bucket/lake/") == "s3a://bucket/lake"
    assert table_path(lake_root("hdfs://nn:8020/lake"), TableName("bronze", "events")) == "hdfs://nn:8020/lake/bronze/events"
