"""A user's own series read from real CSV, Parquet and Delta files and from a lake table, with their columns
named by the user, and one clear error for each thing that cannot be read."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from shoplake.catalog import GOLD_DAILY_ITEM_SALES
from shoplake.lake import open_lake
from shoplake.ml.forecast.series import ForecastInputError
from shoplake.ml.forecast.source import SeriesColumns, is_lake_table, read_series
from tests.integration.lake_support import lake  # noqa: F401  (lake is a fixture)

pytestmark = pytest.mark.slow

D1, D2 = date(2024, 1, 1), date(2024, 2, 1)
EXPECTED = [("a", D1, 2.0), ("a", D2, 3.5), ("b", D1, 0.0)]
CUSTOM = SeriesColumns(series_id="store id", date="month", value="sales.units")


@pytest.fixture(scope="module")
def files_lake(spark, settings, tmp_path_factory):
    """A lake over an empty temp root: the sources of these tests are files."""
    root = tmp_path_factory.mktemp("forecast-source")
    return open_lake(spark, dataclasses.replace(settings, lake=dataclasses.replace(settings.lake, root=str(root))))


def _rows(df):
    assert df.dtypes == [("series_id", "string"), ("date", "date"), ("y", "double")]
    return sorted(tuple(r) for r in df.collect())


def _csv(path, header, *lines):
    path.write_text("\n".join([header, *lines]) + "\n")
    return str(path)


def test_a_csv_file_with_the_users_column_names(files_lake, tmp_path):
    source = _csv(tmp_path / "sales.csv", "month,store id,sales.units,note",
                  "2024-01-01,a,2,x", " 2024-02-01 ,a,3.5,", "2024-01-01,b,0,")
    assert _rows(read_series(files_lake, source, CUSTOM)) == EXPECTED


def test_a_folder_of_parquet_files_with_a_timestamp_column(files_lake, spark, tmp_path):
    rows = [(1, datetime(2024, 1, 1, 13, 30), 2), (1, datetime(2024, 2, 1, 9), 4), (2, datetime(2024, 1, 1), 0)]
    spark.createDataFrame(rows, "item long, at timestamp, units int").repartition(2).write.parquet(
        str(tmp_path / "sales"))
    series = read_series(files_lake, str(tmp_path / "sales"), SeriesColumns("item", "at", "units"))
    assert _rows(series) == [("1", D1, 2.0), ("1", D2, 4.0), ("2", D1, 0.0)]


def test_a_delta_folder_written_by_another_writer(files_lake, tmp_path):
    write_deltalake(str(tmp_path / "delta"), pa.table({
        "series_id": ["a", "a", "b"], "date": pa.array([D1, D2, D1], pa.date32()), "y": [2.0, 3.5, 0.0]}))
    assert _rows(read_series(files_lake, str(tmp_path / "delta"))) == EXPECTED


def test_a_lake_table_by_name(lake, spark):  # noqa: F811
    lake.append(spark.createDataFrame([(7, D1, 4), (7, D2, 1)], "product_id long, date date, units long"),
                GOLD_DAILY_ITEM_SALES)
    assert is_lake_table(lake, GOLD_DAILY_ITEM_SALES)
    series = read_series(lake, GOLD_DAILY_ITEM_SALES, SeriesColumns("product_id", "date", "units"))
    assert _rows(series) == [("7", D1, 4.0), ("7", D2, 1.0)]


def test_only_a_table_the_lake_has_is_a_lake_table(lake, tmp_path):  # noqa: F811
    assert not is_lake_table(lake, GOLD_DAILY_ITEM_SALES)
    assert not is_lake_table(lake, str(tmp_path / "sales.csv"))


def test_a_missing_file_or_table(files_lake, tmp_path):
    for source in (str(tmp_path / "nothing.csv"), GOLD_DAILY_ITEM_SALES):
        with pytest.raises(ForecastInputError, match=f"^no such file or table: {source}$"):
            read_series(files_lake, source)


def test_an_unknown_kind_of_file_lists_what_is_accepted(files_lake, tmp_path):
    (tmp_path / "sales.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(ForecastInputError, match=r"sales\.xlsx: cannot read it as series; accepted: a lake table"):
        read_series(files_lake, str(tmp_path / "sales.xlsx"))


def test_a_file_that_is_not_what_its_name_says_is_one_line(files_lake, tmp_path):
    (tmp_path / "sales.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ForecastInputError, match=r"sales\.parquet: cannot read it as parquet: .*is not a Parquet file"):
        read_series(files_lake, str(tmp_path / "sales.parquet"))


def test_a_missing_column_names_it_its_flag_and_the_columns_present(files_lake, tmp_path):
    source = _csv(tmp_path / "sales.csv", "day,item,qty", "2024-01-01,a,1")
    with pytest.raises(ForecastInputError) as error:
        read_series(files_lake, source, SeriesColumns(series_id="item", date="date", value="y"))
    assert str(error.value) == ("sales.csv has no columns 'date' (--date-column), 'y' (--value-column); "
                                "its columns: day, item, qty")


def test_values_that_are_not_numbers_are_counted_with_an_example(files_lake, tmp_path):
    source = _csv(tmp_path / "sales.csv", "series_id,date,y",
                  "a,2024-01-01,n/a", "a,2024-02-01,1", "b,2024-01-01,", "b,2024-02-01,1e3", "c,2024-01-01,two")
    with pytest.raises(ForecastInputError) as error:
        read_series(files_lake, source)
    assert str(error.value) == ("3 rows of sales.csv have a value that is not a number "
                                "(e.g. series 'a' on 2024-01-01: 'n/a')")
    empty = _csv(tmp_path / "empty.csv", "series_id,date,y", "a,2024-01-01,1", "b,2024-01-01,")
    with pytest.raises(ForecastInputError, match=r"^1 rows of empty\.csv .* series 'b' on 2024-01-01: empty\)$"):
        read_series(files_lake, empty)


def test_dates_that_do_not_parse_are_counted_with_an_example(files_lake, tmp_path):
    source = _csv(tmp_path / "sales.csv", "series_id,date,y",
                  "a,01/02/2024,1", "a,2024-02-30,1", "b,,2", "b,2024-02-01,x")
    with pytest.raises(ForecastInputError) as error:
        read_series(files_lake, source)
    assert str(error.value) == (
        "3 rows of sales.csv have a date that is not a yyyy-MM-dd date (e.g. series 'a': '01/02/2024'); "
        "1 rows of sales.csv have a value that is not a number (e.g. series 'b' on 2024-02-01: 'x')")
