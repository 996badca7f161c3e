"""Write a contract-shaped pandas frame as input files (JSON lines) in the contract's layout."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from pyspark.sql.types import DateType, TimestampType

from shoplake.schemas import Contract

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def write_input(frame: pd.DataFrame, contract: Contract, out: str | Path) -> list[Path]:
    """Write ``frame`` under ``<out>/<contract.name>/`` (one file per arrival day); return the files."""
    if list(frame.columns) != contract.schema.fieldNames():
        raise ValueError(f"{contract.name}: columns {list(frame.columns)} != {contract.schema.fieldNames()}")
    folder = Path(out) / contract.name
    rendered = _render_times(frame, contract)
    if contract.arrival is None:
        return [_write(rendered, folder / "part-00000.json")]
    day = frame[contract.arrival].dt.strftime("%Y-%m-%d")
    files = [_write(rendered[day.isna()], folder / "part-00000.json")] if day.isna().any() else []
    for date, group in rendered[day.notna()].groupby(day[day.notna()], sort=True):
        files.append(_write(group, folder / f"date={date}" / "part-00000.json"))
    return files


def _render_times(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    out = frame.copy()
    for field in contract.schema.fields:
        if isinstance(field.dataType, TimestampType):
            out[field.name] = pd.to_datetime(frame[field.name], utc=True).dt.strftime(TIME_FORMAT)
        elif isinstance(field.dataType, DateType):
            out[field.name] = pd.to_datetime(frame[field.name]).dt.strftime("%Y-%m-%d")
    return out


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path
