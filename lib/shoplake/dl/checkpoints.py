"""Per-epoch training checkpoints: one file per run folder, replaced atomically after each epoch.

A run folder is ``<dl.checkpoint_dir>/<family>-<key>``, the key a hash of what the run trains on
and with, so a re-run of the same training resumes and a changed one starts afresh.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from shoplake.config import Settings

FILE = "last.pt"


def run_folder(settings: Settings, family: str, fingerprint: Mapping[str, Any]) -> Path:
    """The checkpoint folder of a training run described by ``fingerprint`` (params, table versions)."""
    key = hashlib.sha256(json.dumps(dict(fingerprint), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(settings.dl.checkpoint_dir).expanduser() / f"{family}-{key}"


def save(folder: Path, state: dict[str, Any]) -> Path:
    """Write ``state`` as the folder's checkpoint (written aside, then renamed over the old one)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE
    partial = folder / f".{FILE}.partial"
    torch.save(state, partial)
    os.replace(partial, target)
    return target


def load(folder: Path) -> dict[str, Any] | None:
    """The folder's checkpoint, or None when there is none."""
    path = folder / FILE
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)


def clear(folder: Path) -> None:
    """Delete a run's checkpoints (after its model is safely logged)."""
    shutil.rmtree(folder, ignore_errors=True)
