"""Choose the recommender by a ranking metric on a validation split carved out of training.

The test split is never seen here: training is split again per user (same method as the outer
split), every candidate recipe is fitted on the first part and scored on the second. One ALS fit
and one candidate pool serve every popularity weight of the same ALS parameters and half-life. ALS stays the core
model: the best recipe that contains ALS is chosen unless another family beats it by more than
noise (the per-user gain over more than two standard errors).
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from pyspark.sql import DataFrame

from shoplake.log import get_logger
from shoplake.ml.recommend.als import AlsParams
from shoplake.ml.recommend.blend import rank_blend
from shoplake.ml.recommend.evaluation import PairedGain, evaluate_recommendations, paired_gain, user_metric
from shoplake.ml.recommend.id_mapping import USER_INDEX
from shoplake.ml.recommend.ranking_metrics import DEFAULT_K
from shoplake.ml.recommend.recipe import ALS, BLEND, COOCCURRENCE, Recipe, candidates, fit_recipe, recommend
from shoplake.ml.recommend.holdout import split

log = get_logger(__name__)
NOISE_Z = 2.0


@dataclass(frozen=True)
class Trial:
    """One candidate and its validation metrics."""

    recipe: Recipe
    metrics: dict[str, float]


@dataclass(frozen=True)
class SearchSpace:
    """The candidates: ALS parameters x half-lives x popularity weights, and co-occurrence per half-life."""

    als: tuple[AlsParams, ...]
    half_lives_days: tuple[float, ...] = (0.0,)
    popularity_weights: tuple[float, ...] = (0.0,)
    families: tuple[str, ...] = (ALS, BLEND, COOCCURRENCE)
    pool: int = 50
    neighbours: int = 50

    def __post_init__(self):
        if not self.als or not self.half_lives_days:
            raise ValueError("the search space needs ALS parameters and half-lives to try")


@dataclass(frozen=True)
class Choice:
    """The chosen recipe, every trial, the best recipe containing ALS, and the challenger's gain over it."""

    recipe: Recipe
    trials: list[Trial]
    best_als: Recipe
    challenger_gain: PairedGain | None = None


def param_grid(base: AlsParams = AlsParams(), **axes) -> list[AlsParams]:
    """Every combination of the values given per field, e.g. ``param_grid(rank=[32, 64], alpha=[1, 10])``."""
    names = list(axes)
    return [dataclasses.replace(base, **dict(zip(names, values))) for values in itertools.product(*axes.values())]


def _weights(space: SearchSpace) -> list[tuple[str, float]]:
    """(family, popularity weight) of the ALS families: weight 0 is plain ALS."""
    out = [(ALS, 0.0)] if ALS in space.families else []
    if BLEND in space.families:
        out += [(BLEND, w) for w in space.popularity_weights if 0 < w < 1]
    return out


def _candidate_recs(fit_part: DataFrame, users: DataFrame, space: SearchSpace,
                    k: int) -> Iterator[tuple[Recipe, DataFrame]]:
    """Every candidate recipe and its top-``k`` for ``users``; one ALS fit and candidate pool per (parameters, half-life)."""
    weights = _weights(space)
    for half_life in space.half_lives_days:
        for params in space.als if weights else ():
            fitted = fit_recipe(Recipe(ALS, params, half_life, 0.0, space.pool, space.neighbours), fit_part)
            pool = candidates(fitted, users, fit_part, k).cache()
            for family, weight in weights:
                yield Recipe(family, params, half_life, weight, space.pool, space.neighbours), rank_blend(pool, weight, k)
            pool.unpersist()
        if COOCCURRENCE in space.families:
            recipe = Recipe(COOCCURRENCE, space.als[0], half_life, 0.0, space.pool, space.neighbours)
            yield recipe, recommend(fit_recipe(recipe, fit_part), users, fit_part, k)


def tune_recommender(train: DataFrame, space: SearchSpace, k: int = DEFAULT_K, metric: str = "ndcg_at_k",
                     method: str = "chrono", ratio: float = 0.75, seed: int = 42) -> Choice:
    """Score every candidate of ``space`` on a validation split of ``train``; the choice and all trials."""
    fit_part, validation = (df.cache() for df in split(train, method, ratio, seed))
    users = validation.select(USER_INDEX).distinct().cache()
    trials, best = [], {}
    for number, (recipe, recs) in enumerate(_candidate_recs(fit_part, users, space, k), start=1):
        recs = recs.cache()
        trials.append(Trial(recipe, evaluate_recommendations(recs, fit_part, validation, k)))
        log.info("trial %d %s: %s=%.4f", number, recipe.describe(), metric, trials[-1].metrics[metric])
        group = "als" if recipe.uses_als else "other"
        if group not in best or trials[-1].metrics[metric] > best[group][0].metrics[metric]:
            if group in best:
                best[group][1].unpersist()
            best[group] = (trials[-1], recs)
        else:
            recs.unpersist()
    if "als" not in best:
        raise ValueError("the search space has no ALS family: ALS is the core model")
    choice = Choice(best["als"][0].recipe, trials, best["als"][0].recipe)
    if "other" in best:
        gain = paired_gain(user_metric(best["other"][1], fit_part, validation, k, metric),
                           user_metric(best["als"][1], fit_part, validation, k, metric))
        winner = best["other"][0].recipe if gain.beyond_noise(NOISE_Z) else choice.recipe
        choice = dataclasses.replace(choice, recipe=winner, challenger_gain=gain)
        log.info("%s vs %s on validation: %+.4f %s per user (standard error %.4f): %s chosen",
                 best["other"][0].recipe.family, best["als"][0].recipe.family, gain.mean, metric,
                 gain.standard_error, winner.family)
    for df in (fit_part, validation, users, *(recs for _, recs in best.values())):
        df.unpersist()
    return choice
