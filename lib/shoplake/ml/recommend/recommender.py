"""Train the recommender end to end: split, choose a recipe, evaluate against popularity, track, register.

This is the whole of the ``train_als`` job except reading the interactions from the lake. The
candidates (ALS with and without recency weighting, ALS blended with recent popularity, item
co-occurrence; see :mod:`shoplake.ml.recommend.recipe`) are compared on a validation split of the training
interactions; the chosen recipe is then scored on the held-out test split beside ALS alone and
the popularity baseline. The ALS model that is logged is refitted on every interaction, with the
recipe beside it (``recipe.json``); the run is registered, tagged with its family, only when on
the held-out split it beats the popularity baseline on the tuning metric (NDCG@k).
"""
from __future__ import annotations

import dataclasses
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

from shoplake.catalog import GOLD_USER_ITEM_INTERACTIONS
from shoplake.config import Settings
from shoplake.config.settings import AlsSettings, MlflowSettings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake import tracking
from shoplake.ml.recommend.als import RATING, AlsParams
from shoplake.ml.recommend.evaluation import evaluate_recommendations
from shoplake.ml.recommend.id_mapping import ITEM_INDEX, USER_INDEX, IdMapping
from shoplake.ml.recommend.interactions import check_interactions
from shoplake.ml.recommend.popularity import item_popularity, recommend_popular
from shoplake.ml.recommend.recency import TIME
from shoplake.ml.recommend.recipe import ALS, Recipe, fit_recipe, recommend
from shoplake.ml.recommend.holdout import split
from shoplake.ml.recommend.tuning import Choice, SearchSpace, param_grid, tune_recommender

log = get_logger(__name__)
FAMILY = "als"
RECIPE_FILE = "recipe.json"
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
    half_lives_days: tuple[float, ...] = (0.0,)
    popularity_weights: tuple[float, ...] = ()
    families: tuple[str, ...] = (ALS,)
    pool: int = 50
    neighbours: int = 50
    seed: int = 42
    registered_model: str = "shoplake-als"

    @classmethod
    def from_settings(cls, als: AlsSettings) -> RecommenderConfig:
        """The config's ``als`` section."""
        values = {"split": als.split, "train_ratio": als.train_ratio, "k": als.k, "ranks": tuple(als.ranks),
                  "reg_params": tuple(als.reg_params), "alphas": tuple(als.alphas), "max_iter": als.max_iter,
                  "half_lives_days": tuple(als.half_lives_days), "popularity_weights": tuple(als.popularity_weights),
                  "families": tuple(als.families), "pool": als.candidate_pool, "neighbours": als.neighbours,
                  "registered_model": als.registered_model}
        return cls(**values)

    def grid(self) -> list[AlsParams]:
        """The ALS parameters to tune over (alpha only matters for implicit feedback)."""
        base = AlsParams(max_iter=self.max_iter, implicit=self.implicit, seed=self.seed)
        alphas = self.alphas if self.implicit else (base.alpha,)
        return param_grid(base, rank=self.ranks, reg_param=self.reg_params, alpha=alphas)

    def search_space(self, has_time: bool = True) -> SearchSpace:
        """Every candidate recipe; without interaction times there is no recency weighting."""
        half_lives = tuple(self.half_lives_days) if has_time else (0.0,)
        return SearchSpace(tuple(self.grid()), half_lives, tuple(self.popularity_weights), tuple(self.families),
                           self.pool, self.neighbours)


@dataclass
class TrainedRecommender:
    """The fitted model, its recipe and everything needed to serve it."""

    model: ALSModel
    recipe: Recipe
    mapping: IdMapping
    interactions: DataFrame
    metrics: dict[str, float]
    run_id: str
    model_version: str | None


def index_interactions(interactions: DataFrame, mapping: IdMapping, strength_col: str = "weight",
                       time_col: str = "last_event_time") -> DataFrame:
    """``(user_idx, item_idx, strength[, last_time])``: the interactions in the mapping's indices."""
    keep = [mapping.user_col, mapping.item_col, F.col(strength_col).cast("double").alias(RATING)]
    keep += [F.col(time_col).alias(TIME)] if time_col in interactions.columns else []
    return mapping.encode(interactions.select(*keep))


def train_recommender(
    interactions: DataFrame,
    store: MlflowSettings,
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
    has_time = time_col in interactions.columns
    if config.split == "chrono" and not has_time:
        raise ValueError(f"the chrono split needs a {time_col!r} column; use split='stratified' without one")
    mapping = IdMapping.fit(interactions, user_col, item_col)
    indexed = index_interactions(interactions, mapping, strength_col, time_col).cache()
    train, test = (df.cache() for df in split(indexed, config.split, config.train_ratio, config.seed))
    metric = config.metric
    with tracking.start_run(store, FAMILY, run_name="train_als") as run:
        mlflow.log_params({"split": config.split, "train_ratio": config.train_ratio, "k": config.k,
                           "metric": metric, "validation_ratio": config.validation_ratio,
                           "families": ",".join(config.families)})
        mlflow.log_metrics({"rows": stats.rows, "users": stats.users, "items": stats.items})
        tracking.log_table_versions(table_versions or {})
        choice, metrics = choose_and_test(train, test, config, has_time)
        _log_choice(choice, metric)
        mlflow.log_metrics(metrics)
        mlflow.log_figure(_comparison_figure(metrics, config.k), "recommender_vs_popularity.png")
        final = fit_recipe(choice.recipe if choice.recipe.uses_als else choice.best_als, indexed)
        mlflow.log_dict(choice.recipe.as_dict(), RECIPE_FILE)
        info = mlflow.spark.log_model(final.model, "model", signature=SIGNATURE,
                                      pip_requirements=[f"pyspark=={pyspark.__version__}"])
        beats = metrics[f"model_{metric}"] > metrics[f"popularity_{metric}"]
        mlflow.set_tag("beats_popularity", str(beats).lower())
        version = tracking.register_model(info.model_uri, config.registered_model,
                                          {"family": choice.recipe.family}) if beats else None
        log.info("%s %s=%.4f vs popularity %.4f (%+.1f%%): %s", choice.recipe.describe(), metric,
                 metrics[f"model_{metric}"], metrics[f"popularity_{metric}"], 100 * metrics["margin_over_popularity"],
                 f"registered v{version}" if version else "not registered")
    train.unpersist()
    test.unpersist()
    return TrainedRecommender(final.model, choice.recipe, mapping, indexed, metrics, run.info.run_id, version)


def train_on_lake(lake: Lake, settings: Settings) -> TrainedRecommender:
    """Train as the ``als`` section says on the current version of ``gold.user_item_interactions``, recording
    that version in MLflow."""
    spark = lake.spark
    if spark.sparkContext.getCheckpointDir() is None:  # ALS cuts its lineage there every 10 iterations
        spark.sparkContext.setCheckpointDir(lake.checkpoint_path("train_als"))
    version = lake.version(GOLD_USER_ITEM_INTERACTIONS)
    config = RecommenderConfig.from_settings(settings.als)
    return train_recommender(lake.read(GOLD_USER_ITEM_INTERACTIONS, version=version), settings.mlflow, config,
                             table_versions={GOLD_USER_ITEM_INTERACTIONS: version})


def load_registered(store: MlflowSettings, name: str, version: str | None = None) -> tuple[ALSModel, ModelVersion]:
    """The registered ALS model (latest version unless ``version``) and its registry entry."""
    entry = tracking.registered_version(store, name, version)
    pipeline = mlflow.spark.load_model(f"models:/{name}/{entry.version}")
    return pipeline.stages[0], entry


def choose_and_test(train: DataFrame, test: DataFrame, config: RecommenderConfig,
                    has_time: bool = True) -> tuple[Choice, dict[str, float]]:
    """Choose a recipe on a validation split of ``train``; its test metrics beside ALS alone and popularity.

    The metrics are prefixed ``model_``, ``als_`` and ``popularity_``, plus ``margin_over_popularity``
    (the relative gain on ``config.metric``).
    """
    choice = tune_recommender(train, config.search_space(has_time), config.k, config.metric, config.split,
                              config.validation_ratio, config.seed)
    metrics = _evaluate(train, test, choice, config.k)
    metrics["margin_over_popularity"] = _margin(metrics[f"model_{config.metric}"],
                                                metrics[f"popularity_{config.metric}"])
    return choice, metrics


def load_recipe(run_id: str) -> Recipe:
    """The recipe a training run chose (``recipe.json`` of the run)."""
    return Recipe.from_dict(mlflow.artifacts.load_dict(f"runs:/{run_id}/{RECIPE_FILE}"))


def _margin(model: float, baseline: float) -> float:
    """The model's relative gain over the baseline (0 when the baseline scores 0)."""
    return model / baseline - 1.0 if baseline else 0.0


def _log_choice(choice: Choice, metric: str) -> None:
    """Each trial as a nested run; the chosen recipe as ``best_*`` params, its family as a tag."""
    for number, trial in enumerate(choice.trials):
        tracking.log_child_run(f"trial-{number}", trial.recipe.as_dict(),
                               {f"validation_{name}": value for name, value in trial.metrics.items()})
    mlflow.log_params({f"best_{name}": value for name, value in choice.recipe.as_dict().items()})
    mlflow.set_tags({"family": choice.recipe.family, "recipe": choice.recipe.describe()})
    if choice.challenger_gain:
        mlflow.log_metrics({f"validation_challenger_gain_{metric}": choice.challenger_gain.mean,
                            "validation_challenger_gain_standard_error": choice.challenger_gain.standard_error})


def _comparison_figure(metrics: dict[str, float], k: int) -> Figure:
    """Bar chart of the test-split ranking metrics: the chosen recipe, ALS alone and popularity."""
    names = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map", "map_at_k", "coverage"]
    models = ("model", "als", "popularity")
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots()
    for offset, model in zip((-0.27, 0.0, 0.27), models):
        axes.bar([i + offset for i in range(len(names))], [metrics[f"{model}_{n}"] for n in names], 0.27, label=model)
    axes.set_xticks(range(len(names)), [n.replace("_at_k", f"@{k}") for n in names])
    axes.set_title("held-out ranking metrics")
    axes.legend()
    figure.tight_layout()
    return figure


def _evaluate(train: DataFrame, test: DataFrame, choice: Choice, k: int) -> dict[str, float]:
    """Test-split metrics of the chosen recipe, ALS alone and popularity, all fitted on ``train``, prefixed."""
    users = test.select(USER_INDEX).distinct()
    als = fit_recipe(dataclasses.replace(choice.best_als, family=ALS, popularity_weight=0.0), train)
    # the chosen recipe, when it contains ALS, is best_als itself: its ALS model is the one just fitted
    model = dataclasses.replace(als, recipe=choice.recipe) if choice.recipe.uses_als else fit_recipe(choice.recipe, train)
    candidates = {
        "model": recommend(model, users, train, k),
        "als": recommend(als, users, train, k),
        "popularity": recommend_popular(item_popularity(train), users, train, k),
    }
    return {
        f"{name}_{metric}": value
        for name, recs in candidates.items()
        for metric, value in evaluate_recommendations(recs, train, test, k).items()
    }
