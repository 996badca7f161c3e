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
INPUT_SOURCES = ("clickstream", "orders", "products", "reviews")


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
class IngestSettings:
    """How inputs become bronze and silver tables."""

    session_gap_minutes: int = 30
    future_tolerance_minutes: int = 10
    max_files_per_batch: int = 1000
    column_map: dict[str, dict[str, str]] = field(default_factory=dict)

    def validate(self) -> list[str]:
        errors = []
        if self.session_gap_minutes < 1:
            errors.append("ingest.session_gap_minutes: must be >= 1")
        if self.future_tolerance_minutes < 0:
            errors.append("ingest.future_tolerance_minutes: must be >= 0")
        if self.max_files_per_batch < 1:
            errors.append("ingest.max_files_per_batch: must be >= 1")
        unknown = sorted(set(self.column_map) - set(INPUT_SOURCES))
        if unknown:
            errors.append(f"ingest.column_map: unknown source {unknown[0]!r} (sources: {', '.join(INPUT_SOURCES)})")
        return errors


DEFAULT_INTERACTION_WEIGHTS = {
    "product_view": 1.0, "add_to_cart": 3.0, "remove_from_cart": -1.0, "begin_checkout": 4.0, "purchase": 8.0,
}


@dataclass(frozen=True)
class GoldSettings:
    """How gold tables are derived: implicit-feedback weight of each event type."""

    interaction_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERACTION_WEIGHTS))

    def validate(self) -> list[str]:
        from shoplake.schemas import EVENT_TYPES

        unknown = sorted(set(self.interaction_weights) - set(EVENT_TYPES))
        return [f"gold.interaction_weights: unknown event type {unknown[0]!r}"] if unknown else []


@dataclass(frozen=True)
class PrivacySettings:
    """Keyed pseudonymization of customer and user ids.

    The key is read from ``key`` or, when that is empty, from the environment variable named
    by ``key_env``; it is never logged. ``require_key: true`` (the cluster config) makes a
    missing key an error instead of falling back to the development key.
    """

    key: str = ""
    key_env: str = "SHOPLAKE_PSEUDONYM_KEY"
    require_key: bool = False

    def validate(self) -> list[str]:
        return [] if self.key_env else ["privacy.key_env: must name an environment variable"]


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one environment (local, test, cluster)."""

    env: str
    spark: SparkSettings = field(default_factory=SparkSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    mlflow: MlflowSettings = field(default_factory=MlflowSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    gold: GoldSettings = field(default_factory=GoldSettings)
    source_file: str = ""
