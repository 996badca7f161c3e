"""Train the recommender end to end on a small shop, tracked in the temp MLflow store."""
import random

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from shoplake.ml.interactions import InteractionsError
from shoplake.ml.recommendations import top_n_recommendations
from shoplake.ml.recommender import RecommenderConfig, train_recommender
from shoplake.ml.similar_items import similar_items

pytestmark = pytest.mark.slow

# three tastes of unequal size, so the most popular items are wrong for two of them
TASTES = {"a": (14, 8), "b": (10, 8), "c": (6, 8)}  # taste -> (users, items)
CONFIG = RecommenderConfig(ranks=(4,), reg_params=(0.05,), alphas=(1.0, 10.0), max_iter=6,
                           registered_model="test-als")


def shop_interactions():
    rng = random.Random(3)
    rows = []
    for taste, (users, items) in TASTES.items():
        catalogue = [f"{taste}-item-{i}" for i in range(items)]
        for u in range(users):
            for t, item in enumerate(rng.sample(catalogue, 6)):
                rows.append((f"{taste}-user-{u}", item, float(rng.randint(1, 5)), t))
    return rows


@pytest.fixture(scope="module")
def interactions(spark):
    return spark.createDataFrame(shop_interactions(), "user_id string, product_id string, weight double, last_event_time int")


@pytest.fixture(scope="module")
def trained(interactions, settings):
    return train_recommender(interactions, settings, CONFIG, table_versions={"gold.user_item_interactions": 7})


def test_als_beats_popularity_and_is_registered(trained, settings):
    assert trained.metrics["als_ndcg_at_k"] > 0.5 > trained.metrics["popularity_ndcg_at_k"]
    assert trained.model_version == "1"
    client = MlflowClient(settings.mlflow.tracking_uri)
    version = client.get_model_version("test-als", "1")
    info = mlflow.models.get_model_info(f"models:/test-als/1")
    assert [c.name for c in info.signature.inputs.inputs] == ["user_idx", "item_idx"]
    assert version.status == "READY"


def test_run_logs_trials_as_nested_runs_and_the_table_versions(trained, settings):
    client = MlflowClient(settings.mlflow.tracking_uri)
    run = client.get_run(trained.run_id)
    assert run.data.params["table.gold.user_item_interactions.version"] == "7"
    assert run.data.params["best_alpha"] in {"1.0", "10.0"}
    assert run.data.tags["beats_popularity"] == "true"
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{trained.run_id}'")
    assert sorted(c.data.params["alpha"] for c in children) == ["1.0", "10.0"]
    best = max(children, key=lambda c: c.data.metrics["validation_ndcg_at_k"])
    assert best.data.params["alpha"] == run.data.params["best_alpha"]


def test_top_n_skips_seen_items_and_gives_cold_users_flagged_popularity(spark, trained, interactions):
    users = spark.createDataFrame([("a-user-0",), ("c-user-1",), ("new-user",)], "user_id string")
    recs = top_n_recommendations(trained.model, trained.mapping, trained.interactions, trained.popularity,
                                 users, n=2).collect()
    seen = {(u, i) for u, i, _, _ in shop_interactions()}
    assert not [r for r in recs if (r.user_id, r.product_id) in seen]
    by_user = {}
    for r in sorted(recs, key=lambda r: r.rank):
        by_user.setdefault(r.user_id, []).append(r)
    assert [r.product_id.split("-")[0] for r in by_user["c-user-1"]] == ["c", "c"]  # its own taste
    assert [r.is_fallback for r in by_user["new-user"]] == [True, True]
    assert [r.product_id.split("-")[0] for r in by_user["new-user"]] == ["a", "a"]  # the biggest taste
    assert not any(r.is_fallback for r in by_user["a-user-0"])


def test_similar_items_share_a_taste(trained):
    pairs = trained.mapping.decode_items(
        trained.mapping.decode(similar_items(trained.model.itemFactors.withColumnRenamed("id", "id"), k=3)),
        "similar_idx", "similar_product_id",
    ).collect()
    same = [r.product_id[0] == r.similar_product_id[0] for r in pairs]
    assert len(pairs) == 24 * 3 and sum(same) / len(same) > 0.9


def test_bad_input_fails_with_a_clear_error_and_no_run(spark, settings):
    one_user = spark.createDataFrame([("u", f"p{i}", 1.0, i) for i in range(20)],
                                     "user_id string, product_id string, weight double, last_event_time int")
    with pytest.raises(InteractionsError, match="need at least 2 users"):
        train_recommender(one_user, settings, CONFIG)
