"""A recommender recipe: which model family, its parameters, and how it scores users.

Three families are evaluated by the same code on the same split:

* ``als``: Spark MLlib ALS on implicit feedback, optionally weighted by recency;
* ``als+popularity``: that ALS blended with recent popularity (:mod:`shoplake.ml.recommend.blend`);
* ``cooccurrence``: item-to-item co-occurrence (:mod:`shoplake.ml.recommend.cooccurrence`).

:func:`fit_recipe` fits a recipe's parts on interactions and :func:`recommend` scores users with
them, in tuning, in the held-out test and when recommendations are published.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame

from shoplake.config.settings import RECOMMENDER_FAMILIES
from shoplake.ml.recommend.als import AlsParams, fit_als
from shoplake.ml.recommend.blend import blend_candidates, rank_blend
from shoplake.ml.recommend.cooccurrence import item_similarity, recommend_cooccurrence, user_affinity
from shoplake.ml.recommend.popularity import item_popularity

FAMILIES = RECOMMENDER_FAMILIES
ALS, BLEND, COOCCURRENCE = FAMILIES


@dataclass(frozen=True)
class Recipe:
    """One candidate recommender; ``half_life_days`` (0: none) weights interactions and popularity by recency."""

    family: str = ALS
    als: AlsParams = AlsParams()
    half_life_days: float = 0.0
    popularity_weight: float = 0.0
    pool: int = 50
    neighbours: int = 50

    @property
    def uses_als(self) -> bool:
        return self.family in (ALS, BLEND)

    def as_dict(self) -> dict:
        """Flat parameters for MLflow (``als_*`` for the ALS ones)."""
        values = {name: value for name, value in asdict(self).items() if name != "als"}
        return values | {f"als_{name}": value for name, value in self.als.as_dict().items()}

    @classmethod
    def from_dict(cls, values: dict) -> Recipe:
        """The inverse of :meth:`as_dict`."""
        als = {name[4:]: value for name, value in values.items() if name.startswith("als_")}
        own = {name: value for name, value in values.items() if not name.startswith("als_")}
        return cls(**own, als=AlsParams(**als))

    def describe(self) -> str:
        """A short label, e.g. ``als+popularity (weight 0.5, half-life 14 d, rank 32)``."""
        details = [f"weight {self.popularity_weight:g}"] if self.family == BLEND else []
        details += [f"half-life {self.half_life_days:g} d"] if self.half_life_days else []
        details += [f"rank {self.als.rank}", f"reg {self.als.reg_param:g}", f"alpha {self.als.alpha:g}"] \
            if self.uses_als else [f"{self.neighbours} neighbours"]
        return f"{self.family} ({', '.join(details)})"


@dataclass(frozen=True)
class FittedRecipe:
    """A recipe's fitted parts: the ALS model (ALS families), recent popularity, item similarity (co-occurrence)."""

    recipe: Recipe
    interactions: DataFrame
    popularity: DataFrame
    model: ALSModel | None = None
    similarity: DataFrame | None = None


def fit_recipe(recipe: Recipe, interactions: DataFrame, model: ALSModel | None = None) -> FittedRecipe:
    """Fit ``recipe`` on indexed interactions (``model``: an ALS model already fitted for it, reused)."""
    popularity = item_popularity(interactions, half_life_days=recipe.half_life_days)
    if recipe.uses_als:
        model = model or fit_als(interactions, recipe.als, recipe.half_life_days)
        return FittedRecipe(recipe, interactions, popularity, model=model)
    return FittedRecipe(recipe, interactions, popularity, similarity=item_similarity(interactions, recipe.neighbours))


def candidates(fitted: FittedRecipe, users: DataFrame, seen: DataFrame, k: int) -> DataFrame:
    """An ALS recipe's candidates for ``users`` with their ALS and popularity scores (see :mod:`shoplake.ml.recommend.blend`)."""
    return blend_candidates(fitted.model, fitted.popularity, users, seen, max(fitted.recipe.pool, k))


def recommend(fitted: FittedRecipe, users: DataFrame, seen: DataFrame, k: int) -> DataFrame:
    """Top-``k`` unseen items for each user of ``users``: ``(user_idx, item_idx, score, rank)``."""
    recipe = fitted.recipe
    if recipe.uses_als:
        return rank_blend(candidates(fitted, users, seen, k), recipe.popularity_weight, k)
    affinity = user_affinity(fitted.interactions, recipe.half_life_days)
    return recommend_cooccurrence(fitted.similarity, affinity, fitted.popularity, users, seen, k)
