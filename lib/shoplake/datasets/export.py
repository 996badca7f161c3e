"""Write a contract-shaped pandas frame as input files (JSON lines) in the contract's layout."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql.types import DateType, TimestampType

from shoplake.schemas import Contract

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def write_input(frame: pd.DataFrame, contract: Contract, out: str | Path, stem: str = "part-00000") -> list[Path]:
    """Write ``frame`` under ``<out>/<contract.name>/`` as ``<stem>.json`` (one per arrival day); return the files.

    Sources written into one folder need different stems, or the later overwrites the earlier.
    """
    if list(frame.columns) != contract.schema.fieldNames():
        raise ValueError(f"{contract.name}: columns {list(frame.columns)} != {contract.schema.fieldNames()}")
    folder = Path(out) / contract.name
    lines = np.array(_json_lines(_render_times(frame, contract)), dtype=object)
    if contract.arrival is None:
        return [_write(lines, folder / f"{stem}.json")]
    day = frame[contract.arrival].dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    files = []
    for date in sorted(set(day)):
        subfolder = folder / f"date={date}" if date else folder
        files.append(_write(lines[day == date], subfolder / f"{stem}.json"))
    return files


def _render_times(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    out = frame.copy()
    for field in contract.schema.fields:
        if isinstance(field.dataType, TimestampType):
            out[field.name] = pd.to_datetime(frame[field.name], utc=True).dt.strftime(TIME_FORMAT)
        elif isinstance(field.dataType, DateType):
            out[field.name] = pd.to_datetime(frame[field.name]).dt.strftime("%Y-%m-%d")
    return out


def _json_lines(frame: pd.DataFrame) -> list[str]:
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    return text.rstrip("\n").split("\n") if text else []  # not splitlines(): texts may hold U+2028


def _write(lines: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
