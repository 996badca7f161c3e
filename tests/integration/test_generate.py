"""The generator on Spark (small preset): layout, contracts, and every planted signal measured back
from the files against the ground truth."""
from __future__ import annotations

import base64
import io
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pyspark.sql import functions as F

from shoplake.datasets import clothing_reviews, fashion_mnist
from shoplake.datasets.fetch import fetch
from shoplake.datasets.generator import generate, make_config
from shoplake.datasets.generator.config import RECORD_CORRUPTIONS
from shoplake.schemas import CLICKSTREAM, EVENT_TYPES, ORDER_STATUSES, ORDERS, PRODUCTS, REVIEWS

pytestmark = pytest.mark.slow
ANOMALY_SHARE = 0.03


@pytest.fixture(scope="module")
def shop(spark, settings, tmp_path_factory):
    """One small shop (3,000 users, 35 days up to 2024-02-04) with its ground truth."""
    root = tmp_path_factory.mktemp("shop")
    config = make_config("small", anomaly_share=ANOMALY_SHARE, end_date=date(2024, 2, 4))
    manifest = generate(spark, config, str(root / "inputs"), str(root / "truth"), settings.paths.cache)
    return root / "inputs", root / "truth", config, manifest


def lines_of(inputs: Path, source: str) -> list[tuple[str, int, str]]:
    """(file, 1-based line, text) of every line of a source, re-sent duplicate files left out."""
    return [(str(path.relative_to(inputs)), n, text)
            for path in sorted((inputs / source).rglob("part-*.json")) if not path.name.endswith("-resent.json")
            for n, text in enumerate(path.read_text().rstrip("\n").split("\n"), 1)]


def records(inputs: Path, source: str) -> pd.DataFrame:
    """The parseable records of a source, in file order, with their file and line."""
    rows = []
    for name, n, text in lines_of(inputs, source):
        try:
            rows.append({**json.loads(text), "_file": name, "_line": n})
        except json.JSONDecodeError:
            pass
    return pd.DataFrame(rows)


def truth_lines(truth: Path, name: str) -> pd.DataFrame:
    return pd.DataFrame([json.loads(line) for path in sorted(truth.glob(f"{name}/part-*.json")) if path.stat().st_size
                         for line in path.read_text().rstrip("\n").split("\n")])


@pytest.fixture(scope="module")
def clean_events(shop):
    """Clickstream records that no corruption touched (as an ingest job would keep them)."""
    inputs, truth, *_ = shop
    events = records(inputs, "clickstream")
    bad = truth_lines(truth, "corrupt")
    bad = set(zip(bad["file"], bad["line"]))
    keep = [(f, n) not in bad for f, n in zip(events["_file"], events["_line"])]
    events = events[keep]
    events["price"] = pd.to_numeric(events["price"])
    return events


@pytest.fixture(scope="module")
def params(shop):
    return json.loads((shop[1] / "params.json").read_text())


def test_layout_and_manifest(shop, params):
    inputs, truth, config, manifest = shop
    assert sorted(p.name for p in inputs.iterdir()) == ["clickstream", "orders", "products", "reviews"]
    days = sorted(p.name for p in (inputs / "clickstream").iterdir())
    assert days[0] == "date=2024-01-01" and days[-1] == "date=2024-02-04" and len(days) == config.days
    assert (params["start_date"], params["end_date"]) == ("2024-01-01", "2024-02-04")
    assert not any(truth.name in str(p) for p in inputs.rglob("*"))
    counts = manifest["counts"]
    assert counts["users"] == 3_000 and 30_000 < counts["clickstream_records"] < 80_000
    assert json.loads((truth / "manifest.json").read_text())["counts"] == counts


def test_spark_reads_every_source_with_its_contract(spark, shop):
    inputs = shop[0]
    for contract in (CLICKSTREAM, ORDERS, REVIEWS, PRODUCTS):
        frame = (spark.read.schema(contract.schema).option("recursiveFileLookup", "true")
                 .json(str(inputs / contract.name)))
        complete = F.expr(" AND ".join(f"{c} IS NOT NULL" for c in contract.required))
        total, valid = frame.agg(F.count(F.lit(1)), F.count_if(complete)).first()
        assert valid > 0.95 * total > 0, contract.name


def test_products_are_real_fashion_mnist_photos_in_their_class(shop, settings):
    inputs, truth, config, _ = shop
    products = records(inputs, "products").set_index("product_id")
    planted = pd.read_json(truth / "products.json", lines=True)
    assert len(products) == config.products and set(products["category"]) == set(fashion_mnist.CLASSES)
    images, labels = fashion_mnist.load(fetch("fashion-mnist", settings.paths.cache))
    for row in planted.head(25).itertuples():
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(products.loc[row.product_id, "image"]))))
        assert np.array_equal(pixels, images[row.image_index])
        assert fashion_mnist.CLASSES[labels[row.image_index]] == products.loc[row.product_id, "category"]


def test_popularity_has_a_long_tail_and_views_follow_taste(clean_events, shop):
    truth = shop[1]
    views = clean_events[clean_events["event_type"] == "product_view"]
    share = views["product_id"].value_counts(normalize=True)
    assert share.head(len(share) // 10).sum() > 0.4  # top 10% of products: over 40% of views
    users = truth_lines(truth, "users").set_index("user_id")
    vectors = pd.read_json(truth / "products.json", lines=True).set_index("product_id")["vector"]
    sample = views.sample(3_000, random_state=0)
    taste = np.stack(users.loc[sample["user_id"], "taste"].to_numpy())
    viewed = np.stack(vectors.loc[sample["product_id"]].to_numpy())
    shuffled = np.random.default_rng(0).permutation(viewed)
    assert (taste * viewed).sum(1).mean() > (taste * shuffled).sum(1).mean() + 1.0  # CF has something to learn


@pytest.fixture(scope="module")
def views(clean_events, shop, params):
    """Product views, whether each led to an add_to_cart of that product in its session, and the planted
    probability that it would (funnel rate x device x channel x price effect)."""
    list_price = pd.read_json(shop[1] / "products.json", lines=True).set_index("product_id")["list_price"]
    views = clean_events[clean_events["event_type"] == "product_view"].copy()
    carts = clean_events[clean_events["event_type"] == "add_to_cart"].copy()
    keys = ["session_id", "product_id"]
    views["k"], carts["k"] = views.groupby(keys).cumcount(), carts.groupby(keys).cumcount()
    views = views.merge(carts[keys + ["k"]].assign(carted=1), on=keys + ["k"], how="left")
    views["carted"] = views["carted"].notna()
    views["effect"] = views["device"].map(params["device_effect"]) * views["channel"].map(params["channel_effect"])
    views["ratio"] = views["price"] / views["product_id"].map(list_price)
    views["expected"] = np.minimum(0.95, params["view_to_cart"] * views["effect"]
                                   * views["ratio"] ** params["price_elasticity"])
    return views


def test_funnel_rates_with_device_channel_and_price_effects(views, clean_events, params):
    assert views["carted"].mean() == pytest.approx(views["expected"].mean(), rel=0.08)
    by_device = views.groupby("device")[["carted", "expected"]].mean()
    assert by_device.loc["desktop", "carted"] > 1.3 * by_device.loc["mobile", "carted"]
    for device, row in by_device.iterrows():
        assert row["carted"] == pytest.approx(row["expected"], rel=0.15), device

    sessions = clean_events.groupby("session_id").agg(
        adds=("event_type", lambda t: (t == "add_to_cart").sum()),
        removes=("event_type", lambda t: (t == "remove_from_cart").sum()),
        checkout=("event_type", lambda t: (t == "begin_checkout").any()),
        purchase=("event_type", lambda t: (t == "purchase").any()),
        device=("device", "first"), channel=("channel", "first"))
    effect = sessions["device"].map(params["device_effect"]) * sessions["channel"].map(params["channel_effect"])
    with_cart = sessions[sessions["adds"] > sessions["removes"]]
    expected = np.minimum(0.95, params["cart_to_checkout"] * effect[with_cart.index]).mean()
    assert with_cart["checkout"].mean() == pytest.approx(expected, rel=0.1)
    checked_out = sessions[sessions["checkout"]]
    expected = np.minimum(0.95, params["checkout_to_purchase"] * effect[checked_out.index]).mean()
    assert checked_out["purchase"].mean() == pytest.approx(expected, rel=0.1)


def test_price_elasticity_measured_from_conversion(views, params):
    """Maximum-likelihood fit of carted ~ Poisson(exp(a + e * log(price / list price)) * device x channel)."""
    discounted = (views["ratio"] - 1).abs() > 0.02
    assert discounted.sum() > 2_000
    x, offset, y = np.log(views["ratio"]), np.log(views["effect"]), views["carted"].to_numpy()
    grid = np.linspace(-4, 0, 401)
    eta = grid[:, None] * x.to_numpy()[None, :] + offset.to_numpy()[None, :]
    intercept = np.log(y.sum() / np.exp(eta).sum(axis=1))
    likelihood = (y * (eta + intercept[:, None])).sum(axis=1) - y.sum()
    assert grid[likelihood.argmax()] == pytest.approx(params["price_elasticity"], abs=0.3)


def test_weekly_seasonality(clean_events, params):
    starts = clean_events.groupby("session_id")["event_time"].min().str[:10]
    daily = starts.value_counts().sort_index()
    weekday = pd.to_datetime(daily.index).dayofweek
    measured = daily.groupby(weekday).mean() / daily.mean()
    planted = np.array(params["weekly_normalized"])
    assert np.abs(measured.to_numpy() - planted).max() < 0.08
    assert np.corrcoef(measured.to_numpy(), planted)[0, 1] > 0.85


def test_churned_users_stop_and_fade_first(clean_events, shop):
    users = truth_lines(shop[1], "users")
    churned = users.dropna(subset=["churn_date"]).set_index("user_id")
    assert 0.1 < len(churned) / len(users) < 0.3
    start = pd.Timestamp(shop[2].start_date)
    churn = (pd.to_datetime(churned["churn_date"]) - start).dt.days
    join = (pd.to_datetime(churned["join_date"]) - start).dt.days
    events = clean_events[clean_events["user_id"].isin(churned.index)]
    day = (pd.to_datetime(events.groupby("session_id")["event_time"].min().str[:10]) - start).dt.days
    user = events.groupby("session_id")["user_id"].first()
    before = churn[user].to_numpy() - day.to_numpy()
    assert (before <= 0).sum() == 0  # nobody comes back after churning
    fading_days = (churn - np.maximum(churn - 14, join)).clip(lower=0).sum()
    earlier_days = (churn - 14 - np.maximum(np.maximum(churn - 28, join), 0)).clip(lower=0).sum()
    fading = ((before >= 1) & (before <= 14)).sum() / fading_days
    earlier = ((before >= 15) & (before <= 28)).sum() / earlier_days
    assert fading < 0.85 * earlier  # activity declines in the two weeks before churn


def test_repeat_purchases_bring_customers_back(clean_events, shop):
    config = shop[2]
    sessions = clean_events.groupby("session_id").agg(user=("user_id", "first"), day=("event_time", "min"),
                                                      bought=("event_type", lambda t: (t == "purchase").any()))
    sessions["day"] = pd.to_datetime(sessions["day"].str[:10])
    buys = sessions[sessions["bought"]].groupby("user")["day"].min()
    buys = buys[buys <= pd.Timestamp(config.start_date + timedelta(days=config.days - 22))]
    after = sessions.join(buys.rename("first_buy"), on="user", how="inner")
    gap = (after["day"] - after["first_buy"]).dt.days
    soon, later = gap.between(1, 7).sum(), gap.between(15, 21).sum()
    assert soon > 1.2 * later
    assert (sessions[sessions["bought"]].groupby("user").size() >= 2).sum() > 20


def test_fbt_pairs_are_bought_together_far_above_chance(shop):
    inputs, truth, *_ = shop
    orders = records(inputs, "orders")
    placed = orders[(orders["status"] == "placed") & orders["lines"].map(lambda x: isinstance(x, list))]
    baskets = [{line["product_id"] for line in lines} for lines in placed["lines"]]
    n = len(baskets)
    pairs = pd.read_json(truth / "fbt_pairs.json", lines=True)
    together = sum(sum(a in b and c in b for b in baskets) for a, c in zip(pairs["product_a"], pairs["product_b"]))
    counts = pd.Series([p for b in baskets for p in b]).value_counts()
    chance = sum(counts.get(a, 0) * counts.get(c, 0) / n for a, c in zip(pairs["product_a"], pairs["product_b"]))
    assert together > 30 and together > 8 * chance


def test_planted_anomalies_at_the_configured_share(shop):
    inputs, truth, *_ = shop
    orders = records(inputs, "orders")
    orders = orders[orders["order_id"].notna() & orders["lines"].map(lambda x: isinstance(x, list))]
    anomalies = truth_lines(truth, "anomalies")
    assert len(anomalies) / orders["order_id"].nunique() == pytest.approx(ANOMALY_SHARE, rel=0.25)
    assert set(anomalies["kind"]) == {"fraud_amount", "burst", "refund_abuse"}
    placed = orders[orders["status"] == "placed"].drop_duplicates("order_id").set_index("order_id")
    amount = placed["lines"].map(lambda lines: sum(
        line["quantity"] * (line["unit_price"] - line["discount"]) for line in lines
        if isinstance(line["quantity"], int) and line["quantity"] > 0))
    kind = anomalies.set_index("order_id")["kind"]
    fraud = amount[amount.index.isin(kind[kind == "fraud_amount"].index)]
    normal = amount[~amount.index.isin(kind.index)]
    assert fraud.median() > 5 * normal.median()
    bursts = placed.loc[placed.index.isin(kind[kind == "burst"].index)]
    gaps = pd.to_datetime(bursts["order_time"]).groupby(bursts["customer_id"]).agg(lambda t: t.max() - t.min())
    assert (gaps < pd.Timedelta(minutes=15)).all()
    refunded = set(orders.loc[orders["status"] == "refunded", "order_id"])
    assert set(kind[kind == "refund_abuse"].index) <= refunded


def test_status_updates_arrive_in_later_files(shop):
    orders = records(shop[0], "orders")
    orders = orders[orders["status"].isin(ORDER_STATUSES) & orders["order_id"].notna()]
    assert set(orders["status"]) == set(ORDER_STATUSES)
    folder_day = orders["_file"].str.extract(r"date=([\d-]+)")[0]
    first = folder_day.groupby(orders["order_id"]).transform("min")
    later = orders[orders["status"].isin(["shipped", "delivered", "refunded"])]
    assert (folder_day[later.index] > first[later.index]).mean() > 0.95


def test_reviews_are_real_texts_whose_rating_follows_taste(shop, settings):
    inputs, truth, *_ = shop
    reviews = records(inputs, "reviews")
    reviews = reviews[reviews["rating"].map(lambda r: isinstance(r, int)) & reviews["text"].notna()]
    texts = clothing_reviews.texts_by_rating(fetch("womens-clothing-reviews", settings.paths.cache))
    assert all(text in {t for _, t in texts[rating]} for rating, text in zip(reviews["rating"], reviews["text"]))
    users = truth_lines(truth, "users").set_index("user_id")["taste"]
    vectors = pd.read_json(truth / "products.json", lines=True).set_index("product_id")["vector"]
    affinity = [np.dot(users[u], vectors[p]) for u, p in zip(reviews["user_id"], reviews["product_id"])]
    assert len(reviews) > 100 and np.corrcoef(affinity, reviews["rating"].astype(float))[0, 1] > 0.3


def test_corruption_in_the_files_matches_the_truth_and_the_rates(shop):
    inputs, truth, config, manifest = shop
    report = truth_lines(truth, "corrupt")
    clicks = report[report["source"] == "clickstream"]
    total = manifest["counts"]["clickstream_records"]
    for kind in RECORD_CORRUPTIONS:
        rate = (clicks["kind"] == kind).sum() / total
        assert rate == pytest.approx(config.corruption[kind], rel=0.35), kind
    lines = lines_of(inputs, "clickstream")
    found = {kind: set() for kind in RECORD_CORRUPTIONS}
    end = str(config.start_date + timedelta(days=config.days + 29))  # planted future times are 30+ days out
    previous = None
    for f, n, text in lines:
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            found["malformed_json"].add((f, n))
            continue
        checks = {
            "missing_id": "event_id" not in record,
            "unknown_event_type": record.get("event_type") not in EVENT_TYPES,
            "negative_quantity": isinstance(record.get("quantity"), int) and record["quantity"] < 0,
            "negative_price": isinstance(record.get("price"), float) and record["price"] < 0,
            "future_timestamp": isinstance(record.get("event_time"), str) and record["event_time"] > end,
            "wrong_type": not isinstance(record.get("event_time"), str) or isinstance(record.get("price"), str)
            or isinstance(record.get("quantity"), str),
            "duplicate_event": text == previous,
        }
        found.update({kind: found[kind] | {(f, n)} for kind, hit in checks.items() if hit})
        previous = text
    for kind in RECORD_CORRUPTIONS:
        planted = set(zip(clicks.loc[clicks["kind"] == kind, "file"], clicks.loc[clicks["kind"] == kind, "line"]))
        assert found[kind] == planted, kind
    copies = report[report["kind"] == "duplicate_file"]
    assert len(copies) >= 1
    for copy, original in zip(copies["file"], copies["record_id"]):
        assert (inputs / copy).read_bytes() == (inputs / original).read_bytes()
