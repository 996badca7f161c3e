"""The Delta backends by name, and :func:`open_lake`, which opens the lake on the one the settings pick."""
from __future__ import annotations

from pyspark.sql import SparkSession

from shoplake.lake.api import Lake
from shoplake.lake.deltars.backend import DeltaRsLake
from shoplake.lake.deltaspark import DeltaSparkLake
from shoplake.lake.errors import LakeError
from shoplake.session import delta_backend

BACKENDS: dict[str, type[Lake]] = {backend.backend: backend for backend in (DeltaRsLake, DeltaSparkLake)}


def open_lake(spark: SparkSession, settings) -> Lake:
    """The lake for ``settings.lake`` on ``spark``: delta-spark when its JVM classes are present, else delta-rs.

    ``lake.backend`` names one of :data:`BACKENDS`, or is ``auto``.
    """
    name = delta_backend(spark, settings.lake.backend)
    if name not in BACKENDS:
        raise LakeError(f"lake.backend: unknown backend {name!r} (choose auto, {', '.join(BACKENDS)})")
    lake = BACKENDS[name]
    return lake(spark, settings.lake.root, settings.lake.vacuum_retention_hours, settings.privacy.identity_columns)
