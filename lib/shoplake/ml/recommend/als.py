"""Fit Spark MLlib ALS on indexed interactions and recommend unseen items per user.

Implicit mode (the default) reads ``strength`` as confidence: Spark weighs an observed pair by
``1 + alpha * c`` against 1 for every unobserved pair, with ``c = log(1 + strength)`` (the log
scaling of Hu, Koren & Volinsky) or ``c = strength``, and regularises each user and item by
``reg_param`` times its number of interactions (ALS-WR). Explicit mode fits the ratings. A
half-life scales each confidence by the pair's recency (:mod:`shoplake.ml.recommend.recency`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.ml.recommendation import ALS, ALSModel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.recommend.id_mapping import ITEM_INDEX, USER_INDEX
from shoplake.ml.recommend.recency import TIME, decay, latest_time

RATING = "strength"
#: Without a checkpoint directory ALS cannot cut its lineage; much deeper than this overflows the JVM stack.
MAX_ITER_WITHOUT_CHECKPOINT = 20


@dataclass(frozen=True)
class AlsParams:
    """ALS hyper-parameters; ``num_blocks`` 0 means one block per Spark core."""

    rank: int = 64
    reg_param: float = 0.2
    alpha: float = 1.0
    max_iter: int = 15
    implicit: bool = True
    log_confidence: bool = True
    nonnegative: bool = False
    num_blocks: int = 0
    checkpoint_interval: int = 10
    seed: int = 42

    def as_dict(self) -> dict:
        return asdict(self)


def build_als(params: AlsParams, default_blocks: int) -> ALS:
    """The MLlib estimator for ``params`` on the indexed columns (user_idx, item_idx, strength)."""
    blocks = params.num_blocks or default_blocks
    return ALS(
        rank=params.rank,
        maxIter=params.max_iter,
        regParam=params.reg_param,
        alpha=params.alpha,
        implicitPrefs=params.implicit,
        nonnegative=params.nonnegative,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        seed=params.seed,
        checkpointInterval=params.checkpoint_interval,
        userCol=USER_INDEX,
        itemCol=ITEM_INDEX,
        ratingCol=RATING,
        coldStartStrategy="drop",
    )


def fit_als(interactions: DataFrame, params: AlsParams = AlsParams(), half_life_days: float = 0.0) -> ALSModel:
    """Fit ALS on ``(user_idx, item_idx, strength[, last_time])`` interactions.

    With ``half_life_days`` each pair's confidence is scaled by its recency (``last_time`` needed),
    measured back from the latest interaction.

    Check the input once with :func:`~shoplake.ml.recommend.interactions.check_interactions` first: MLlib's
    own errors on degenerate input are stack traces. With a checkpoint directory set
    (``spark.checkpoint.dir``), ALS checkpoints its factors every ``checkpoint_interval`` iterations.
    """
    context = interactions.sparkSession.sparkContext
    if params.max_iter > MAX_ITER_WITHOUT_CHECKPOINT and context.getCheckpointDir() is None:
        raise ValueError(f"ALS with {params.max_iter} iterations needs a checkpoint directory to cut its lineage: "
                         "set spark.checkpoint.dir or call SparkContext.setCheckpointDir first")
    default_blocks = context.defaultParallelism
    strength = F.col(RATING)
    if params.implicit and params.log_confidence:
        strength = F.signum(strength) * F.log1p(F.abs(strength))
    if half_life_days:
        strength = strength * decay(TIME, half_life_days, latest_time(interactions, TIME))
    return build_als(params, default_blocks).fit(interactions.select(USER_INDEX, ITEM_INDEX, strength.alias(RATING)))


def most_seen(seen: DataFrame) -> int:
    """The largest number of items any one user has seen."""
    return seen.groupBy(USER_INDEX).count().agg(F.max("count")).first()[0] or 0


def recommend_als(model: ALSModel, users: DataFrame, seen: DataFrame, k: int, max_seen: int | None = None) -> DataFrame:
    """Top-``k`` items per user of ``users`` by model score, never an item the user has ``seen``.

    Returns ``(user_idx, item_idx, score, rank)``. MLlib scores ``k + max_seen`` items per user
    (``max_seen`` defaults to :func:`most_seen`), enough to leave ``k`` after removing seen items.
    """
    seen = seen.select(USER_INDEX, ITEM_INDEX)
    most_seen_count = most_seen(seen) if max_seen is None else max_seen
    scored = model.recommendForUserSubset(users.select(USER_INDEX).distinct(), k + most_seen_count).select(
        USER_INDEX, F.explode("recommendations").alias("rec")
    )
    unseen = scored.select(
        USER_INDEX, F.col(f"rec.{ITEM_INDEX}").alias(ITEM_INDEX), F.col("rec.rating").cast("double").alias("score")
    ).join(seen, [USER_INDEX, ITEM_INDEX], "left_anti")
    return rank_top_k(unseen, k)


def rank_top_k(scored: DataFrame, k: int, user_col: str = USER_INDEX, item_col: str = ITEM_INDEX,
               score_col: str = "score") -> DataFrame:
    """Keep each user's ``k`` best-scored rows and number them 1..k in ``rank`` (ties by item id)."""
    order = Window.partitionBy(user_col).orderBy(F.desc(score_col), item_col)
    return scored.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= k)
