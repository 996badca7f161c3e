"""One log format for the project's own loggers."""
from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def setup_logging(level: str = "INFO") -> None:
    """Send ``shoplake.*`` logs to stderr in one format; idempotent."""
    root = logging.getLogger("shoplake")
    root.setLevel(level)
    if not any(getattr(h, "_shoplake", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
        handler._shoplake = True
        root.addHandler(handler)
    root.propagate = False
    for noisy in ("py4j", "py4j.clientserver", "py4j.java_gateway"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> logging.Logger:
    """A logger under the ``shoplake`` namespace."""
    return logging.getLogger(name if name.startswith("shoplake") else f"shoplake.{name}")
