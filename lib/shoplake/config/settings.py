"""Typed configuration sections.

Each section is a frozen dataclass; the loader in :mod:`shoplake.config.loader`
checks every YAML key against these fields, so a key that is not declared here
is an error. Later capabilities add their own sections here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

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
        problem = master_problem(self.master)
        if problem:
            errors.append(f"spark.master: {problem}")
        if not re.fullmatch(r"[0-9]+([kmgtp]b?|b)?", self.driver_memory.lower()):
            errors.append(f"spark.driver_memory: {self.driver_memory!r} is not a memory size (e.g. 512m, 2g)")
        return errors


_MASTER_FORMS = (
    r"local", r"local\[([1-9][0-9]*|\*)\]", r"local\[([1-9][0-9]*|\*),\s*[0-9]+\]",
    r"local-cluster\[\s*[1-9][0-9]*\s*,\s*[1-9][0-9]*\s*,\s*[1-9][0-9]*\s*\]",
    r"spark://[^\s:,/]+:[0-9]{1,5}(,[^\s:,/]+:[0-9]{1,5})*", r"yarn", r"k8s://\S+",
)


def master_problem(master: str) -> str | None:
    """Why ``master`` is not a Spark master URL Spark 4 accepts, or ``None`` when it is."""
    if not master:
        return "must not be empty"
    if any(re.fullmatch(form, master) for form in _MASTER_FORMS):
        return None
    return (f"{master!r} is not a Spark master URL; use local, local[N], local[*], local[N,F] (N >= 1), "
            "spark://HOST:PORT[,HOST:PORT...], yarn or k8s://URL")


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
    max_batch_mb: float = 4096
    column_map: dict[str, dict[str, str]] = field(default_factory=dict)
    # records timed earlier are quarantined: before any real shop data read here (MovieLens: 1997),
    # after the zero times of broken clocks (1970-01-01, 0001-01-01)
    min_event_time: str = "1990-01-01T00:00:00Z"
    max_text_length: int = 4096  # characters of any text column of an input record
    max_text_length_by_field: dict[str, int] = field(default_factory=dict)  # per column, e.g. {query: 1024}

    def earliest_event_time(self) -> datetime:
        """``min_event_time`` as an aware UTC datetime (a time without a zone is UTC)."""
        parsed = datetime.fromisoformat(self.min_event_time)
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)

    def text_limit(self, column: str) -> int:
        """The most characters a text column may hold."""
        return self.max_text_length_by_field.get(column, self.max_text_length)

    def validate(self) -> list[str]:
        errors = []
        if self.session_gap_minutes < 1:
            errors.append("ingest.session_gap_minutes: must be >= 1")
        if self.future_tolerance_minutes < 0:
            errors.append("ingest.future_tolerance_minutes: must be >= 0")
        if not self.max_batch_mb > 0:
            errors.append("ingest.max_batch_mb: must be > 0")
        unknown = sorted(set(self.column_map) - set(INPUT_SOURCES))
        if unknown:
            errors.append(f"ingest.column_map: unknown source {unknown[0]!r} (sources: {', '.join(INPUT_SOURCES)})")
        try:
            self.earliest_event_time()
        except ValueError:
            errors.append(f"ingest.min_event_time: {self.min_event_time!r} is not an ISO-8601 date or time "
                          "(e.g. 2000-01-01T00:00:00Z)")
        if self.max_text_length < 1:
            errors.append("ingest.max_text_length: must be >= 1")
        errors += [f"ingest.max_text_length_by_field.{name}: must be >= 1"
                   for name, limit in self.max_text_length_by_field.items() if limit < 1]
        if self.max_text_length_by_field:
            errors += _unknown_text_columns(self.max_text_length_by_field)
        return errors


def _unknown_text_columns(by_field: dict[str, int]) -> list[str]:
    from shoplake.schemas import CONTRACTS  # pyspark's types: imported only when there are names to check

    columns = sorted({f.name for source in INPUT_SOURCES for f in CONTRACTS[source].schema.fields
                      if f.dataType.typeName() == "string"})
    return [f"ingest.max_text_length_by_field: {name!r} is not a text column of an input "
            f"(columns: {', '.join(columns)})" for name in sorted(set(by_field) - set(columns))]


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


ALS_SPLITS = ("chrono", "stratified")
RECOMMENDER_FAMILIES = ("als", "als+popularity", "cooccurrence")


@dataclass(frozen=True)
class AlsSettings:
    """How the recommender is trained and tuned (``train_als`` and the pipeline).

    The candidates are every ALS parameter combination (``ranks`` x ``reg_params`` x ``alphas``)
    at every recency half-life (``half_lives_days``, 0: no decay), each alone and blended with recent
    popularity at every ``popularity_weights``, and item co-occurrence (``neighbours`` per item) at
    every half-life, as far as ``families`` lists them. The validation split chooses; ALS stays
    the core model unless another family wins by more than noise.
    """

    split: str = "chrono"
    train_ratio: float = 0.75
    k: int = 10
    ranks: tuple[int, ...] = (32, 64)
    reg_params: tuple[float, ...] = (0.1, 0.2, 0.3)
    alphas: tuple[float, ...] = (0.5, 1.0, 2.0)
    max_iter: int = 15
    half_lives_days: tuple[float, ...] = (0.0, 14.0)
    popularity_weights: tuple[float, ...] = (0.25, 0.5, 0.75)
    families: tuple[str, ...] = RECOMMENDER_FAMILIES
    candidate_pool: int = 50
    neighbours: int = 50
    top_n: int = 10
    registered_model: str = "shoplake-als"

    def validate(self) -> list[str]:
        errors = []
        if self.split not in ALS_SPLITS:
            errors.append(f"als.split: {self.split!r} is not one of {', '.join(ALS_SPLITS)}")
        if not 0 < self.train_ratio < 1:
            errors.append("als.train_ratio: must be between 0 and 1")
        if self.k < 1 or self.top_n < 1 or self.max_iter < 1:
            errors.append("als.k, als.top_n and als.max_iter: must be >= 1")
        if not (self.ranks and self.reg_params and self.alphas and self.half_lives_days):
            errors.append("als.ranks, als.reg_params, als.alphas and als.half_lives_days: must not be empty")
        if any(h < 0 for h in self.half_lives_days):
            errors.append("als.half_lives_days: must be >= 0 (0: no recency weighting)")
        if any(not 0 < w < 1 for w in self.popularity_weights):
            errors.append("als.popularity_weights: each must be between 0 and 1 (exclusive)")
        unknown = sorted(set(self.families) - set(RECOMMENDER_FAMILIES))
        if unknown or "als" not in self.families and "als+popularity" not in self.families:
            errors.append(f"als.families: {', '.join(self.families) or 'none'} must include als or als+popularity "
                          f"(ALS is the core model) and only {', '.join(RECOMMENDER_FAMILIES)}")
        if self.candidate_pool < 1 or self.neighbours < 1:
            errors.append("als.candidate_pool and als.neighbours: must be >= 1")
        return errors


@dataclass(frozen=True)
class PrivacySettings:
    """Keyed pseudonymization of customer and user ids, and the key of the erasure records.

    The pseudonym key is read from ``key`` or, when that is empty, from the environment variable
    named by ``key_env``; the audit key likewise from ``audit_key`` / ``audit_key_env``. Without
    either, a random key is created once per lake in ``key_dir`` (default: beside a local lake
    root) and reused; ``require_key: true`` (the cluster config) makes a missing key an error
    instead. Keys are never logged (see :mod:`shoplake.privacy.keys`).

    ``identity_columns`` name the pseudonymized person ids in silver, gold and ops tables (an
    erasure deletes the rows holding the customer's pseudonym there). The PII check flags text
    values matching ``email_pattern`` or ``phone_pattern`` (Java regexes) outside bronze.
    """

    key: str = ""
    key_env: str = "SHOPLAKE_PSEUDONYM_KEY"
    audit_key: str = ""
    audit_key_env: str = "SHOPLAKE_AUDIT_KEY"
    key_dir: str = ""
    require_key: bool = False
    identity_columns: tuple[str, ...] = ("customer_id", "user_id")
    email_pattern: str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    phone_pattern: str = r"(?<![\w.+-])(\+\d{1,3}[ .-]?)?(\(\d{2,4}\)|\d{2,4})[ .-]\d{3,4}[ .-]\d{3,4}(?![\w.-])"

    def validate(self) -> list[str]:
        import re

        errors = [f"privacy.{name}: must name an environment variable"
                  for name in ("key_env", "audit_key_env") if not getattr(self, name)]
        if self.key_env == self.audit_key_env or (self.key and self.key == self.audit_key):
            errors.append("privacy.audit_key: must differ from the pseudonym key (and audit_key_env from key_env)")
        if not self.identity_columns:
            errors.append("privacy.identity_columns: must name at least one column")
        for name in ("email_pattern", "phone_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                errors.append(f"privacy.{name}: not a valid regular expression ({exc})")
        return errors


DEFAULT_SEGMENT_RULES = {
    "champions": "r_score >= 4 AND f_score >= 4 AND m_score >= 4",
    "loyal": "f_score >= 3.5 AND r_score >= 3",
    "at_risk": "r_score < 2.5 AND (f_score >= 3 OR m_score >= 3.5)",
    "hibernating": "r_score < 2.5",
    "new_customers": "r_score >= 4 AND f_score < 2.5",
    "big_spenders": "m_score >= 4",
}
COHORT_PERIODS = ("week", "month")


@dataclass(frozen=True)
class AnalyticsSettings:
    """Shop analytics: funnel window, cohort period, RFM segmentation, bundles, anomaly thresholds, churn.

    ``segment_rules`` names KMeans segments: an ordered mapping of name to a SQL condition on a
    segment's means (``r_score``, ``f_score``, ``m_score`` from 1 to ``rfm_score_levels``,
    ``recency_days``, ``frequency``, ``monetary``, ``customer_share``, ``revenue_share``); the first
    rule that holds names the segment, ``segment_default_name`` when none does. An order is
    flagged when its anomaly score (its strongest signal divided by the signal's threshold,
    plus ``anomaly_no_browsing_weight`` when the customer did not browse before it) reaches 1.
    ``churn_cutoff`` (``YYYY-MM-DD``; empty: the end of the data minus the horizon) splits
    features (before) from labels (no order in the ``churn_horizon_days`` after); the model trains
    on ``churn_train_cutoffs`` cutoffs ``churn_cutoff_step_days`` apart, ending at that one.
    """

    funnel_within_days: int = 7
    cohort_period: str = "week"
    cohort_max_periods: int = 26
    rfm_score_levels: int = 5
    segment_k_min: int = 2
    segment_k_max: int = 8
    segment_rules: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEGMENT_RULES))
    segment_default_name: str = "regulars"
    bundle_min_support: float = 0.002
    bundle_min_confidence: float = 0.1
    bundle_min_lift: float = 2.0
    anomaly_amount_z: float = 3.5
    anomaly_items_z: float = 5.0
    anomaly_velocity_minutes: int = 30
    anomaly_velocity_orders: int = 3
    anomaly_refund_days: int = 30
    anomaly_refund_orders: int = 2
    anomaly_browse_minutes: int = 120
    anomaly_no_browsing_weight: float = 0.5
    churn_horizon_days: int = 30
    churn_cutoff: str = ""
    churn_test_share: float = 0.3
    churn_train_cutoffs: int = 4
    churn_cutoff_step_days: int = 7
    churn_max_iter: int = 40
    churn_max_depth: int = 4
    seed: int = 42

    def validate(self) -> list[str]:
        from datetime import date

        errors = [f"analytics.{name}: must be >= 1" for name in (
            "funnel_within_days", "cohort_max_periods", "anomaly_velocity_minutes", "anomaly_velocity_orders",
            "anomaly_refund_days", "anomaly_refund_orders", "anomaly_browse_minutes", "churn_horizon_days",
            "churn_train_cutoffs", "churn_cutoff_step_days", "churn_max_iter", "churn_max_depth")
            if getattr(self, name) < 1]
        if self.cohort_period not in COHORT_PERIODS:
            errors.append(f"analytics.cohort_period: {self.cohort_period!r} is not one of {', '.join(COHORT_PERIODS)}")
        if not 2 <= self.rfm_score_levels <= 10:
            errors.append("analytics.rfm_score_levels: must be between 2 and 10")
        if not 2 <= self.segment_k_min <= self.segment_k_max:
            errors.append("analytics.segment_k_min/segment_k_max: need 2 <= segment_k_min <= segment_k_max")
        errors += [f"analytics.segment_rules.{name}: the condition must not be empty"
                   for name, condition in self.segment_rules.items() if not str(condition).strip()]
        if not 0 < self.bundle_min_support <= 1:
            errors.append("analytics.bundle_min_support: must be in (0, 1]")
        if not 0 <= self.bundle_min_confidence <= 1:
            errors.append("analytics.bundle_min_confidence: must be in [0, 1]")
        errors += [f"analytics.{name}: must be > 0" for name in ("bundle_min_lift", "anomaly_amount_z", "anomaly_items_z")
                   if getattr(self, name) <= 0]
        if not 0 <= self.anomaly_no_browsing_weight < 1:
            errors.append("analytics.anomaly_no_browsing_weight: must be in [0, 1) (browsing alone never flags an order)")
        if not 0 < self.churn_test_share < 1:
            errors.append("analytics.churn_test_share: must be in (0, 1)")
        if self.churn_cutoff:
            try:
                date.fromisoformat(self.churn_cutoff)
            except ValueError:
                errors.append(f"analytics.churn_cutoff: {self.churn_cutoff!r} is not a date (YYYY-MM-DD) or empty")
        return errors


FORECAST_LOSSES = ("squared", "absolute")
FORECAST_FREQUENCIES = ("day", "month")
FORECAST_MONTHLY_KEYS = ("horizon", "season_length", "lags", "windows", "seasonal_cycles", "folds", "fold_step", "loss")


def _as_ints(values) -> tuple:
    """Integers where the YAML text is an integer; anything else is kept for ``validate`` to report."""
    return tuple(int(v) if str(v).lstrip("-").isdigit() else v for v in values)


@dataclass(frozen=True)
class ForecastSettings:
    """Demand forecasting (``train_forecast``): one global GBTRegressor, direct multi-horizon strategy.

    The top-level keys describe the shop's daily series. ``monthly`` overrides the series keys
    (``horizon``, ``season_length``, ``lags``, ``windows``, ``seasonal_cycles``, ``folds``,
    ``fold_step``) for monthly series such as the real retail series. Lag k is the value k
    periods before the first forecast period; ``windows`` are rolling mean/std lengths;
    ``seasonal_cycles`` past seasons feed the same-season mean. Backtest origins are
    ``fold_step`` periods apart (0: the horizon). ``holidays`` are ``MM-DD`` (every year) or
    ``YYYY-MM-DD`` dates. The model is registered (monthly: as ``<registered_model>-monthly``)
    only when it beats seasonal-naive on MASE.

    ``loss`` is the GBT's: ``absolute`` fits the median, which minimises the absolute errors that
    WAPE and MASE count and suits a product's intermittent daily units (most days 0 or 1);
    ``squared`` fits the mean, and converges faster on the few rows of smooth monthly series.
    """

    frequency: str = "day"
    horizon: int = 14
    season_length: int = 7
    lags: tuple[int, ...] = (1, 2, 3, 7, 14, 21, 28)
    windows: tuple[int, ...] = (7, 28)
    seasonal_cycles: int = 4
    folds: int = 3
    fold_step: int = 0
    holidays: tuple[str, ...] = ("01-01", "12-24", "12-25", "12-26", "12-31")
    interval_level: float = 0.8
    loss: str = "absolute"
    max_iter: int = 60
    max_depth: int = 5
    step_size: float = 0.1
    subsampling_rate: float = 0.8
    min_instances_per_node: int = 20
    max_bins: int = 32
    max_training_rows: int = 500_000
    plot_items: int = 6
    registered_model: str = "shoplake-forecast"
    seed: int = 42
    monthly: dict[str, object] = field(default_factory=lambda: {
        "horizon": 12, "season_length": 12, "lags": [1, 2, 3, 6, 12, 24], "windows": [3, 12],
        "seasonal_cycles": 2, "folds": 3, "loss": "squared"})

    def __post_init__(self):
        object.__setattr__(self, "lags", _as_ints(self.lags))
        object.__setattr__(self, "windows", _as_ints(self.windows))

    def for_frequency(self, frequency: str) -> ForecastSettings:
        """These settings for series of ``frequency`` (``day``: as is; ``month``: with ``monthly`` applied)."""
        if frequency == self.frequency:
            return self
        if frequency != "month":
            raise ValueError(f"forecast: no settings for frequency {frequency!r} (known: {', '.join(FORECAST_FREQUENCIES)})")
        from dataclasses import replace

        overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in self.monthly.items()}
        return replace(self, frequency="month", holidays=(), monthly={},
                       registered_model=f"{self.registered_model}-monthly", **overrides)

    def validate(self) -> list[str]:
        from datetime import date

        errors = [f"forecast.{name}: must be >= 1" for name in (
            "horizon", "season_length", "seasonal_cycles", "folds", "max_iter", "max_depth", "min_instances_per_node",
            "max_training_rows") if getattr(self, name) < 1]
        if self.frequency not in FORECAST_FREQUENCIES:
            errors.append(f"forecast.frequency: {self.frequency!r} is not one of {', '.join(FORECAST_FREQUENCIES)}")
        if self.fold_step < 0 or self.plot_items < 0:
            errors.append("forecast.fold_step/plot_items: must be >= 0")
        for name, least in (("lags", 1), ("windows", 2)):
            values = getattr(self, name)
            if not values or not all(isinstance(v, int) and v >= least for v in values):
                errors.append(f"forecast.{name}: must be a non-empty list of integers >= {least}, got {list(values)}")
        for name in ("interval_level", "step_size", "subsampling_rate"):
            if not 0 < getattr(self, name) <= (1 if name != "interval_level" else 0.999):
                errors.append(f"forecast.{name}: must be in (0, 1{')' if name == 'interval_level' else ']'}")
        if self.max_bins < 2:
            errors.append("forecast.max_bins: must be >= 2")
        if self.loss not in FORECAST_LOSSES:
            errors.append(f"forecast.loss: {self.loss!r} is not one of {', '.join(FORECAST_LOSSES)}")
        if not self.registered_model:
            errors.append("forecast.registered_model: must not be empty")
        for text in self.holidays:
            try:
                date.fromisoformat(text if len(text) == 10 else f"2000-{text}")
            except ValueError:
                errors.append(f"forecast.holidays: {text!r} is not MM-DD or YYYY-MM-DD")
        unknown = sorted(set(self.monthly) - set(FORECAST_MONTHLY_KEYS))
        if unknown:
            errors.append(f"forecast.monthly: unknown key {unknown[0]!r} (allowed: {', '.join(FORECAST_MONTHLY_KEYS)})")
        elif self.monthly and self.frequency == "day":
            try:
                errors += [e.replace("forecast.", "forecast.monthly.", 1) for e in self.for_frequency("month").validate()]
            except (TypeError, ValueError) as exc:
                errors.append(f"forecast.monthly: {exc}")
        return errors


DL_DEVICES = ("auto", "cpu", "cuda")
RESNET_ARCHITECTURES = ("resnet-tiny", "resnet-narrow", "resnet-small", "resnet18")


@dataclass(frozen=True)
class DlSettings:
    """Deep learning (``train_sentiment``, ``score_reviews``, ``train_image_model``, ``embed_images``).

    Data reaches torch through petastorm, materialised under ``petastorm_cache_dir`` (removed
    after use); training checkpoints each epoch under ``checkpoint_dir``. ``device: auto`` uses
    CUDA with mixed precision when present. ``text_*`` size the review-sentiment model
    (all-MiniLM-L6-v2; ``text_encoder_layers: 0`` keeps all 6 layers, fewer makes a faster,
    weaker model; ``text_length_pool`` > 0 trains on batches of reviews of similar length, that many
    batches regrouped at a time), ``image_*`` the product-image ResNet; ``*_rows: 0`` means every row.
    A model is registered only when it passes its gate: with ``beat_baseline``, it beats a classical
    baseline fitted on the same train rows (TF-IDF + logistic regression on macro-F1; logistic
    regression on the pixels on accuracy) on the same held-out test rows; with ``enforce_floors``, it
    also reaches the absolute floors ``text_min_auc``, ``text_min_macro_f1`` and ``image_min_accuracy``.
    """

    petastorm_cache_dir: str = "./data/petastorm-cache"
    checkpoint_dir: str = "./data/checkpoints"
    device: str = "auto"
    reader_workers: int = 2
    row_group_bytes: int = 8_388_608
    progress_every_s: float = 30.0
    seed: int = 42
    validation_fraction: float = 0.1
    inference_batch_size: int = 256
    text_rows: int = 0
    text_test_fraction: float = 0.2
    text_max_seq_len: int = 128
    text_encoder_layers: int = 0
    text_batch_size: int = 32
    text_length_pool: int = 0
    text_epochs: int = 2
    text_lr: float = 5e-5
    text_registered_model: str = "shoplake-sentiment"
    text_min_auc: float = 0.93
    text_min_macro_f1: float = 0.70
    image_arch: str = "resnet-small"
    image_size: int = 28
    image_train_rows: int = 0
    image_test_rows: int = 0
    image_batch_size: int = 128
    image_epochs: int = 8
    image_lr: float = 0.003
    pretrained_resnet_path: str = ""
    image_registered_model: str = "shoplake-resnet"
    image_min_accuracy: float = 0.92
    beat_baseline: bool = True
    enforce_floors: bool = True
    similar_k: int = 10
    similarity_block_size: int = 2048

    def validate(self) -> list[str]:
        errors = [f"dl.{name}: must be >= 1" for name in (
            "reader_workers", "row_group_bytes", "inference_batch_size", "text_max_seq_len", "text_batch_size",
            "text_epochs", "image_size", "image_batch_size", "image_epochs", "similar_k", "similarity_block_size")
            if getattr(self, name) < 1]
        errors += [f"dl.{name}: must be >= 0" for name in (
            "text_rows", "text_encoder_layers", "text_length_pool", "image_train_rows", "image_test_rows",
            "progress_every_s")
            if getattr(self, name) < 0]
        errors += [f"dl.{name}: must be in (0, 1)" for name in ("validation_fraction", "text_test_fraction")
                   if not 0 < getattr(self, name) < 1]
        if self.validation_fraction + self.text_test_fraction >= 1:
            errors.append("dl.validation_fraction + dl.text_test_fraction: must leave rows to train on (< 1)")
        errors += [f"dl.{name}: must be > 0" for name in ("text_lr", "image_lr") if getattr(self, name) <= 0]
        floors = ("text_min_auc", "text_min_macro_f1", "image_min_accuracy")
        errors += [f"dl.{name}: must be in [0, 1]" for name in floors if not 0 <= getattr(self, name) <= 1]
        if self.enforce_floors and not any(getattr(self, name) for name in floors):
            errors.append("dl.enforce_floors: every floor (dl.text_min_*, dl.image_min_accuracy) is 0; "
                          "set them or turn enforce_floors off")
        if self.text_max_seq_len > 512:
            errors.append("dl.text_max_seq_len: MiniLM reads at most 512 tokens")
        if self.device not in DL_DEVICES:
            errors.append(f"dl.device: {self.device!r} is not one of {', '.join(DL_DEVICES)}")
        if self.image_arch not in RESNET_ARCHITECTURES:
            errors.append(f"dl.image_arch: {self.image_arch!r} is not one of {', '.join(RESNET_ARCHITECTURES)}")
        for name in ("petastorm_cache_dir", "checkpoint_dir", "text_registered_model", "image_registered_model"):
            if not getattr(self, name):
                errors.append(f"dl.{name}: must not be empty")
        return errors


@dataclass(frozen=True)
class ReportSettings:
    """The HTML report (``shoplake report``): where it is written and how much each section shows.

    ``top_items`` products (by revenue) get a forecast-vs-actual panel over the last
    ``history_days`` days; ``top_bundles`` bundle rules, ``recommendation_examples`` users and
    ``sentiment_products`` products (most reviewed) are shown.
    """

    output: str = "./report.html"
    top_items: int = 4
    history_days: int = 56
    top_bundles: int = 10
    recommendation_examples: int = 5
    sentiment_products: int = 12

    def validate(self) -> list[str]:
        errors = [f"report.{name}: must be >= 1" for name in (
            "top_items", "history_days", "top_bundles", "recommendation_examples", "sentiment_products")
            if getattr(self, name) < 1]
        return errors + ([] if self.output else ["report.output: must not be empty"])


QUALITY_SEVERITIES = ("critical", "warning")
DEFAULT_CHECK_SEVERITY = {
    "schema": "critical", "key": "critical", "allowed": "critical", "range": "critical", "referential": "critical",
    "rows": "critical", "freshness": "warning", "volume": "warning", "drift": "warning",
}


@dataclass(frozen=True)
class QualitySettings:
    """Data-quality checks: how recent, how much change is too much, and how severe each failure is.

    ``freshness_max_delay_hours``: the newest event/order may be at most this old.
    ``future_tolerance_minutes``: clock skew allowed before a timestamp counts as in the future.
    ``volume_max_change``: relative row-count change allowed against the previous successful run.
    ``drift_null_share_max_change`` (absolute), ``drift_mean_max_change`` (relative),
    ``drift_mix_max_divergence`` (KL divergence of a category mix): the same, for drift.
    ``unexpected_examples``: example bad values kept per failed row-level check (each costs a Spark job).
    ``severity``: ``critical`` or ``warning`` per check kind (``schema``, ``key``, ``allowed``, ``range``,
    ``referential``, ``rows``, ``freshness``, ``volume``, ``drift``) or per ``table:check``,
    over the defaults (the first six critical, the last three warnings).
    """

    freshness_max_delay_hours: float = 48.0
    future_tolerance_minutes: int = 10
    volume_max_change: float = 0.5
    drift_null_share_max_change: float = 0.1
    drift_mean_max_change: float = 0.25
    drift_mix_max_divergence: float = 0.1
    unexpected_examples: int = 3
    severity: dict[str, str] = field(default_factory=dict)

    def validate(self) -> list[str]:
        errors = [f"quality.{name}: must be > 0" for name in (
            "freshness_max_delay_hours", "volume_max_change", "drift_null_share_max_change", "drift_mean_max_change",
            "drift_mix_max_divergence") if getattr(self, name) <= 0]
        errors += [f"quality.{name}: must be >= 0" for name in ("future_tolerance_minutes", "unexpected_examples")
                   if getattr(self, name) < 0]
        for key, value in self.severity.items():
            if value not in QUALITY_SEVERITIES:
                errors.append(f"quality.severity.{key}: {value!r} is not one of {', '.join(QUALITY_SEVERITIES)}")
            table, _, check = key.partition(":")
            if not (key in DEFAULT_CHECK_SEVERITY or (check and table.count(".") == 1)):
                errors.append(f"quality.severity.{key}: not a check kind ({', '.join(DEFAULT_CHECK_SEVERITY)}) "
                              "nor layer.table:check")
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
    ingest: IngestSettings = field(default_factory=IngestSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    als: AlsSettings = field(default_factory=AlsSettings)
    gold: GoldSettings = field(default_factory=GoldSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    dl: DlSettings = field(default_factory=DlSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    source_file: str = ""
