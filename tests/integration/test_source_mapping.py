"""A shop's own files, as they come, mapped onto the contracts by configuration only (``ingest.sources``).

Each test writes small files in a shop's own shape (not the contract's), ingests them with the real
jobs into a Delta lake under a temp directory, and reads silver back.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from pyspark.sql import functions as F

from shoplake.catalog import BRONZE_QUARANTINE, SILVER_EVENTS, SILVER_ORDER_LINES, SILVER_ORDERS
from shoplake.config import ConfigError, load_config
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.privacy.pseudonyms import pseudonym
from tests.support.processes import ROOT, run_command

KEY = b"test-pseudonym-key"
CDNOW = ("00001 19970101  1  11.77\n"
         "00002 19970112  1  12.00\n"
         "00002 19970112  5  77.00\n"
         "00003 19970102  2  0.00\n"
         "00004 19970102  1  -3.00\n"
         "00005 1997-13-45 1  9.99\n")
CDNOW_MAPPING = {
    "format": "csv",
    "csv": {"delimiter": "whitespace", "header": False, "columns": ["customer", "day", "items", "amount"]},
    "columns": {
        "customer_id": "customer",
        "order_time": {"column": "day", "format": "yyyyMMdd", "time_zone": "America/New_York"},
        "updated_at": {"column": "day", "format": "yyyyMMdd", "time_zone": "America/New_York"},
        "status": {"constant": "delivered"},
        "order_id": {"derive": ["customer", "day", "items", "amount"]},
    },
    "lines": {"per": "order", "product_id": {"constant": "all"}, "quantity": "items", "amount": "amount"},
}


def shop_settings(settings, root: Path, sources: dict):
    """The test settings with a lake and inputs of their own under ``root`` and ``sources`` as the mapping."""
    return replace(settings, lake=replace(settings.lake, root=str(root / "lake")),
                   paths=replace(settings.paths, inputs=str(root / "inputs")),
                   ingest=replace(settings.ingest, sources=sources, max_quarantine_share=1.0))  # tiny files, many bad


def drop(root: Path, source: str, name: str, content: bytes | str) -> Path:
    path = root / "inputs" / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def expected_id(*parts: str) -> str:
    return hashlib.sha256("\u001f".join(parts).encode()).hexdigest()[:32]


def by_order(lake) -> dict[str, dict]:
    """silver.orders by order id, without the ingest's own columns (when and in which batch a row came)."""
    return {r.order_id: {k: v for k, v in r.asDict(recursive=True).items() if not k.startswith("_")}
            for r in lake.read(SILVER_ORDERS).collect()}


def quarantine_reasons(lake) -> dict[str, str]:
    return {r.raw: r.reason for r in lake.read(BRONZE_QUARANTINE).collect()}


def test_a_whitespace_separated_order_history_maps_to_orders_with_one_line_each(spark, settings, tmp_path):
    cfg = shop_settings(settings, tmp_path, {"orders": CDNOW_MAPPING})
    drop(tmp_path, "orders", "CDNOW_master.txt", CDNOW)
    lake = open_lake(spark, cfg)
    ingest_orders(lake, cfg, KEY)
    orders = by_order(lake)
    first = orders[expected_id("00001", "19970101", "1", "11.77")]
    # midnight in New York is 05:00 UTC; one file column feeds both times; the constant status
    assert first["order_time"] == first["updated_at"] == datetime(1997, 1, 1, 5, 0)
    assert first["status"] == "delivered" and first["customer_id"] == pseudonym("00001", KEY)
    lines = {r.order_id: (r.product_id, r.quantity, round(r.unit_price, 6))
             for r in lake.read(SILVER_ORDER_LINES).collect()}
    # a total of 77.00 for 5 items is 15.40 each; the free order lands with a price of 0
    assert lines[expected_id("00002", "19970112", "5", "77.00")] == ("all", 5, 15.4)
    assert lines[expected_id("00003", "19970102", "2", "0.00")] == ("all", 2, 0.0)
    assert len(orders) == 4
    revenue = lake.read(SILVER_ORDER_LINES).agg(F.sum(F.col("quantity") * F.col("unit_price"))).first()[0]
    assert revenue == pytest.approx(11.77 + 12.00 + 77.00)
    reasons = quarantine_reasons(lake)
    assert sorted(reasons.values()) == ["negative_price", "wrong_type_order_time"]
    # quarantine keeps the shop's own row (as a JSON object of its columns), not the mapped record
    assert json.loads(next(raw for raw, why in reasons.items() if why == "negative_price"))["customer"] == "00004"


def test_a_replayed_file_gives_the_same_derived_ids(spark, settings, tmp_path):
    cfg = shop_settings(settings, tmp_path, {"orders": CDNOW_MAPPING})
    drop(tmp_path, "orders", "day1.txt", CDNOW)
    lake = open_lake(spark, cfg)
    ingest_orders(lake, cfg, KEY)
    before = by_order(lake)
    drop(tmp_path, "orders", "day1-again.txt", CDNOW)  # the same export dropped twice
    ingest_orders(lake, cfg, KEY)
    assert by_order(lake) == before


def test_a_csv_with_a_header_quotes_and_one_row_per_order_line(spark, settings, tmp_path):
    mapping = {
        "format": "csv",
        "csv": {"delimiter": ";"},
        "columns": {"order_id": "Order", "customer_id": "Client", "status": "State",
                    "order_time": {"column": "Placed", "format": "dd.MM.yyyy HH:mm", "time_zone": "Europe/Berlin"},
                    "updated_at": {"column": "Changed", "format": "epoch_seconds"},
                    "email": "Mail"},
        "lines": {"per": "line", "product_id": "SKU", "quantity": "Qty", "unit_price": "Price",
                  "discount": "Off"},
    }
    cfg = shop_settings(settings, tmp_path, {"orders": mapping})
    csv_text = ("Order;Client;State;Placed;Changed;Mail;SKU;Qty;Price;Off\n"
                'A-1;c1;paid;01.03.2024 10:30;1709289000;a@x.example;"sku;1";2;5.50;\n'
                "A-1;c1;paid;01.03.2024 10:30;1709289000;a@x.example;sku-2;1;0;0\n"
                "A-2;c2;shipped;02.03.2024 08:00;1709362800;b@y.example;sku-1;3;5.50;0.5\n"
                "A-3;c3;paid;02.03.2024 09:00;1709366400;c@z.example;sku-1;lots;5.50;0\n"
                "A-3;c3;paid;02.03.2024 09:00;1709366400;c@z.example;sku-2;1;2.00;0\n")
    drop(tmp_path, "orders", "export.csv", csv_text)
    lake = open_lake(spark, cfg)
    ingest_orders(lake, cfg, KEY)
    orders = by_order(lake)
    assert sorted(orders) == ["A-1", "A-2"]
    # 10:30 in Berlin (UTC+1 in March) is 09:30 UTC; epoch seconds are UTC already
    assert orders["A-1"]["order_time"] == datetime(2024, 3, 1, 9, 30)
    assert orders["A-1"]["updated_at"] == datetime(2024, 3, 1, 10, 30)
    lines = sorted((r.order_id, r.product_id, r.quantity, r.unit_price, r.discount)
                   for r in lake.read(SILVER_ORDER_LINES).collect())
    assert lines == [("A-1", "sku-2", 1, 0.0, 0.0), ("A-1", "sku;1", 2, 5.5, 0.0), ("A-2", "sku-1", 3, 5.5, 0.5)]
    # an order with a bad line is quarantined whole, its raw rows kept together
    (raw, reason), = quarantine_reasons(lake).items()
    assert reason == "wrong_type_lines" and raw.count("\n") == 1 and "sku-2" in raw and "lots" in raw


def test_parquet_clickstream_with_numeric_ids_and_renamed_columns(spark, settings, tmp_path):
    mapping = {"format": "parquet",
               "columns": {"event_id": "id", "user_id": "visitor", "session_id": "visit", "event_type": "kind",
                           "event_time": "ts", "product_id": "item"}}
    cfg = shop_settings(settings, tmp_path, {"clickstream": mapping})
    table = pa.table({
        "id": pa.array([1, 2, 3], pa.int64()), "visitor": pa.array([10, 10, 11], pa.int64()),
        "visit": ["v1", "v1", "v2"], "kind": ["product_view", "add_to_cart", "teleport"],
        "ts": pa.array([datetime(2024, 3, 1, 10), datetime(2024, 3, 1, 10, 5), datetime(2024, 3, 1, 11)],
                       pa.timestamp("us")),
        "item": pa.array([7, 7, 8], pa.int64()), "price": [9.5, 9.5, 1.0],
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    drop(tmp_path, "clickstream", "date=2024-03-01/events.parquet", buffer.getvalue())
    lake = open_lake(spark, cfg)
    ingest_clickstream(lake, cfg, KEY)
    events = {r.event_id: r for r in lake.read(SILVER_EVENTS).collect()}
    assert sorted(events) == ["1", "2"]  # typed ids arrive as text
    assert events["1"].product_id == "7" and events["1"].event_time == datetime(2024, 3, 1, 10)
    assert events["2"].user_id == pseudonym("10", KEY)
    assert list(quarantine_reasons(lake).values()) == ["unknown_event_type"]


def test_a_bad_mapping_fails_at_config_load_naming_each_problem(tmp_path):
    config = yaml.safe_load((ROOT / "conf" / "test.yaml").read_text())
    config["ingest"] = {"sources": {"orders": {"format": "xlsx", "columns": {"order_id": {"constant": "x", "derive": ["a"]},
                                                                              "order_date": "day"}}}}
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as error:
        load_config(str(path))
    message = str(error.value)
    assert "ingest.sources.orders.format: 'xlsx' is not one of json, csv, parquet" in message
    assert "ingest.sources.orders.columns.order_id: give exactly one of column, constant, derive" in message
    assert "ingest.sources.orders.columns.order_date: not a column of the orders contract" in message


def test_ingest_preview_shows_mapped_rows_and_reasons_and_writes_nothing(tmp_path):
    config = yaml.safe_load((ROOT / "conf" / "test.yaml").read_text())
    config["ingest"] = {"sources": {"orders": CDNOW_MAPPING}}  # a preview is not refused for its quarantine share
    config["lake"]["root"] = str(tmp_path / "lake")
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(config))
    data = tmp_path / "CDNOW_master.txt"
    data.write_text(CDNOW + "00006 19970101\n")
    result = run_command([sys.executable, "-m", "shoplake.cli", "ingest-preview", "--source", "orders", str(data),
                          "--config", str(path), "--rows", "2"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout.splitlines()
    assert out[0] == f"orders: 7 record(s) in {data}: 4 would land, 3 would be quarantined"
    assert out[1] == ("as one batch, ingest would refuse it: 42.9% quarantined is more than "
                      "ingest.max_quarantine_share 5.0%")
    shown = [json.loads(line) for line in out[3:5]]
    assert shown[0]["order_id"] == expected_id("00001", "19970101", "1", "11.77")
    assert shown[0]["lines"] == [{"product_id": "all", "quantity": 1, "unit_price": 11.77, "discount": None}]
    reasons = {line.split()[0]: int(line.split()[1]) for line in out[out.index(
        "quarantined, by reason (records, an example):") + 1:]}
    assert reasons == {"negative_price": 1, "wrong_type_order_time": 1, "wrong_field_count": 1}
    assert not (tmp_path / "lake").exists()
    missing = run_command([sys.executable, "-m", "shoplake.cli", "ingest-preview", "--source", "orders",
                           str(tmp_path / "nope.csv"), "--config", str(path)], cwd=tmp_path)
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr and "Traceback" not in missing.stderr
