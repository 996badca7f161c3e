"""The deep-learning steps: fine-tune the review-sentiment model and the product-image ResNet, score with them."""
from __future__ import annotations

from collections.abc import Callable

from shoplake.catalog import PRODUCT_CATALOGUE, REVIEWS, OptionalInput
from shoplake.dl.on_lake import run_embed_images, run_score_reviews, run_train_image_model, run_train_sentiment
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepNotRun, StepOutcome
from shoplake.tracking import NoRegisteredModel


def train_sentiment_step(ctx: StepContext) -> StepOutcome:
    """Fine-tune the review-sentiment model as the ``dl`` section says; registered when it beats TF-IDF."""
    return _outcome(run_train_sentiment(ctx.lake, ctx.settings, reload=ctx.option("reload", False),
                                        fresh=ctx.option("fresh", False)))


def train_image_model_step(ctx: StepContext) -> StepOutcome:
    """Train the product-image ResNet as the ``dl`` section says; registered when it beats the pixel baseline."""
    return _outcome(run_train_image_model(ctx.lake, ctx.settings, reload=ctx.option("reload", False),
                                          fresh=ctx.option("fresh", False)))


def score_reviews_step(ctx: StepContext) -> StepOutcome:
    """Score gated ``silver.reviews`` with the registered sentiment model (``model_version``, default the latest)."""
    return _scoring(ctx, REVIEWS, lambda: run_score_reviews(
        ctx.lake, ctx.settings, ctx.settings.dl.text_registered_model, ctx.option("model_version")))


def embed_images_step(ctx: StepContext) -> StepOutcome:
    """Embed gated ``silver.products`` images with the registered image model and find visually similar items."""
    return _scoring(ctx, PRODUCT_CATALOGUE, lambda: run_embed_images(
        ctx.lake, ctx.settings, ctx.settings.dl.image_registered_model, ctx.option("model_version")))


def _scoring(ctx: StepContext, scored: OptionalInput, score: Callable[[], dict]) -> StepOutcome:
    if not scored.present(ctx.lake.exists):  # a shop without reviews or a catalogue: nothing to score
        raise StepNotRun(f"{scored.reason}: {' and '.join(scored.tables)} not in the lake (ingest_catalog writes it)")
    require_passing(ctx.lake, ctx.settings, scored.tables)  # no scoring of a version that failed a critical check
    try:
        return _outcome(score())
    except NoRegisteredModel as missing:
        raise StepNotRun(f"{missing} (a model is registered only when it beats its baseline on the held-out test "
                         "split, and reaches the dl.*_min_* floors where dl.enforce_floors is on)") from missing


def _outcome(summary: dict) -> StepOutcome:
    return StepOutcome.from_summary(summary, wrote=summary.get("versions"))
