"""Train the recommender against popularity, and publish a registered one's recommendations."""
from __future__ import annotations

from shoplake.catalog import GOLD_USER_ITEM_INTERACTIONS
from shoplake.ml.recommend.publish import publish_recommendations
from shoplake.ml.recommend.recommender import RecommenderConfig, train_on_lake
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepNotRun, StepOutcome


def train_als_step(ctx: StepContext) -> StepOutcome:
    """Choose and train the recommender as the ``als`` section says; register it when it beats popularity."""
    require_passing(ctx.lake, ctx.settings, [GOLD_USER_ITEM_INTERACTIONS])  # refuses a version that failed a check
    trained = train_on_lake(ctx.lake, ctx.settings)
    metric = RecommenderConfig.from_settings(ctx.settings.als).metric
    figures = {"family": trained.recipe.family, metric: round(trained.metrics[f"model_{metric}"], 4),
               f"popularity_{metric}": round(trained.metrics[f"popularity_{metric}"], 4),
               "margin_over_popularity": round(trained.metrics["margin_over_popularity"], 4),
               "model_version": trained.model_version or "none"}
    return StepOutcome(read={GOLD_USER_ITEM_INTERACTIONS: ctx.lake.version(GOLD_USER_ITEM_INTERACTIONS)},
                       figures=figures, run_ids=[trained.run_id])


def recommend_step(ctx: StepContext) -> StepOutcome:
    """Top-N recommendations per user and similar items from a registered recommender (default: its latest)."""
    als = ctx.settings.als
    wrote = publish_recommendations(ctx.lake, ctx.settings, als.registered_model, ctx.option("model_version"),
                                    als.top_n, ctx.option("similar", 10))
    return StepOutcome(wrote=wrote, figures={"model_version": ctx.option("model_version", "latest")})


def train_and_recommend_step(ctx: StepContext) -> StepOutcome:
    """:func:`train_als_step`, then :func:`recommend_step` with the version it registered, if it registered one."""
    trained = train_als_step(ctx)
    version = trained.figures["model_version"]
    if version == "none":
        metric = RecommenderConfig.from_settings(ctx.settings.als).metric
        raise StepNotRun(
            f"{trained.figures['family']} did not beat popularity on {metric} ({trained.figures[metric]} vs "
            f"{trained.figures[f'popularity_{metric}']}): not registered, recommendations left as they were")
    published = recommend_step(ctx.with_options(model_version=version))
    return StepOutcome(read=trained.read, wrote=published.wrote, figures=trained.figures, run_ids=trained.run_ids)
