"""Each series' family, chosen by its backtest, and an honest score of choosing that way.

A family qualifies for a series when it forecast every fold the series was scored on; its score
there is its mean MASE over the folds (the mean absolute error where the series' MASE scale is
0). Every series starts from the family with the lowest pooled error over all series (WAPE: MASE's
mean over series swings with a few near-empty series, and on a shop's daily items it picked naive
on one fold and paid for it on the next), and leaves it for its own best family only when that
one scores more than a margin lower (ties go to the family named first in ``forecast.families``). A few short folds are a noisy judge of one series, and how
noisy depends on the data: on a shop's intermittent daily items, every series taking its own
winner (margin 0) scored worse on the next fold than the best single family, while on three long
monthly series it scored far better. So the margin is chosen by the backtest too, among
:data:`MARGINS`: the one whose choices scored best on the folds after the first, when it beats the
default (``forecast.selection_margin``) by more than :data:`MARGIN_GAIN` (:func:`margin_scores`,
:func:`best_margin`): one or two folds are a noisy judge of margins too.

The forecast a run publishes uses the family chosen on all folds. Scoring that same choice on the
same folds would flatter it, so :func:`selected_rows` scores it the way it is used: the forecast of
fold ``k`` comes from the family chosen on folds ``0..k-1``, with the margin that scored best before
``k`` (``forecast.selection_margin`` when nothing was scored yet). Fold 0 then has no choice to
score, and every figure of a run is computed on folds ``1..`` (:func:`scored_folds`); with a single
fold the choice is scored in-sample, and the run says so.
"""
from __future__ import annotations

from functools import reduce

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.forecast.series import SERIES_ID

SELECTED = "selected"
MARGINS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0)  # 0: every series takes its own winner; 1: the best family overall
MARGIN_GAIN = 0.05  # another margin replaces the default only when its choices scored this much (a share) lower


def scored_folds(folds: int) -> list[int]:
    """The folds every figure is computed on: all but the first, or the only one."""
    return list(range(1, folds)) or [0]


def winners(scores: DataFrame, families: Sequence[str], margin: float = 0.0, before: int | None = None) -> DataFrame:
    """``series_id``, ``family``, ``score`` of each series' chosen family on its folds (those ``< before`` if given).

    The default is the family with the lowest pooled WAPE over all series; a series leaves it for its own best
    family only when that one's score is more than ``margin`` (a share) lower. ``scores`` come from
    :func:`~shoplake.ml.forecast.metrics.fold_scores`.
    """
    ranked = _qualified(scores if before is None else scores.filter(F.col("fold") < before))
    preference = F.create_map(*[x for i, name in enumerate(families) for x in (F.lit(name), F.lit(i))])
    default = _best_overall(ranked, preference)
    best = ranked.withColumn("rank", F.row_number().over(
        Window.partitionBy(SERIES_ID).orderBy("score", preference[F.col("family")]))).filter("rank = 1")
    fallback = ranked.filter(F.col("family") == default).select(SERIES_ID, F.col("score").alias("default_score"))
    leaves = F.col("default_score").isNull() | (F.col("score") < (1 - margin) * F.col("default_score"))
    return best.join(fallback, SERIES_ID, "left").select(
        SERIES_ID, F.when(leaves, F.col("family")).otherwise(F.lit(default)).alias("family"),
        F.when(leaves, F.col("score")).otherwise(F.col("default_score")).alias("score"))


def _qualified(scores: DataFrame) -> DataFrame:
    """``series_id``, ``family``, ``score`` (mean MASE, or MAE without a scale), ``abs_error`` and ``volume`` of the
    families that forecast every fold the series was scored on."""
    folds_per_series = scores.groupBy(SERIES_ID).agg(F.countDistinct("fold").alias("folds"))
    return (scores.filter(~F.col("failed")).groupBy(SERIES_ID, "family")
            .agg(F.count("*").alias("folds"), F.avg(F.coalesce("mase", "mae")).alias("score"),
                 F.sum("abs_error").alias("abs_error"), F.sum("volume").alias("volume"))
            .join(folds_per_series, [SERIES_ID, "folds"], "left_semi"))


def _best_overall(ranked: DataFrame, preference) -> str:
    """Among the families that qualify on the most series, the one with the lowest pooled error (WAPE: all their
    absolute errors over all the volume), so that a few near-empty series with tiny MASE scales do not decide it."""
    per_family = ranked.groupBy("family").agg(F.count("*").alias("series"),
                                              F.try_divide(F.sum("abs_error"), F.sum("volume")).alias("wape"))
    return per_family.orderBy(F.desc("series"), F.asc_nulls_last("wape"), preference[F.col("family")]).first().family


def margin_scores(scores: DataFrame, families: Sequence[str], folds: int,
                  default: float) -> dict[tuple[int, float], float]:
    """(scored fold, margin) -> the mean MASE of that fold's forecasts from the families chosen before it with that
    margin, for :data:`MARGINS` and ``default``; empty with one fold."""
    table = {}
    for fold in scored_folds(folds) if folds > 1 else []:
        this_fold = scores.filter(F.col("fold") == fold)
        for margin in sorted({*MARGINS, default}):
            chosen = winners(scores, families, margin, before=fold).select(SERIES_ID, "family")
            value = this_fold.join(chosen, [SERIES_ID, "family"]).agg(F.avg("mase")).first()[0]
            table[(fold, margin)] = float("inf") if value is None else value
    return table


def best_margin(table: dict[tuple[int, float], float], default: float, before: int | None = None) -> float:
    """The margin whose choices scored lowest on the scored folds of ``table`` (those before ``before`` if given),
    when that is more than :data:`MARGIN_GAIN` below ``default``'s; else, and without folds, ``default``."""
    seen = sorted({fold for fold, _ in table if before is None or fold < before})
    if not seen:
        return default
    mean = {m: sum(table[(fold, m)] for fold in seen) / len(seen) for _, m in table}
    best = min(mean, key=lambda m: (mean[m], m))
    return best if mean[best] < (1 - MARGIN_GAIN) * mean[default] else default


def selected_rows(rows: DataFrame, scores: DataFrame, families: Sequence[str], folds: int,
                  margins: dict[int, float]) -> DataFrame:
    """Forecast rows of family ``selected`` on :func:`scored_folds`, each fold's from the family chosen before it with
    that fold's margin of ``margins`` (``chosen`` says which; a series too short for the earlier folds gets the family
    that won most series there); with one fold, the family chosen on that fold itself."""
    parts = []
    for fold in scored_folds(folds):
        chosen = winners(scores, families, margins[fold], before=fold if folds > 1 else None)
        most_won = next(iter(won_shares(chosen)), families[0])
        chosen = chosen.select(SERIES_ID, F.col("family").alias("chosen"))
        picked = (rows.filter(F.col("fold") == fold).join(chosen, SERIES_ID, "left")
                  .withColumn("chosen", F.coalesce("chosen", F.lit(most_won)))
                  .filter(F.col("family") == F.col("chosen")))
        parts.append(picked.withColumn("family", F.lit(SELECTED)))
    return reduce(DataFrame.unionByName, parts)


def won_shares(chosen: DataFrame) -> dict[str, float]:
    """The share of series each family won, largest first (ties by name)."""
    counts = {row.family: row["count"] for row in chosen.groupBy("family").count().collect()}
    total = sum(counts.values()) or 1
    return {family: n / total for family, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))}
