"""Choose ALS hyper-parameters by a ranking metric on a validation split carved out of training.

The test split is never seen here: training is split again per user (same method as the
outer split), each candidate is fitted on the first part and scored on the second.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from pyspark.sql import DataFrame

from shoplake.log import get_logger
from shoplake.ml.als import AlsParams, fit_als, most_seen, recommend_als
from shoplake.ml.evaluation import evaluate_recommendations
from shoplake.ml.id_mapping import USER_INDEX
from shoplake.ml.ranking_metrics import DEFAULT_K
from shoplake.ml.splits import split

log = get_logger(__name__)


@dataclass(frozen=True)
class Trial:
    """One candidate and its validation metrics."""

    params: AlsParams
    metrics: dict[str, float]


def param_grid(base: AlsParams = AlsParams(), **axes) -> list[AlsParams]:
    """Every combination of the values given per field, e.g. ``param_grid(rank=[32, 64], alpha=[1, 10])``."""
    names = list(axes)
    return [dataclasses.replace(base, **dict(zip(names, values))) for values in itertools.product(*axes.values())]


def tune_als(
    train: DataFrame,
    grid: list[AlsParams],
    k: int = DEFAULT_K,
    metric: str = "ndcg_at_k",
    method: str = "chrono",
    ratio: float = 0.75,
    seed: int = 42,
    time_col: str = "last_time",
) -> tuple[AlsParams, list[Trial]]:
    """Fit each candidate on part of ``train``, score it on the rest; the best by ``metric`` and all trials."""
    if not grid:
        raise ValueError("the tuning grid is empty")
    fit_part, validation = (df.cache() for df in split(train, method, ratio, seed, time_col))
    users = validation.select(USER_INDEX).distinct().cache()
    max_seen = most_seen(fit_part)
    trials = []
    for number, params in enumerate(grid, start=1):
        recs = recommend_als(fit_als(fit_part, params), users, fit_part, k, max_seen)
        trials.append(Trial(params, evaluate_recommendations(recs, fit_part, validation, k)))
        log.info("trial %d/%d rank=%d reg_param=%g alpha=%g max_iter=%d: %s=%.4f", number, len(grid), params.rank,
                 params.reg_param, params.alpha, params.max_iter, metric, trials[-1].metrics[metric])
    for df in (fit_part, validation, users):
        df.unpersist()
    best = max(trials, key=lambda trial: trial.metrics[metric])
    return best.params, trials
