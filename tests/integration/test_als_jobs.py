"""The ALS jobs end to end on a small shop: train_als (MLflow run, nested trials, registry) then recommend."""
import dataclasses
import datetime as dt
import random
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from shoplake.lake import open_lake
from shoplake import tracking
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow

JOBS = Path(__file__).resolve().parents[2] / "jobs"
MODEL = "test-als-jobs"
# three tastes of unequal size, so the most popular items are wrong for two of them
TASTES = {"a": 14, "b": 10, "c": 6}  # taste -> users; each taste has 8 items
T0 = dt.datetime(2024, 1, 1)


def shop_interactions():
    rng = random.Random(3)
    rows = []
    for taste, users in TASTES.items():
        catalogue = [f"{taste}-item-{i}" for i in range(8)]
        for u in range(users):
            for t, item in enumerate(rng.sample(catalogue, 6)):
                events = rng.randint(1, 8)
                rows.append((f"{taste}-user-{u}", item, float(events), events, 0, T0 + dt.timedelta(days=t)))
    return rows


@pytest.fixture(scope="module")
def shop(spark, settings, tmp_path_factory):
    """Settings with a lake of their own holding the interactions (as build_gold writes them, so the job's
    data-quality gate lets them through), their products and one user without history."""
    lake_settings = dataclasses.replace(settings.lake, root=str(tmp_path_factory.mktemp("als-lake")))
    shop_settings = dataclasses.replace(settings, lake=lake_settings)
    lake = open_lake(spark, shop_settings)
    interactions = spark.createDataFrame(shop_interactions(), "user_id string, product_id string, weight double, "
                                                              "n_events bigint, n_purchases bigint, last_event_time timestamp")
    lake.overwrite(interactions, "gold.user_item_interactions")
    lake.overwrite(interactions.select("product_id").distinct(), "silver.products")
    lake.overwrite(spark.createDataFrame([("a-user-0",), ("new-user",)], "user_id string"), "gold.user_features")
    run_job_main(spark, shop_settings, "train_als", "--registered-model", MODEL, "--ranks", "4", "--reg-params", "0.05",
        "--alphas", "1", "10", "--max-iter", "6")
    run_job_main(spark, shop_settings, "recommend", "--registered-model", MODEL, "--top-n", "2", "--similar", "3")
    return shop_settings, lake


def test_train_als_beats_popularity_and_registers_the_model_with_a_signature(shop):
    settings, _ = shop
    entry = tracking.registered_version(settings.mlflow, MODEL)
    run = MlflowClient(settings.mlflow.tracking_uri).get_run(entry.run_id)
    assert int(entry.version) == 1 and run.data.tags["beats_popularity"] == "true"
    assert run.data.metrics["als_ndcg_at_k"] > 0.5 > run.data.metrics["popularity_ndcg_at_k"]
    assert tracking.table_versions(settings.mlflow, entry.run_id) == {"gold.user_item_interactions": 0}
    signature = mlflow.models.get_model_info(f"models:/{MODEL}/1").signature
    assert [c.name for c in signature.inputs.inputs] == ["user_idx", "item_idx"]


def test_every_tuning_trial_is_a_nested_run_and_the_best_is_chosen(shop):
    settings, _ = shop
    client = MlflowClient(settings.mlflow.tracking_uri)
    parent = client.get_run(tracking.registered_version(settings.mlflow, MODEL).run_id)
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    # conf/test.yaml: half-life 14, popularity weight 0.75, every family; the job's flags: alphas 1 and 10
    trials = sorted((c.data.params["family"], c.data.params["als_alpha"], c.data.params["popularity_weight"])
                    for c in children if c.data.params["family"] != "cooccurrence")
    assert trials == [("als", "1.0", "0.0"), ("als", "10.0", "0.0"),
                      ("als+popularity", "1.0", "0.75"), ("als+popularity", "10.0", "0.75")]
    assert sum(c.data.params["family"] == "cooccurrence" for c in children) == 1
    assert {c.data.params["half_life_days"] for c in children} == {"14.0"}
    with_als = [c for c in children if c.data.params["family"] != "cooccurrence"]
    best = max(with_als, key=lambda c: c.data.metrics["validation_ndcg_at_k"])
    assert parent.data.tags["family"] == parent.data.params["best_family"]
    if parent.data.params["best_family"] != "cooccurrence":  # it wins only by more than noise
        for name in ("family", "als_alpha", "popularity_weight"):
            assert best.data.params[name] == parent.data.params[f"best_{name}"]


def test_recommendations_are_unseen_and_users_without_history_get_flagged_popularity(shop):
    _, lake = shop
    recs = lake.read("gold.recommendations").collect()
    seen = {(u, i) for u, i, *_ in shop_interactions()}
    assert not [r for r in recs if (r.user_id, r.product_id) in seen]
    assert len(recs) == 2 * (sum(TASTES.values()) + 1) and {r.model for r in recs} == {f"{MODEL}/1"}
    by_user = {}
    for r in sorted(recs, key=lambda r: r.rank):
        by_user.setdefault(r.user_id, []).append(r)
    assert [r.product_id[0] for r in by_user["c-user-1"]] == ["c", "c"]  # its own taste, not the popular one
    assert [(r.product_id[0], r.is_fallback) for r in by_user["new-user"]] == [("a", True), ("a", True)]
    assert not any(r.is_fallback for r in by_user["a-user-0"])


def test_similar_items_come_from_the_same_taste(shop):
    _, lake = shop
    pairs = lake.read("gold.similar_items").collect()
    assert len(pairs) == 24 * 3
    assert sum(r.product_id[0] == r.similar_product_id[0] for r in pairs) / len(pairs) > 0.9
