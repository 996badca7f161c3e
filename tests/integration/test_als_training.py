"""Training gates: no registration without beating popularity, clear errors for unusable input."""
import datetime as dt

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from shoplake.ml.recommend.interactions import InteractionsError
from shoplake.ml.recommend.recommender import RecommenderConfig, train_recommender

pytestmark = pytest.mark.slow

CONFIG = RecommenderConfig(ranks=(4,), reg_params=(0.05,), alphas=(10.0,), max_iter=5, registered_model="test-als-gate")
T0 = dt.datetime(2024, 1, 1)


def popularity_is_perfect():
    """Each user's two latest items are exactly the two popular items they have not had yet."""
    rows = []
    for u in range(20):
        popular = [f"p{(u + j) % 5}" for j in range(5)]
        history = [f"f{(u + j) % 10}" for j in range(3)] + popular[:3]
        for t, item in enumerate(history + popular[3:]):
            rows.append((f"u{u:02d}", item, 1.0, T0 + dt.timedelta(days=t)))
    return rows


def test_a_model_that_does_not_beat_popularity_is_logged_but_not_registered(spark, settings):
    interactions = spark.createDataFrame(popularity_is_perfect(),
                                         "user_id string, product_id string, weight double, last_event_time timestamp")
    trained = train_recommender(interactions, settings.mlflow, CONFIG)
    assert trained.metrics["popularity_ndcg_at_k"] == pytest.approx(1.0)
    assert trained.metrics["popularity_precision_at_k"] == pytest.approx(2 / 10)
    assert trained.model_version is None
    client = MlflowClient(settings.mlflow.tracking_uri)
    run = client.get_run(trained.run_id)
    assert run.data.tags["beats_popularity"] == "false"
    assert mlflow.models.get_model_info(f"runs:/{trained.run_id}/model").signature is not None
    assert client.search_model_versions("name = 'test-als-gate'") == []


def test_unusable_input_fails_with_a_clear_error(spark, settings):
    one_user = spark.createDataFrame([("u", f"p{i}", 1.0, T0) for i in range(20)],
                                     "user_id string, product_id string, weight double, last_event_time timestamp")
    with pytest.raises(InteractionsError, match="only 1 user in 20 interactions"):
        train_recommender(one_user, settings.mlflow, CONFIG)
