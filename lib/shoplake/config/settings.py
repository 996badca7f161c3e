"""Typed configuration sections.

Each section is a frozen dataclass; the loader in :mod:`shoplake.config.loader`
checks every YAML key against these fields, so a key that is not declared here
is an error. Later capabilities add their own sections here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LAKE_BACKENDS = ("auto", "delta-rs", "delta-spark")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SPARK_LOG_LEVELS = ("ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")


@dataclass(frozen=True)
class SparkSettings:
    """How the SparkSession is built (local runs) or submitted (spark-submit.sh)."""

    master: str = "local[*]"
    app_name: str = "shoplake"
    shuffle_partitions: int = 8
    ui: bool = False
    driver_memory: str = "2g"
    packages: tuple[str, ...] = ()
    conf: dict[str, str] = field(default_factory=dict)

    def validate(self) -> list[str]:
        errors = []
        if self.shuffle_partitions < 1:
            errors.append("spark.shuffle_partitions: must be >= 1")
        if not self.master:
            errors.append("spark.master: must not be empty")
        return errors


@dataclass(frozen=True)
class LakeSettings:
    """Where the lake lives and which Delta engine writes it."""

    root: str = "./lake"
    backend: str = "auto"
    vacuum_retention_hours: int = 168

    def validate(self) -> list[str]:
        errors = []
        if self.backend not in LAKE_BACKENDS:
            errors.append(f"lake.backend: {self.backend!r} is not one of {', '.join(LAKE_BACKENDS)}")
        if self.vacuum_retention_hours < 0:
            errors.append("lake.vacuum_retention_hours: must be >= 0")
        if not self.root:
            errors.append("lake.root: must not be empty")
        return errors


@dataclass(frozen=True)
class MlflowSettings:
    """MLflow tracking store and artifact location."""

    tracking_uri: str = "sqlite:///mlflow.db"
    artifact_root: str = "./mlartifacts"
    experiment_prefix: str = "shoplake"

    def validate(self) -> list[str]:
        return [] if self.tracking_uri else ["mlflow.tracking_uri: must not be empty"]


@dataclass(frozen=True)
class PathSettings:
    """Input drop folder and the cache that holds fetched datasets and weights."""

    inputs: str = "./data/inputs"
    cache: str = "~/.cache/shoplake"

    def validate(self) -> list[str]:
        return []


@dataclass(frozen=True)
class LoggingSettings:
    """Log level of the project's own logs and of Spark's."""

    level: str = "INFO"
    spark_level: str = "WARN"

    def validate(self) -> list[str]:
        errors = []
        if self.level not in LOG_LEVELS:
            errors.append(f"logging.level: {self.level!r} is not one of {', '.join(LOG_LEVELS)}")
        if self.spark_level not in SPARK_LOG_LEVELS:
            errors.append(
                f"logging.spark_level: {self.spark_level!r} is not one of {', '.join(SPARK_LOG_LEVELS)}"
            )
        return errors


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one environment (local, test, cluster)."""

    env: str
    spark: SparkSettings = field(default_factory=SparkSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    mlflow: MlflowSettings = field(default_factory=MlflowSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source_file: str = ""
