"""Train the ALS recommender end to end: split, tune, evaluate against popularity, track, register.

This is the whole of the ``train_als`` job except reading the interactions from the lake. The
model that is logged is refitted on every interaction with the chosen parameters; it is
registered only when, on the held-out split, it beats the popularity baseline on NDCG@k.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mlflow
import pyspark
from matplotlib.figure import Figure
from mlflow.entities.model_registry import ModelVersion
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.config.settings import AlsSettings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.ml import tracking
from shoplake.ml.als import RATING, AlsParams, fit_als, recommend_als
from shoplake.ml.evaluation import evaluate_recommendations
from shoplake.ml.id_mapping import ITEM_INDEX, USER_INDEX, IdMapping
from shoplake.ml.interactions import check_interactions
from shoplake.ml.popularity import item_popularity, recommend_popular
from shoplake.ml.splits import split
from shoplake.ml.tuning import param_grid, tune_als

log = get_logger(__name__)
FAMILY = "als"
INTERACTIONS = "gold.user_item_interactions"
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("integer", USER_INDEX), ColSpec("integer", ITEM_INDEX)]),
    outputs=Schema([ColSpec("float", "prediction")]),
)


@dataclass(frozen=True)
class RecommenderConfig:
    """How the recommender is trained; :meth:`from_settings` reads the config's ``als`` section."""

    split: str = "chrono"
    train_ratio: float = 0.75
    validation_ratio: float = 0.75
    k: int = 10
    metric: str = "ndcg_at_k"
    ranks: tuple[int, ...] = (32, 64)
    reg_params: tuple[float, ...] = (0.1, 0.2, 0.3)
    alphas: tuple[float, ...] = (0.5, 1.0, 2.0)
    max_iter: int = 15
    implicit: bool = True
    seed: int = 42
    registered_model: str = "shoplake-als"

    @classmethod
    def from_settings(cls, als: AlsSettings, **overrides) -> RecommenderConfig:
        """The config's ``als`` section, with ``overrides`` (None values ignored) on top."""
        values = {"split": als.split, "train_ratio": als.train_ratio, "k": als.k, "ranks": tuple(als.ranks),
                  "reg_params": tuple(als.reg_params), "alphas": tuple(als.alphas), "max_iter": als.max_iter,
                  "registered_model": als.registered_model}
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)

    def grid(self) -> list[AlsParams]:
        """The candidates to tune over (alpha only matters for implicit feedback)."""
        base = AlsParams(max_iter=self.max_iter, implicit=self.implicit, seed=self.seed)
        alphas = self.alphas if self.implicit else (base.alpha,)
        return param_grid(base, rank=self.ranks, reg_param=self.reg_params, alpha=alphas)


@dataclass
class TrainedRecommender:
    """The fitted model and everything needed to serve it."""

    model: ALSModel
    mapping: IdMapping
    interactions: DataFrame
    popularity: DataFrame
    params: AlsParams
    metrics: dict[str, float]
    run_id: str
    model_version: str | None


def train_recommender(
    interactions: DataFrame,
    settings: Settings,
    config: RecommenderConfig = RecommenderConfig(),
    user_col: str = "user_id",
    item_col: str = "product_id",
    strength_col: str = "weight",
    time_col: str = "last_event_time",
    table_versions: Mapping[str, int] | None = None,
) -> TrainedRecommender:
    """Train on ``interactions`` (user, item, strength[, time]) and log the run to MLflow.

    The defaults read ``gold.user_item_interactions``: ``user_id``, ``product_id``, ``weight``
    (event weights summed) and ``last_event_time``.
    """
    stats = check_interactions(interactions, user_col, item_col)
    if config.split == "chrono" and time_col not in interactions.columns:
        raise ValueError(f"the chrono split needs a {time_col!r} column; use split='stratified' without one")
    mapping = IdMapping.fit(interactions, user_col, item_col)
    keep = [user_col, item_col, F.col(strength_col).cast("double").alias(RATING)]
    indexed = mapping.encode(interactions.select(*keep, *([time_col] if time_col in interactions.columns else [])))
    indexed = indexed.cache()
    train, test = (df.cache() for df in split(indexed, config.split, config.train_ratio, config.seed, time_col))
    with tracking.start_run(settings, FAMILY, run_name="train_als") as run:
        mlflow.log_params({"split": config.split, "train_ratio": config.train_ratio, "k": config.k,
                           "metric": config.metric, "validation_ratio": config.validation_ratio})
        mlflow.log_metrics({"rows": stats.rows, "users": stats.users, "items": stats.items})
        tracking.log_table_versions(table_versions or {})
        best, trials = tune_als(train, config.grid(), config.k, config.metric, config.split,
                                config.validation_ratio, config.seed, time_col)
        for number, trial in enumerate(trials):
            tracking.log_child_run(f"trial-{number}", trial.params.as_dict(),
                                   {f"validation_{name}": value for name, value in trial.metrics.items()})
        mlflow.log_params({f"best_{name}": value for name, value in best.as_dict().items()})
        metrics = _evaluate(train, test, best, config.k)
        mlflow.log_metrics(metrics)
        mlflow.log_figure(_comparison_figure(metrics, config.k), "als_vs_popularity.png")
        model = fit_als(indexed, best)
        info = mlflow.spark.log_model(model, "model", signature=SIGNATURE,
                                      pip_requirements=[f"pyspark=={pyspark.__version__}"])
        beats = metrics[f"als_{config.metric}"] > metrics[f"popularity_{config.metric}"]
        mlflow.set_tag("beats_popularity", str(beats).lower())
        version = tracking.register_model(info.model_uri, config.registered_model) if beats else None
        log.info("ALS %s=%.4f vs popularity %.4f: %s", config.metric, metrics[f"als_{config.metric}"],
                 metrics[f"popularity_{config.metric}"], f"registered v{version}" if version else "not registered")
    train.unpersist()
    test.unpersist()
    return TrainedRecommender(model, mapping, indexed, item_popularity(indexed), best, metrics,
                              run.info.run_id, version)


def train_on_lake(lake: Lake, settings: Settings, config: RecommenderConfig) -> TrainedRecommender:
    """Train on the current version of ``gold.user_item_interactions``, recording that version in MLflow."""
    spark = lake.spark
    if spark.sparkContext.getCheckpointDir() is None:  # ALS cuts its lineage there every 10 iterations
        spark.sparkContext.setCheckpointDir(lake.checkpoint_path("train_als"))
    version = lake.version(INTERACTIONS)
    return train_recommender(lake.read(INTERACTIONS, version=version), settings, config,
                             table_versions={INTERACTIONS: version})


def load_registered(settings: Settings, name: str, version: str | None = None) -> tuple[ALSModel, ModelVersion]:
    """The registered ALS model (latest version unless ``version``) and its registry entry."""
    entry = tracking.registered_version(settings, name, version)
    pipeline = mlflow.spark.load_model(f"models:/{name}/{entry.version}")
    return pipeline.stages[0], entry


def _comparison_figure(metrics: dict[str, float], k: int) -> Figure:
    """Bar chart of the test-split ranking metrics, ALS beside popularity."""
    names = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map", "map_at_k", "coverage"]
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    for offset, model in ((-0.2, "als"), (0.2, "popularity")):
        axes.bar([i + offset for i in range(len(names))], [metrics[f"{model}_{n}"] for n in names], 0.4, label=model)
    axes.set_xticks(range(len(names)), [n.replace("_at_k", f"@{k}") for n in names])
    axes.set_title("held-out ranking metrics")
    axes.legend()
    figure.tight_layout()
    return figure


def _evaluate(train: DataFrame, test: DataFrame, params: AlsParams, k: int) -> dict[str, float]:
    """Test-split metrics of ALS fitted on ``train`` and of the popularity baseline, prefixed."""
    users = test.select(USER_INDEX).distinct()
    candidates = {
        "als": recommend_als(fit_als(train, params), users, train, k),
        "popularity": recommend_popular(item_popularity(train), users, train, k),
    }
    return {
        f"{name}_{metric}": value
        for name, recs in candidates.items()
        for metric, value in evaluate_recommendations(recs, train, test, k).items()
    }
