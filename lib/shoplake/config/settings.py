"""Typed configuration sections.

Each section is a frozen dataclass; the loader in :mod:`shoplake.config.loader`
checks every YAML key against these fields, so a key that is not declared here
is an error, and then each section's rules: a field declares its own with
:func:`~shoplake.config.bounds.setting`, a section its rules across fields in ``cross_checks``.
Later capabilities add their own sections here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from shoplake.config.bounds import (
    Section,
    above,
    at_least,
    at_most,
    between,
    check,
    choice,
    each,
    each_key,
    each_value,
    known_keys,
    non_empty,
    setting,
)
from shoplake.schemas.source_mapping import SourceMapping, mapping_problems, source_mapping

LAKE_BACKENDS = ("auto", "delta-rs", "delta-spark")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SPARK_LOG_LEVELS = ("ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
INPUT_SOURCES = ("clickstream", "orders", "products", "reviews")


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


def _memory_problem(size: str) -> str | None:
    if re.fullmatch(r"[0-9]+([kmgtp]b?|b)?", size.lower()):
        return None
    return f"{size!r} is not a memory size (e.g. 512m, 2g)"


@dataclass(frozen=True)
class SparkSettings(Section, name="spark"):
    """How the SparkSession is built (local runs) or submitted (spark-submit.sh)."""

    master: str = setting("local[*]", check(master_problem))
    app_name: str = "shoplake"
    shuffle_partitions: int = setting(8, at_least(1))
    ui: bool = False
    driver_memory: str = setting("2g", check(_memory_problem))
    packages: tuple[str, ...] = ()
    conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LakeSettings(Section, name="lake"):
    """Where the lake lives and which Delta engine writes it."""

    root: str = setting("./lake", non_empty())
    backend: str = setting("auto", choice(LAKE_BACKENDS))
    vacuum_retention_hours: int = setting(168, at_least(0))


@dataclass(frozen=True)
class MlflowSettings(Section, name="mlflow"):
    """MLflow tracking store and artifact location."""

    tracking_uri: str = setting("sqlite:///mlflow.db", non_empty())
    artifact_root: str = "./mlartifacts"
    experiment_prefix: str = "shoplake"


@dataclass(frozen=True)
class PathSettings(Section, name="paths"):
    """Input drop folder and the cache that holds fetched datasets and weights."""

    inputs: str = "./data/inputs"
    cache: str = "~/.cache/shoplake"


@dataclass(frozen=True)
class LoggingSettings(Section, name="logging"):
    """Log level of the project's own logs and of Spark's."""

    level: str = setting("INFO", choice(LOG_LEVELS))
    spark_level: str = setting("WARN", choice(SPARK_LOG_LEVELS))


def _as_utc(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _time_problem(text: str) -> str | None:
    try:
        _as_utc(text)
    except ValueError:
        return f"{text!r} is not an ISO-8601 date or time (e.g. 2000-01-01T00:00:00Z)"
    return None


def _text_columns() -> list[str]:
    from shoplake.schemas import CONTRACTS  # pyspark's types: imported only when there are names to check

    return sorted({f.name for source in INPUT_SOURCES for f in CONTRACTS[source].schema.fields
                   if f.dataType.typeName() == "string"})


@dataclass(frozen=True)
class IngestSettings(Section, name="ingest"):
    """How inputs become bronze and silver tables."""

    session_gap_minutes: int = setting(30, at_least(1))
    future_tolerance_minutes: int = setting(10, at_least(0))
    max_batch_mb: float = setting(4096, above(0))
    column_map: dict[str, dict[str, str]] = setting(  # renames only: {shop_key: contract_column}
        {}, known_keys(INPUT_SOURCES, "unknown source {name!r} (sources: {allowed})"))
    # a shop's own files: format, renames, time formats, constants, derived ids, order lines
    # (schemas/source_mapping.py); checked whole by cross_checks
    sources: dict[str, Any] = setting(
        {}, known_keys(INPUT_SOURCES, "unknown source {name!r} (sources: {allowed})"))
    # records timed earlier are quarantined: before any real shop data read here (MovieLens: 1997),
    # after the zero times of broken clocks (1970-01-01, 0001-01-01)
    min_event_time: str = setting("1990-01-01T00:00:00Z", check(_time_problem))
    max_text_length: int = setting(4096, at_least(1))  # characters of any text column of an input record
    max_text_length_by_field: dict[str, int] = setting(  # per column, e.g. {query: 1024}
        {}, each_value(at_least(1)),
        known_keys(_text_columns, "{name!r} is not a text column of an input (columns: {allowed})", every=True))
    # a batch with a larger share of its records quarantined is refused (--accept-quarantine lets it through)
    max_quarantine_share: float = setting(0.05, between(0, 1))

    def earliest_event_time(self) -> datetime:
        """``min_event_time`` as an aware UTC datetime (a time without a zone is UTC)."""
        return _as_utc(self.min_event_time)

    def text_limit(self, column: str) -> int:
        """The most characters a text column may hold."""
        return self.max_text_length_by_field.get(column, self.max_text_length)

    def mapping(self, source: str) -> SourceMapping:
        """How ``source``'s files map onto its contract (``sources`` and ``column_map`` together)."""
        return source_mapping(source, self.sources.get(source), self.column_map.get(source))

    def cross_checks(self) -> list[str]:
        """Every source mapping is complete and names known contract columns."""
        return mapping_problems(self.sources, self.column_map)


DEFAULT_INTERACTION_WEIGHTS = {
    "product_view": 1.0, "add_to_cart": 3.0, "remove_from_cart": -1.0, "begin_checkout": 4.0, "purchase": 8.0,
}


def _event_types() -> tuple[str, ...]:
    from shoplake.schemas import EVENT_TYPES

    return EVENT_TYPES


@dataclass(frozen=True)
class GoldSettings(Section, name="gold"):
    """How gold tables are derived: implicit-feedback weight of each event type."""

    interaction_weights: dict[str, float] = setting(
        DEFAULT_INTERACTION_WEIGHTS, known_keys(_event_types, "unknown event type {name!r}"))


ALS_SPLITS = ("chrono", "stratified")
RECOMMENDER_FAMILIES = ("als", "als+popularity", "cooccurrence")
_ALS_COUNTS = "als.k, als.top_n and als.max_iter"  # one message for the fields of each group
_ALS_GRIDS = "als.ranks, als.reg_params, als.alphas and als.half_lives_days"
_ALS_POOLS = "als.candidate_pool and als.neighbours"


def _families_problem(families: tuple[str, ...]) -> str | None:
    if set(families) <= set(RECOMMENDER_FAMILIES) and ("als" in families or "als+popularity" in families):
        return None
    return (f"{', '.join(families) or 'none'} must include als or als+popularity (ALS is the core model) "
            f"and only {', '.join(RECOMMENDER_FAMILIES)}")


@dataclass(frozen=True)
class AlsSettings(Section, name="als"):
    """How the recommender is trained and tuned (``train_als`` and the pipeline).

    The candidates are every ALS parameter combination (``ranks`` x ``reg_params`` x ``alphas``)
    at every recency half-life (``half_lives_days``, 0: no decay), each alone and blended with recent
    popularity at every ``popularity_weights``, and item co-occurrence (``neighbours`` per item) at
    every half-life, as far as ``families`` lists them. The validation split chooses; ALS stays
    the core model unless another family wins by more than noise.
    """

    split: str = setting("chrono", choice(ALS_SPLITS))
    train_ratio: float = setting(0.75, between(0, 1, "()", text="must be between 0 and 1"))
    k: int = setting(10, at_least(1, key=_ALS_COUNTS))
    ranks: tuple[int, ...] = setting((32, 64), non_empty(key=_ALS_GRIDS))
    reg_params: tuple[float, ...] = setting((0.1, 0.2, 0.3), non_empty(key=_ALS_GRIDS))
    alphas: tuple[float, ...] = setting((0.5, 1.0, 2.0), non_empty(key=_ALS_GRIDS))
    max_iter: int = setting(15, at_least(1, key=_ALS_COUNTS))
    half_lives_days: tuple[float, ...] = setting(
        (0.0, 14.0), non_empty(key=_ALS_GRIDS), each(at_least(0, note="0: no recency weighting")))
    popularity_weights: tuple[float, ...] = setting(
        (0.25, 0.5, 0.75), each(between(0, 1, "()", text="each must be between 0 and 1 (exclusive)")))
    families: tuple[str, ...] = setting(RECOMMENDER_FAMILIES, check(_families_problem))
    candidate_pool: int = setting(50, at_least(1, key=_ALS_POOLS))
    neighbours: int = setting(50, at_least(1, key=_ALS_POOLS))
    top_n: int = setting(10, at_least(1, key=_ALS_COUNTS))
    registered_model: str = "shoplake-als"


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    return None


@dataclass(frozen=True)
class PrivacySettings(Section, name="privacy"):
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
    key_env: str = setting("SHOPLAKE_PSEUDONYM_KEY", non_empty("must name an environment variable"))
    audit_key: str = ""
    audit_key_env: str = setting("SHOPLAKE_AUDIT_KEY", non_empty("must name an environment variable"))
    key_dir: str = ""
    require_key: bool = False
    identity_columns: tuple[str, ...] = setting(("customer_id", "user_id"), non_empty("must name at least one column"))
    email_pattern: str = setting(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", check(_regex_problem))
    phone_pattern: str = setting(
        r"(?<![\w.+-])(\+\d{1,3}[ .-]?)?(\(\d{2,4}\)|\d{2,4})[ .-]\d{3,4}[ .-]\d{3,4}(?![\w.-])", check(_regex_problem))

    def cross_checks(self) -> list[str]:
        """The audit key (and its variable) differs from the pseudonym key (and its variable)."""
        if self.key_env == self.audit_key_env or (self.key and self.key == self.audit_key):
            return ["privacy.audit_key: must differ from the pseudonym key (and audit_key_env from key_env)"]
        return []


DEFAULT_SEGMENT_RULES = {
    "champions": "r_score >= 4 AND f_score >= 4 AND m_score >= 4",
    "loyal": "f_score >= 3.5 AND r_score >= 3",
    "at_risk": "r_score < 2.5 AND (f_score >= 3 OR m_score >= 3.5)",
    "hibernating": "r_score < 2.5",
    "new_customers": "r_score >= 4 AND f_score < 2.5",
    "big_spenders": "m_score >= 4",
}
COHORT_PERIODS = ("week", "month")


def _blank_condition(condition: str) -> str | None:
    return None if str(condition).strip() else "the condition must not be empty"


def _cutoff_problem(cutoff: str) -> str | None:
    if cutoff:
        try:
            date.fromisoformat(cutoff)
        except ValueError:
            return f"{cutoff!r} is not a date (YYYY-MM-DD) or empty"
    return None


@dataclass(frozen=True)
class AnalyticsSettings(Section, name="analytics"):
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

    funnel_within_days: int = setting(7, at_least(1))
    cohort_period: str = setting("week", choice(COHORT_PERIODS))
    cohort_max_periods: int = setting(26, at_least(1))
    rfm_score_levels: int = setting(5, between(2, 10, text="must be between 2 and 10"))
    segment_k_min: int = 2
    segment_k_max: int = 8
    segment_rules: dict[str, str] = setting(DEFAULT_SEGMENT_RULES, each_value(check(_blank_condition)))
    segment_default_name: str = "regulars"
    bundle_min_support: float = setting(0.002, between(0, 1, "(]"))
    bundle_min_confidence: float = setting(0.1, between(0, 1))
    bundle_min_lift: float = setting(2.0, above(0))
    anomaly_amount_z: float = setting(3.5, above(0))
    anomaly_items_z: float = setting(5.0, above(0))
    anomaly_velocity_minutes: int = setting(30, at_least(1))
    anomaly_velocity_orders: int = setting(3, at_least(1))
    anomaly_refund_days: int = setting(30, at_least(1))
    anomaly_refund_orders: int = setting(2, at_least(1))
    anomaly_browse_minutes: int = setting(120, at_least(1))
    anomaly_no_browsing_weight: float = setting(
        0.5, between(0, 1, "[)", note="browsing alone never flags an order"))
    churn_horizon_days: int = setting(30, at_least(1))
    churn_cutoff: str = setting("", check(_cutoff_problem))
    churn_test_share: float = setting(0.3, between(0, 1, "()"))
    churn_train_cutoffs: int = setting(4, at_least(1))
    churn_cutoff_step_days: int = setting(7, at_least(1))
    churn_max_iter: int = setting(40, at_least(1))
    churn_max_depth: int = setting(4, at_least(1))
    seed: int = 42

    def cross_checks(self) -> list[str]:
        """The KMeans segment counts: at least 2, the least no more than the most."""
        if 2 <= self.segment_k_min <= self.segment_k_max:
            return []
        return ["analytics.segment_k_min/segment_k_max: need 2 <= segment_k_min <= segment_k_max"]


FORECAST_LOSSES = ("squared", "absolute")
FORECAST_FREQUENCIES = ("day", "week", "month", "quarter")
FORECAST_PROFILES = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}  # frequency -> its profile's key
FORECAST_PROFILE_KEYS = ("horizon", "season_length", "lags", "windows", "seasonal_cycles", "folds", "fold_step", "loss",
                         "families")
FORECAST_FAMILIES = ("gbt", "naive", "seasonal_naive", "auto_ets", "auto_arima", "auto_theta", "ces", "croston", "adida",
                     "imapa", "combination")
FORECAST_COMBINED = ("auto_ets", "auto_arima", "auto_theta", "ces")  # what ``combination`` averages
_LOCAL_SEASONAL = ["naive", "seasonal_naive", "auto_ets", "auto_arima", "auto_theta", "ces", "combination"]
FORECAST_PROFILE_DEFAULTS = {  # a profile in a config file is applied over these
    "weekly": {"horizon": 13, "season_length": 52, "lags": [1, 2, 4, 13, 52], "windows": [4, 13], "seasonal_cycles": 1,
               "families": ["gbt", "naive", "seasonal_naive", "auto_ets", "auto_theta", "ces", "croston", "adida",
                            "imapa"]},
    "monthly": {"horizon": 12, "season_length": 12, "lags": [1, 2, 3, 6, 12, 24], "windows": [3, 12],
                "seasonal_cycles": 2, "folds": 3, "loss": "squared", "families": ["gbt", *_LOCAL_SEASONAL]},
    "quarterly": {"horizon": 8, "season_length": 4, "lags": [1, 2, 4, 8], "windows": [4, 8], "seasonal_cycles": 2,
                  "loss": "squared", "families": ["gbt", *_LOCAL_SEASONAL]},
}
_PROFILE_RULE = known_keys(FORECAST_PROFILE_KEYS, "unknown key {name!r} (allowed: {allowed})")


def _as_ints(values) -> tuple:
    """Integers where the YAML text is an integer; anything else is kept for ``validate`` to report."""
    return tuple(int(v) if str(v).lstrip("-").isdigit() else v for v in values)


def _integers_from(least: int):
    """What is wrong with a list that must hold integers >= ``least`` and not be empty, or ``None``."""
    def problem(values: tuple) -> str | None:
        if values and all(isinstance(v, int) and v >= least for v in values):
            return None
        return f"must be a non-empty list of integers >= {least}, got {list(values)}"

    return problem


def _holiday_problem(text: str) -> str | None:
    try:
        date.fromisoformat(text if len(text) == 10 else f"2000-{text}")
    except ValueError:
        return f"{text!r} is not MM-DD or YYYY-MM-DD"
    return None


@dataclass(frozen=True)
class ForecastSettings(Section, name="forecast"):
    """Demand forecasting (``train_forecast``): several model families per series, the best chosen by backtest.

    The top-level keys describe daily series (a shop's items). ``weekly``, ``monthly`` and
    ``quarterly`` override the series keys (``horizon``, ``season_length``, ``lags``, ``windows``,
    ``seasonal_cycles``, ``folds``, ``fold_step``, ``loss``, ``families``) for series of that
    frequency, each over its defaults. Lag k is the value k periods before the first forecast period; ``windows`` are
    rolling mean/std lengths; ``seasonal_cycles`` past seasons feed the same-season mean.
    Backtest origins are ``fold_step`` periods apart (0: the horizon). ``holidays`` are ``MM-DD``
    (every year) or ``YYYY-MM-DD`` dates.

    ``families`` compete on every series in the rolling-origin backtest: ``gbt`` (one global
    GBTRegressor over all series), the local statistical models of statsforecast fitted per
    series (``naive``, ``seasonal_naive``, ``auto_ets``, ``auto_arima``, ``auto_theta``, ``ces``,
    and for intermittent demand ``croston``, ``adida``, ``imapa``) and ``combination`` (the mean of
    the ETS, ARIMA, Theta and CES forecasts among the families). Each series is forecast by the
    family with the lowest backtest MASE over all series, or by its own best family when that one's
    MASE is lower by more than a margin that the backtest chooses too (see ``ml/forecast/selection.py``);
    ``selection_margin`` is the margin used before any fold could score one. The forecaster is registered (per frequency: as
    ``<registered_model>-weekly`` …) only when the selected forecasts beat seasonal-naive's MASE.

    ``loss`` is the GBT's: ``absolute`` fits the median, which minimises the absolute errors that
    WAPE and MASE count and suits a product's intermittent daily units (most days 0 or 1);
    ``squared`` fits the mean, and converges faster on the few rows of smooth monthly series.

    ``id_column``, ``date_column``, ``value_column`` and ``input_frequency`` (``auto``: inferred)
    describe a user's own series file or table (``train_forecast --input PATH_OR_TABLE``).
    """

    frequency: str = setting("day", choice(FORECAST_FREQUENCIES))
    horizon: int = setting(14, at_least(1))
    season_length: int = setting(7, at_least(1))
    lags: tuple[int, ...] = setting((1, 2, 3, 7, 14, 21, 28), check(_integers_from(1)))
    windows: tuple[int, ...] = setting((7, 28), check(_integers_from(2)))
    seasonal_cycles: int = setting(4, at_least(1))
    folds: int = setting(3, at_least(1))
    fold_step: int = setting(0, at_least(0, key="forecast.fold_step/plot_items"))
    families: tuple[str, ...] = setting(
        ("gbt", "naive", "seasonal_naive", "auto_ets", "auto_theta", "croston", "adida", "imapa"),
        non_empty("must name at least one family"), each(choice(FORECAST_FAMILIES)))
    selection_margin: float = setting(0.5, between(0, 1, "[)"))
    holidays: tuple[str, ...] = setting(("01-01", "12-24", "12-25", "12-26", "12-31"), each(check(_holiday_problem)))
    interval_level: float = setting(0.8, between(0, 0.999, "(]", text="must be in (0, 1)"))
    loss: str = setting("absolute", choice(FORECAST_LOSSES))
    max_iter: int = setting(60, at_least(1))
    max_depth: int = setting(5, at_least(1))
    step_size: float = setting(0.1, between(0, 1, "(]"))
    subsampling_rate: float = setting(0.8, between(0, 1, "(]"))
    min_instances_per_node: int = setting(20, at_least(1))
    max_bins: int = setting(32, at_least(2))
    max_training_rows: int = setting(500_000, at_least(1))
    plot_items: int = setting(6, at_least(0, key="forecast.fold_step/plot_items"))
    registered_model: str = setting("shoplake-forecast", non_empty())
    id_column: str = setting("series_id", non_empty())
    date_column: str = setting("date", non_empty())
    value_column: str = setting("y", non_empty())
    input_frequency: str = setting("auto", choice(("auto", *FORECAST_FREQUENCIES)))
    seed: int = 42
    weekly: dict[str, object] = setting(FORECAST_PROFILE_DEFAULTS["weekly"], _PROFILE_RULE)
    monthly: dict[str, object] = setting(FORECAST_PROFILE_DEFAULTS["monthly"], _PROFILE_RULE)
    quarterly: dict[str, object] = setting(FORECAST_PROFILE_DEFAULTS["quarterly"], _PROFILE_RULE)

    def __post_init__(self):
        object.__setattr__(self, "lags", _as_ints(self.lags))
        object.__setattr__(self, "windows", _as_ints(self.windows))
        object.__setattr__(self, "families", tuple(self.families))

    def for_frequency(self, frequency: str) -> ForecastSettings:
        """These settings for series of ``frequency`` (``day``: as is; otherwise with its profile applied)."""
        if frequency == self.frequency:
            return self
        if frequency not in FORECAST_PROFILES:
            raise ValueError(f"forecast: no settings for frequency {frequency!r} (known: {', '.join(FORECAST_FREQUENCIES)})")
        from dataclasses import replace

        key = FORECAST_PROFILES[frequency]
        profile = {**FORECAST_PROFILE_DEFAULTS[key], **getattr(self, key)}
        overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in profile.items()}
        return replace(self, frequency=frequency, holidays=(), weekly={}, monthly={}, quarterly={},
                       registered_model=f"{self.registered_model}-{key}", **overrides)

    def cross_checks(self) -> list[str]:
        """Families include the baseline and what ``combination`` averages; each profile over the daily settings is
        valid too."""
        problems = []
        if "seasonal_naive" not in self.families:
            problems.append("forecast.families: must include seasonal_naive, the baseline every forecast is judged against")
        if "combination" in self.families and not set(self.families) & set(FORECAST_COMBINED):
            problems.append(f"forecast.families: combination needs at least one of {', '.join(FORECAST_COMBINED)}")
        for frequency, key in FORECAST_PROFILES.items():
            profile = getattr(self, key)
            if not profile or self.frequency != "day" or set(profile) - set(FORECAST_PROFILE_KEYS):
                continue
            try:
                problems += [e.replace("forecast.", f"forecast.{key}.", 1) for e in self.for_frequency(frequency).validate()]
            except (TypeError, ValueError) as exc:
                problems.append(f"forecast.{key}: {exc}")
        return problems


DL_DEVICES = ("auto", "cpu", "cuda")
RESNET_ARCHITECTURES = ("resnet-tiny", "resnet-narrow", "resnet-small", "resnet18")


@dataclass(frozen=True)
class DlSettings(Section, name="dl"):
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

    petastorm_cache_dir: str = setting("./data/petastorm-cache", non_empty())
    checkpoint_dir: str = setting("./data/checkpoints", non_empty())
    device: str = setting("auto", choice(DL_DEVICES))
    reader_workers: int = setting(2, at_least(1))
    row_group_bytes: int = setting(8_388_608, at_least(1))
    progress_every_s: float = setting(30.0, at_least(0))
    seed: int = 42
    validation_fraction: float = setting(0.1, between(0, 1, "()"))
    inference_batch_size: int = setting(256, at_least(1))
    text_rows: int = setting(0, at_least(0))
    text_test_fraction: float = setting(0.2, between(0, 1, "()"))
    text_max_seq_len: int = setting(128, at_least(1), at_most(512, "MiniLM reads at most 512 tokens"))
    text_encoder_layers: int = setting(0, at_least(0))
    text_batch_size: int = setting(32, at_least(1))
    text_length_pool: int = setting(0, at_least(0))
    text_epochs: int = setting(2, at_least(1))
    text_lr: float = setting(5e-5, above(0))
    text_registered_model: str = setting("shoplake-sentiment", non_empty())
    text_min_auc: float = setting(0.93, between(0, 1))
    text_min_macro_f1: float = setting(0.70, between(0, 1))
    image_arch: str = setting("resnet-small", choice(RESNET_ARCHITECTURES))
    image_size: int = setting(28, at_least(1))
    image_train_rows: int = setting(0, at_least(0))
    image_test_rows: int = setting(0, at_least(0))
    image_batch_size: int = setting(128, at_least(1))
    image_epochs: int = setting(8, at_least(1))
    image_lr: float = setting(0.003, above(0))
    pretrained_resnet_path: str = ""
    image_registered_model: str = setting("shoplake-resnet", non_empty())
    image_min_accuracy: float = setting(0.92, between(0, 1))
    beat_baseline: bool = True
    enforce_floors: bool = True
    similar_k: int = setting(10, at_least(1))
    similarity_block_size: int = setting(2048, at_least(1))

    def cross_checks(self) -> list[str]:
        """Rows are left to train on after the validation and test shares; enforced floors are not all 0."""
        errors = []
        if self.validation_fraction + self.text_test_fraction >= 1:
            errors.append("dl.validation_fraction + dl.text_test_fraction: must leave rows to train on (< 1)")
        if self.enforce_floors and not any((self.text_min_auc, self.text_min_macro_f1, self.image_min_accuracy)):
            errors.append("dl.enforce_floors: every floor (dl.text_min_*, dl.image_min_accuracy) is 0; "
                          "set them or turn enforce_floors off")
        return errors


@dataclass(frozen=True)
class ReportSettings(Section, name="report"):
    """The HTML report (``shoplake report``): where it is written and how much each section shows.

    ``top_items`` products (by revenue) get a forecast-vs-actual panel over the last
    ``history_days`` days; ``top_bundles`` bundle rules, ``recommendation_examples`` users and
    ``sentiment_products`` products (most reviewed) are shown.
    """

    output: str = setting("./report.html", non_empty())
    top_items: int = setting(4, at_least(1))
    history_days: int = setting(56, at_least(1))
    top_bundles: int = setting(10, at_least(1))
    recommendation_examples: int = setting(5, at_least(1))
    sentiment_products: int = setting(12, at_least(1))


QUALITY_SEVERITIES = ("critical", "warning")
DEFAULT_CHECK_SEVERITY = {
    "schema": "critical", "key": "critical", "allowed": "critical", "range": "critical", "referential": "critical",
    "rows": "critical", "freshness": "warning", "volume": "warning", "drift": "warning",
}


def _severity_key_problem(key: str) -> str | None:
    table, _, check_kind = key.partition(":")
    if key in DEFAULT_CHECK_SEVERITY or (check_kind and table.count(".") == 1):
        return None
    return f"not a check kind ({', '.join(DEFAULT_CHECK_SEVERITY)}) nor layer.table:check"


@dataclass(frozen=True)
class QualitySettings(Section, name="quality"):
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

    freshness_max_delay_hours: float = setting(48.0, above(0))
    future_tolerance_minutes: int = setting(10, at_least(0))
    volume_max_change: float = setting(0.5, above(0))
    drift_null_share_max_change: float = setting(0.1, above(0))
    drift_mean_max_change: float = setting(0.25, above(0))
    drift_mix_max_divergence: float = setting(0.1, above(0))
    unexpected_examples: int = setting(3, at_least(0))
    severity: dict[str, str] = setting(
        {}, each_value(choice(QUALITY_SEVERITIES)), each_key(check(_severity_key_problem)))


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
