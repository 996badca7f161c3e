"""Create a local file whole and only once: written aside, then hard-linked into place.

The way Delta's local log store puts a commit: a reader never sees half a file (even after a
crash), and of two writers racing for the same name exactly one wins.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def create_whole(path: str | Path, data: bytes, mode: int = 0o644) -> bool:
    """Create ``path`` holding ``data`` (file mode ``mode``) unless it exists; True when this call created it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{uuid.uuid4()}.tmp")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(aside, path)
        return True
    except FileExistsError:
        return False
    finally:
        aside.unlink()
