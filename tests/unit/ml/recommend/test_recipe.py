"""The recommender families on tiny data: recency decay, recent popularity, the ALS + popularity blend,
item co-occurrence, and the per-user comparison that decides whether a challenger beats ALS."""
import datetime as dt

import pytest

from shoplake.ml.recommend.als import AlsParams, fit_als, recommend_als
from shoplake.ml.recommend.blend import blend_candidates, rank_blend
from shoplake.ml.recommend.cooccurrence import item_similarity, recommend_cooccurrence, user_affinity
from shoplake.ml.recommend.evaluation import PairedGain, paired_gain
from shoplake.ml.recommend.popularity import item_popularity
from shoplake.ml.recommend.recency import decay
from shoplake.ml.recommend.recipe import BLEND, COOCCURRENCE, Recipe, fit_recipe, recommend

T0 = dt.datetime(2024, 3, 1)
SCHEMA = "user_idx int, item_idx int, strength double, last_time timestamp"
# two tastes (users 0-3: items 0-3, users 4-7: items 4-7), each user misses one item of their taste;
# item 8 is new: three users took it in the last two days, nobody before
MISSING = {u: (u % 4) + (4 if u >= 4 else 0) for u in range(8)}
TASTE_ROWS = [(u, i, 2.0, T0 - dt.timedelta(days=30 + i)) for u in range(8) for i in range(8)
              if (i < 4) == (u < 4) and i != MISSING[u]]
TREND_ROWS = [(u, 8, 1.0, T0 - dt.timedelta(days=u)) for u in (0, 1, 2)]


@pytest.fixture(scope="module")
def interactions(spark):
    return spark.createDataFrame(TASTE_ROWS + TREND_ROWS, SCHEMA).cache()


def test_decay_halves_the_weight_every_half_life(spark):
    rows = [(T0,), (T0 - dt.timedelta(days=7),), (T0 - dt.timedelta(days=14),), (T0 + dt.timedelta(days=1),)]
    df = spark.createDataFrame(rows, "last_time timestamp")
    weights = [r[0] for r in df.select(decay("last_time", 7.0, T0.timestamp())).collect()]
    assert weights == pytest.approx([1.0, 0.5, 0.25, 1.0])  # a time after the reference counts fully
    assert {r[0] for r in df.select(decay("last_time", 0.0, T0.timestamp())).collect()} == {1.0}


def test_recent_popularity_ranks_a_new_trend_above_old_favourites(interactions):
    plain = {r.item_idx: r.pop_rank for r in item_popularity(interactions).collect()}
    recent = {r.item_idx: r.pop_rank for r in item_popularity(interactions, half_life_days=3.0).collect()}
    assert plain[8] == 9  # three users, fewer than any other item
    assert recent[8] == 1  # but all of them in the last days


def test_blend_weight_zero_is_als_and_weight_one_is_recent_popularity(spark, interactions):
    model = fit_als(interactions, AlsParams(rank=4, reg_param=0.05, alpha=5.0, max_iter=8))
    users = interactions.select("user_idx").distinct()
    pool = blend_candidates(model, item_popularity(interactions, half_life_days=3.0), users, interactions, pool=5).cache()
    als_top = {(r.user_idx, r.item_idx, r.rank) for r in recommend_als(model, users, interactions, 2).collect()}
    assert {(r.user_idx, r.item_idx, r.rank) for r in rank_blend(pool, 0.0, 2).collect()} == als_top
    popular_first = {r.user_idx: r.item_idx for r in rank_blend(pool, 1.0, 1).collect()}
    assert all(popular_first[u] == 8 for u in range(3, 8))  # users 0-2 have seen the trending item
    seen = {(u, i) for u, i, *_ in TASTE_ROWS + TREND_ROWS}
    assert not [r for r in rank_blend(pool, 0.5, 3).collect() if (r.user_idx, r.item_idx) in seen]


def test_cooccurrence_scores_items_bought_with_the_users_items(spark):
    # items 0 and 1 are always taken together, item 2 goes with 3
    rows = [(u, i, 1.0, T0) for u in range(6) for i in ((0, 1) if u < 3 else (2, 3))] + [(6, 0, 1.0, T0), (7, 2, 1.0, T0)]
    df = spark.createDataFrame(rows, SCHEMA)
    similarity = {(r.item_idx, r.neighbour_idx): r.similarity for r in item_similarity(df, neighbours=5).collect()}
    assert similarity[(0, 1)] == pytest.approx(3 / 4)  # 3 users share them of the 4 who took either
    assert (0, 2) not in similarity  # never together
    users = spark.createDataFrame([(6,), (7,)], "user_idx int")
    recs = recommend_cooccurrence(item_similarity(df), user_affinity(df), item_popularity(df), users, df, k=3).collect()
    ranked = {(r.user_idx, r.rank): r.item_idx for r in recs}
    assert ranked[(6, 1)] == 1 and ranked[(7, 1)] == 3  # the item always taken with theirs
    assert {ranked[(6, 2)], ranked[(6, 3)]} == {2, 3}  # then popular items fill the list


def test_a_recipe_round_trips_through_its_mlflow_params_and_fits_its_own_family(spark, interactions):
    recipe = Recipe(BLEND, AlsParams(rank=4, max_iter=3), half_life_days=14.0, popularity_weight=0.5)
    assert Recipe.from_dict(recipe.as_dict()) == recipe
    fitted = fit_recipe(Recipe(COOCCURRENCE, half_life_days=7.0), interactions)
    assert fitted.model is None and fitted.similarity is not None
    users = interactions.select("user_idx").distinct()
    assert recommend(fitted, users, interactions, 2).count() == 2 * 8


def test_a_challenger_wins_only_by_more_than_noise(spark):
    def frame(values):
        return spark.createDataFrame(list(enumerate(values)), "user_idx int, value double")
    clear = paired_gain(frame([0.6, 0.7, 0.8, 0.9] * 10), frame([0.5, 0.6, 0.7, 0.8] * 10))
    assert clear.mean == pytest.approx(0.1) and clear.beyond_noise()
    noisy = paired_gain(frame([1.0, 0.0] * 20), frame([0.0, 0.9] * 20))  # +0.05 on average, swinging by 1
    assert noisy.mean == pytest.approx(0.05) and not noisy.beyond_noise()
    missing = paired_gain(frame([0.5]), frame([0.5, 0.5]))  # a user the challenger gave nothing counts 0
    assert missing.users == 2 and missing.mean == pytest.approx(-0.25)
    assert not PairedGain(0.5, 0.0, 1).beyond_noise()
