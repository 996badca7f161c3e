"""The embedded Delta backend: Spark does the distributed work, delta-rs (``deltalake``) owns the log."""

from shoplake.lake.deltars.backend import DeltaRsLake

__all__ = ["DeltaRsLake"]
