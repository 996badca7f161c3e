"""Per-epoch training checkpoints: one file per run folder, replaced atomically after each epoch.

A run folder is ``<dl.checkpoint_dir>/<family>-<key>``, the key a hash of what the run trains on
and with, so a re-run of the same training resumes and a changed one starts afresh.

A checkpoint is a safetensors file: every tensor of the state (weights, optimizer moments, random
state) is a named tensor, and the rest of the state (epoch, history, optimizer settings) is JSON in
the file's header, with each tensor's place in it. Reading one parses that header and copies tensor
bytes; it never unpickles, so a planted or damaged file cannot run code. Folders are created private
to their user (mode 0700), and a folder another user could write to is not read from.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save_file

from shoplake.errors import EnvironmentProblem
from shoplake.log import get_logger

log = get_logger(__name__)
FILE = "last.safetensors"
PICKLED_FILE = "last.pt"  # the pickle format of earlier versions: never loaded
FORMAT = "shoplake-checkpoint/1"


class UnusableCheckpoint(ValueError):
    """A checkpoint file that cannot be used: not a checkpoint, damaged, or in a folder others can write."""


def run_folder(checkpoint_dir: str, family: str, fingerprint: Mapping[str, Any]) -> Path:
    """The folder under ``checkpoint_dir`` of a training run described by ``fingerprint`` (params, table versions)."""
    key = hashlib.sha256(json.dumps(dict(fingerprint), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(checkpoint_dir).expanduser() / f"{family}-{key}"


def save(folder: Path, state: Mapping[str, Any]) -> Path:
    """Write ``state`` (tensors, numbers, strings, None, and lists, tuples and dicts of them) as the folder's
    checkpoint, written aside and then renamed over the old one."""
    _make_private(folder)
    tensors: dict[str, torch.Tensor] = {}
    skeleton = json.dumps(_pack(state, tensors))
    target = folder / FILE
    partial = folder / f".{FILE}.partial"
    save_file(tensors, partial, metadata={"format": FORMAT, "state": skeleton})
    os.replace(partial, target)
    return target


def load(folder: Path) -> dict[str, Any] | None:
    """The folder's checkpoint, or None when there is none.

    Raises :class:`UnusableCheckpoint` (naming the file) when the file is not a checkpoint of this
    format, is damaged, or lies in a folder that is not the user's own or that others can write to.
    """
    path = folder / FILE
    if (folder / PICKLED_FILE).exists():
        log.warning("ignoring %s: checkpoints in pickle format are never loaded", folder / PICKLED_FILE)
    if not path.is_file():
        return None
    _check_private(folder, path)
    try:
        data = path.read_bytes()
        header = _header(data)
        if header.get("format") != FORMAT:
            raise ValueError(f"its header names format {header.get('format')!r}, not {FORMAT!r}")
        return _unpack(json.loads(header["state"]), load_tensors(data))
    except (SafetensorError, ValueError, KeyError, TypeError, OSError) as problem:
        raise UnusableCheckpoint(f"checkpoint {path} cannot be read: {problem}") from None


def clear(folder: Path) -> None:
    """Delete a run's checkpoints (after its model is safely logged)."""
    shutil.rmtree(folder, ignore_errors=True)


def _make_private(folder: Path) -> None:
    """Create ``folder`` (and ``dl.checkpoint_dir`` when missing) with mode 0700; tighten a folder of our own."""
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the mode applies to the last folder only
    folder.mkdir(exist_ok=True, mode=0o700)
    status = folder.stat()
    if status.st_uid != os.geteuid():
        raise EnvironmentProblem(f"checkpoint folder {folder} belongs to another user (uid {status.st_uid}); "
                                 "set dl.checkpoint_dir to a folder of your own")
    if stat.S_IMODE(status.st_mode) != 0o700:
        folder.chmod(0o700)


def _check_private(folder: Path, path: Path) -> None:
    status = folder.stat()
    if status.st_uid != os.geteuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnusableCheckpoint(f"checkpoint {path} is not read: its folder is not private to this user "
                                 f"(owner uid {status.st_uid}, mode {stat.S_IMODE(status.st_mode):o})")


def _header(data: bytes) -> dict[str, str]:
    """The text metadata of a safetensors file's header (8 bytes of length, then JSON)."""
    if len(data) < 8:
        raise ValueError("the file is too short to be a safetensors file")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise ValueError("its header is longer than the file")
    header = json.loads(data[8:8 + size].decode("utf-8"))
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict):
        raise ValueError("its header has no metadata")
    return metadata


def _pack(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """``value`` as JSON: tensors moved to ``tensors`` (named by order), containers tagged with their type."""
    if isinstance(value, torch.Tensor):
        name = str(len(tensors))
        tensors[name] = value.detach().to("cpu", copy=True).contiguous()  # a copy: no two names share memory
        return {"tensor": name}
    if isinstance(value, Mapping):
        return {"dict": [[_pack(key, tensors), _pack(item, tensors)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return {type(value).__name__: [_pack(item, tensors) for item in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a checkpoint cannot hold values of type {type(value).__name__}")


def _unpack(value: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    """The inverse of :func:`_pack`."""
    if not isinstance(value, (dict, list)):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"unexpected entry {str(value)[:80]!r} in its state")
    (kind, content), = value.items()
    if kind == "tensor":
        return tensors[content]
    if kind == "dict":
        return {_unpack(key, tensors): _unpack(item, tensors) for key, item in content}
    if kind in ("list", "tuple"):
        items = [_unpack(item, tensors) for item in content]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown entry kind {kind!r} in its state")
