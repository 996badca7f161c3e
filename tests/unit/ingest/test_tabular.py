"""CSV and Parquet files as records: one JSON object per row, every row accounted for."""
from __future__ import annotations

import datetime as dt
import decimal
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from shoplake.schemas.source_mapping import source_mapping
from shoplake.ingest.decode import INVALID_ENCODING, UNREADABLE_FILE
from shoplake.ingest.tabular import WRONG_FIELD_COUNT, decode_file


def records(data: bytes, **source):
    return list(decode_file(data, source_mapping("orders", source)))


def test_a_csv_header_names_the_keys_quotes_hold_delimiters_and_newlines_and_empty_is_null():
    data = 'id;note;amt\n1;"a;b";3.5\n\n2;"two\nlines ""quoted""";\n'.encode()
    rows = [json.loads(r.value) for r in records(data, format="csv", csv={"delimiter": ";"})]
    assert rows == [{"id": "1", "note": "a;b", "amt": "3.5"}, {"id": "2", "note": 'two\nlines "quoted"', "amt": None}]


def test_a_row_of_the_wrong_width_and_a_line_that_is_not_utf8_are_kept_as_bytes_with_a_reason():
    data = b"id,amt\n1,2\n3\n4,\xff\n"
    found = records(data, format="csv")
    assert [r.reason for r in found] == [None, WRONG_FIELD_COUNT, INVALID_ENCODING]
    assert found[1].detail == "line 3: 1 field(s), expected 2 (id, amt)" and found[1].raw_base64 == "Mw=="


def test_whitespace_separated_columns_without_a_header():
    data = b"00001 19970101  1  11.77\n  00002\t19970112 5 77.00\n"
    rows = [json.loads(r.value) for r in records(data, format="csv", csv={"delimiter": "whitespace", "header": False,
                                                                          "columns": ["c", "d", "n", "a"]})]
    assert rows == [{"c": "00001", "d": "19970101", "n": "1", "a": "11.77"},
                    {"c": "00002", "d": "19970112", "n": "5", "a": "77.00"}]


def test_parquet_rows_keep_json_types_with_times_as_iso_text():
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "at": [dt.datetime(2024, 1, 1, 5), None],
                             "day": [dt.date(2024, 1, 2)] * 2, "price": [decimal.Decimal("1.25")] * 2,
                             "blob": [b"\x00\x01", b""]}), buffer)
    rows = [json.loads(r.value) for r in records(buffer.getvalue(), format="parquet")]
    assert rows == [{"id": 1, "at": "2024-01-01T05:00:00", "day": "2024-01-02", "price": 1.25, "blob": "AAE="},
                    {"id": 2, "at": None, "day": "2024-01-02", "price": 1.25, "blob": ""}]


def test_a_file_that_is_not_parquet_is_one_unreadable_record():
    (found,) = records(b"id,amt\n1,2\n", format="parquet")
    assert found.reason == UNREADABLE_FILE and found.detail.startswith("not a Parquet file")
