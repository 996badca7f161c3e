"""Write files under an output root on any filesystem pyarrow knows (local, HDFS, S3), atomically."""
from __future__ import annotations

import os
import posixpath

from pyarrow import fs


class Sink:
    """Files under ``root``: each written to a hidden temporary name, then moved into place."""

    def __init__(self, root: str):
        uri = root if "://" in root else os.path.abspath(os.path.expanduser(root))
        self.fs, self.root = fs.FileSystem.from_uri(uri)

    def path(self, relative: str) -> str:
        """Full filesystem path of ``relative``."""
        return posixpath.join(self.root, relative)

    def write(self, relative: str, text: str) -> int:
        """Write ``text`` (UTF-8) to ``relative``; return the bytes written."""
        final = self.path(relative)
        folder, name = posixpath.split(final)
        temporary = posixpath.join(folder, f".{name}.tmp")
        self.fs.create_dir(folder, recursive=True)
        data = text.encode("utf-8")
        with self.fs.open_output_stream(temporary) as stream:
            stream.write(data)
        self.fs.move(temporary, final)
        return len(data)

    def write_lines(self, relative: str, lines: list[str]) -> int:
        """Write JSON lines (newline-terminated) to ``relative``."""
        return self.write(relative, "".join(line + "\n" for line in lines))

    def exists(self, relative: str) -> bool:
        """True when ``relative`` exists (file or folder)."""
        return self.fs.get_file_info(self.path(relative)).type != fs.FileType.NotFound

    def remove(self, relative: str) -> None:
        """Delete the folder ``relative`` with everything in it, if it exists."""
        if self.exists(relative):
            self.fs.delete_dir(self.path(relative))
