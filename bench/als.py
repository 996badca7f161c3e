"""Recommender benchmark: ranking quality on MovieLens 100k and the demo shop, ALS training cost at 1M/5M.

1. MovieLens 100k under two protocols: Recommenders' stratified 75/25 split of each user's ratings
   (``python_stratified_split`` semantics) and the harder, more realistic chronological one (each
   user's latest 20% is the test). Top 10 with training items removed, metrics as in Recommenders'
   ``python_evaluation`` (MAP = its ``map``, the "MAP" of its published table). Ratings are implicit
   feedback with confidence ``1 + alpha * log(1 + rating)``. shoplake's recommender is chosen
   exactly as ``train_als`` chooses it (:func:`shoplake.ml.recommend.recommender.choose_and_test`: ALS with
   and without recency weighting, blended with recent popularity, item co-occurrence, by NDCG@10
   on a validation split carved out of training); ALS alone with the chosen parameters is shown
   too. The popularity baseline and the ``implicit`` library's ALS (same confidence, rank and
   iterations, its own regularization/alpha tuned on the same validation split) are trained on
   the same split and scored by the same Spark code.
2. The demo shop of ``make run`` (the ``small`` preset over 120 days, seed 42, fixed dates): its
   ``gold.user_item_interactions`` under the default chronological split, shoplake's recommender
   with ``conf/local.yaml``'s ``als`` section against popularity (bar: 1.05 times popularity).
3. Synthetic latent-factor interactions (1M and 5M rows): training time, CPU time and peak RSS of
   shoplake's ALS (Spark ``local[2]``, 2 ALS blocks, Kryo) and ``implicit`` (its default
   conjugate-gradient solver, all cores) with the rank and iterations chosen in part 1.
   ``implicit`` trains in a fresh child process so its peak RSS is its own; Spark's is the JVM's.

Benchmark-only dependency: ``pip install implicit==0.7.3``. Run: ``.venv/bin/python bench/als.py``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import SHOP_START, baseline_line, bench_line, require  # noqa: E402

require("implicit")  # the baseline, first imported after minutes of Spark work

K = 10
SEED = 42
REFERENCE_NDCG = {"Spark ALS": 0.0442, "SAR": 0.3825, "NCF": 0.3961, "LightGCN": 0.4198, "BPR": 0.4420,
                  "BiVAE": 0.4751}  # Recommenders' published MovieLens 100k table
# shoplake: regParam is frequency-scaled (Spark's ALS-WR); implicit: plain L2 regularization
ML_CONFIG = dict(k=K, ranks=(32, 64), reg_params=(0.1, 0.3), alphas=(1.0,), max_iter=15, half_lives_days=(0.0, 90.0),
                 popularity_weights=(0.25, 0.5), families=("als", "als+popularity", "cooccurrence"), seed=SEED)
PROTOCOLS = {"stratified": 0.75, "chrono": 0.8}  # the share of each user's ratings that trains
DEMO_DAYS = 120
IMPLICIT_GRID = dict(regularization=[5.0, 20.0, 50.0], alpha=[0.5, 1.0, 2.0])
SIZES = {"1m": 1_000_000, "5m": 5_000_000}


class Timing:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one training."""

    def __init__(self, wall: float, cpu: float, rss: float):
        self.wall, self.cpu, self.rss = wall, cpu, rss


# ---- implicit, in a spawned child process ---------------------------------------------------

def _implicit_child(users, items, strength, shape, rank, iterations, regularization, alpha, top_n):
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    confidence = sp.csr_matrix((1.0 + alpha * np.log1p(strength), (users, items)), shape=shape, dtype=np.float32)
    model = AlternatingLeastSquares(factors=rank, regularization=regularization, iterations=iterations,
                                    random_state=SEED)
    with threadpool_limits(1, "blas"):  # implicit's own threads do the work
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        model.fit(confidence, show_progress=False)
        wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
        recs = None
        if top_n:
            rows = np.unique(users)
            recs = (rows, *model.recommend(rows, confidence[rows], N=top_n, filter_already_liked_items=True))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Timing(wall, cpu, after.ru_maxrss / 1024), recs


def run_implicit(frame: pd.DataFrame, shape, rank, iterations, regularization, alpha, top_n=0):
    """Fit implicit's ALS on ``(user_idx, item_idx, strength)`` in a fresh process: Timing, top-N."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # implicit's advice; read when the child loads BLAS
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_implicit_child, (frame.user_idx.to_numpy(), frame.item_idx.to_numpy(),
                                            frame.strength.to_numpy(), shape, rank, iterations,
                                            regularization, alpha, top_n))


def implicit_recs(spark, recs):
    """implicit's (rows, ids, scores) as a Spark ``(user_idx, item_idx, score, rank)`` DataFrame."""
    rows, ids, scores = recs
    frame = pd.DataFrame({"user_idx": np.repeat(rows, ids.shape[1]).astype("int32"),
                          "item_idx": ids.ravel().astype("int32"), "score": scores.ravel().astype("float64"),
                          "rank": np.tile(np.arange(1, ids.shape[1] + 1), len(rows)).astype("int32")})
    return spark.createDataFrame(frame[frame.item_idx >= 0])


# ---- Spark ---------------------------------------------------------------------------------

def bench_session():
    """A local[2] session for ALS on one machine: Kryo, 2 ALS blocks (one per core), 4 shuffle
    partitions, and a checkpoint directory so ALS cuts its lineage every 10 iterations."""
    from shoplake.config import load_config
    from shoplake.session import build_session

    settings = load_config("local", overrides={
        "spark.master": "local[2]", "spark.driver_memory": "3g", "spark.shuffle_partitions": 4, "spark.ui": False,
        "spark.conf": {"spark.serializer": "org.apache.spark.serializer.KryoSerializer",
                       "spark.default.parallelism": "2", "spark.ui.showConsoleProgress": "false",
                       "spark.checkpoint.dir": tempfile.mkdtemp(prefix="shoplake-bench-checkpoints-")},
        "logging.spark_level": "ERROR",
    })
    return settings, build_session(settings)


def timed_fit(train, params, half_life_days=0.0):
    """Fit shoplake's ALS, sampling the JVM's RSS and CPU time while it trains."""
    import psutil

    from shoplake.ml.recommend.als import fit_als

    jvm = [p for p in psutil.Process().children(recursive=True) if "java" in p.name()]
    peak, stop = [0.0], threading.Event()

    def sample():
        while not stop.wait(0.1):
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in jvm) / 2**20)

    sampler = threading.Thread(target=sample, daemon=True)
    cpu_before = sum(sum(p.cpu_times()[:2]) for p in jvm)
    sampler.start()
    started = time.perf_counter()
    model = fit_als(train, params, half_life_days)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    return model, Timing(wall, sum(sum(p.cpu_times()[:2]) for p in jvm) - cpu_before, peak[0])


# ---- 1. MovieLens 100k, 2. the demo shop -------------------------------------------------------

def shoplake_vs_popularity(train, test, config):
    """The recommender chosen as ``train_als`` chooses it, ALS alone and popularity on one split."""
    from shoplake.ml.recommend.recommender import choose_and_test

    started = time.perf_counter()
    choice, metrics = choose_and_test(train, test, config)
    log(f"shoplake: {len(choice.trials)} candidates in {time.perf_counter() - started:.0f}s; "
        f"chose {choice.recipe.describe()}")
    scores = {name: {m: metrics[f"{name}_{m}"] for m, _ in METRICS} for name in ("model", "als", "popularity")}
    model, timing = timed_fit(train, choice.best_als.als, choice.best_als.half_life_days)
    return choice, {"shoplake": (scores["model"], None, choice.recipe.describe()),
                    "shoplake-als": (scores["als"], timing, choice.best_als.als),
                    "popularity": (scores["popularity"], None, None)}


def movielens(spark, settings, protocol: str):
    """Metrics, timings and parameters of shoplake, its ALS, popularity and implicit on one protocol's split."""
    from shoplake.datasets import movielens as ml
    from shoplake.datasets.fetch import fetch
    from shoplake.ml.recommend.evaluation import evaluate_recommendations
    from shoplake.ml.recommend.id_mapping import IdMapping
    from shoplake.ml.recommend.recommender import RecommenderConfig, index_interactions
    from shoplake.ml.recommend.holdout import split

    ratio = PROTOCOLS[protocol]
    ratings = spark.createDataFrame(ml.to_ratings(fetch("movielens-100k", settings.paths.cache)))
    mapping = IdMapping.fit(ratings, "user_id", "item_id")
    indexed = index_interactions(ratings, mapping, "rating", "timestamp")
    train, test = (df.cache() for df in split(indexed, protocol, ratio, SEED))
    log(f"ml-100k {protocol}: {train.count()} train / {test.count()} test ratings")
    config = RecommenderConfig(split=protocol, train_ratio=ratio, validation_ratio=ratio, **ML_CONFIG)
    choice, results = shoplake_vs_popularity(train, test, config)

    best = choice.best_als.als
    shape = (mapping.users.count(), mapping.items.count())
    fit_part, validation = (df.cache() for df in split(train, protocol, ratio, SEED))
    fit_frame = fit_part.toPandas()
    scored = []
    for regularization in IMPLICIT_GRID["regularization"]:
        for alpha in IMPLICIT_GRID["alpha"]:
            _, recs = run_implicit(fit_frame, shape, best.rank, best.max_iter, regularization, alpha, K)
            metrics = evaluate_recommendations(implicit_recs(spark, recs), fit_part, validation, K)
            scored.append((metrics["ndcg_at_k"], regularization, alpha))
    _, regularization, alpha = max(scored)
    timing, recs = run_implicit(train.toPandas(), shape, best.rank, best.max_iter, regularization, alpha, K)
    results["implicit-als"] = (evaluate_recommendations(implicit_recs(spark, recs), train, test, K), timing,
                               f"factors={best.rank}, iterations={best.max_iter}, "
                               f"regularization={regularization}, alpha={alpha}")
    return results


def demo_shop(spark, settings, folder: Path):
    """shoplake's recommender and popularity on the demo shop's interactions, chronological split."""
    from dataclasses import replace

    from shoplake.catalog import SILVER_EVENTS
    from shoplake.datasets.generator import generate, make_config
    from shoplake.gold.transforms import user_item_interactions
    from shoplake.ingest.load_clickstream import ingest_clickstream
    from shoplake.lake import open_lake
    from shoplake.ml.recommend.id_mapping import IdMapping
    from shoplake.ml.recommend.recommender import RecommenderConfig, index_interactions
    from shoplake.ml.recommend.holdout import split

    config = make_config("small", days=DEMO_DAYS, seed=SEED, start_date=SHOP_START)
    generate(spark, config, str(folder / "inputs"), str(folder / "truth"), settings.paths.cache)
    shop = replace(settings, lake=replace(settings.lake, root=str(folder / "lake")),
                   paths=replace(settings.paths, inputs=str(folder / "inputs")))
    lake = open_lake(spark, shop)
    ingest_clickstream(lake, shop, b"bench-als")
    interactions = user_item_interactions(lake.read(SILVER_EVENTS), shop.gold.interaction_weights).cache()
    mapping = IdMapping.fit(interactions, "user_id", "product_id")
    recommender = replace(RecommenderConfig.from_settings(shop.als), k=K)
    train, test = (df.cache() for df in split(index_interactions(interactions, mapping), recommender.split,
                                              recommender.train_ratio, SEED))
    log(f"demo shop: {train.count()} train / {test.count()} test interactions")
    _, results = shoplake_vs_popularity(train, test, recommender)
    return results


# ---- 2. synthetic scale -----------------------------------------------------------------------

def synthetic_interactions(rows: int, seed: int = SEED) -> pd.DataFrame:
    """``rows`` distinct (user, item) pairs from a topic model: each user favours 3 of 32 topics,
    items are Zipf-popular within their topic; ``strength`` is the number of events of the pair."""
    rng = np.random.default_rng(seed)
    n_users, n_items, topics = rows // 40, max(2_000, rows // 200), 32
    item_topic = rng.integers(0, topics, n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    by_topic = [np.flatnonzero(item_topic == t) for t in range(topics)]
    cumulative = [np.cumsum(popularity[items]) / popularity[items].sum() for items in by_topic]
    events = int(rows * 1.6)
    activity = rng.lognormal(0.0, 1.0, n_users)
    user = rng.choice(n_users, events, p=activity / activity.sum())
    favourite = rng.integers(0, topics, (n_users, 3))
    topic = np.where(rng.random(events) < 0.8, favourite[user, rng.integers(0, 3, events)],
                     rng.integers(0, topics, events))
    item = np.empty(events, dtype=np.int64)
    for t in range(topics):
        chosen = topic == t
        item[chosen] = by_topic[t][np.searchsorted(cumulative[t], rng.random(chosen.sum()))]
    pairs, counts = np.unique(user * n_items + item, return_counts=True)
    keep = rng.permutation(len(pairs))[:rows]
    return pd.DataFrame({"user_idx": (pairs[keep] // n_items).astype("int32"),
                         "item_idx": (pairs[keep] % n_items).astype("int32"),
                         "strength": counts[keep].astype("float64")})


def scale(spark, rows: int, params):
    """Training cost of both libraries on ``rows`` synthetic interactions, with shoplake's ``params``."""
    frame = synthetic_interactions(rows)
    shape = (int(frame.user_idx.max()) + 1, int(frame.item_idx.max()) + 1)
    path = Path(f"/tmp/shoplake-bench-als-{rows}.parquet")
    frame.to_parquet(path, index=False)
    train = spark.read.parquet(str(path)).repartition(2).cache()
    log(f"synthetic: {train.count()} rows, {shape[0]} users, {shape[1]} items")
    _, als_timing = timed_fit(train, params)
    train.unpersist()
    path.unlink()
    regularization = params.reg_param * rows / shape[0]  # ALS-WR's weight for an average user
    implicit_timing, _ = run_implicit(frame, shape, params.rank, params.max_iter, regularization, params.alpha)
    return {"shoplake-als": (None, als_timing, params),
            "implicit-als": (None, implicit_timing, f"factors={params.rank}, iterations={params.max_iter}, "
                                                    f"regularization={regularization:.1f}, alpha={params.alpha}")}


# ---- report -----------------------------------------------------------------------------------

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


METRICS = [("precision_at_k", "prec@10"), ("recall_at_k", "rec@10"), ("ndcg_at_k", "ndcg@10"), ("map", "map"),
           ("map_at_k", "map@10"), ("coverage", "cover")]


def print_table(parts: dict[str, dict]) -> None:
    """One table: timings against implicit, then the ranking metrics where there are any."""
    header = f"{'data':<16}{'model':<14}{'train_s':>9}{'x_impl':>8}{'cpu_s':>9}{'x_impl':>8}{'peak_MiB':>10}"
    header += "".join(f"{label:>9}" for _, label in METRICS)
    print(header)
    print("-" * len(header))
    for part, results in parts.items():
        reference = results["implicit-als"][1] if "implicit-als" in results else None
        for model, (metrics, timing, _) in results.items():
            row = f"{part:<16}{model:<14}"
            if timing and reference:
                row += (f"{timing.wall:9.2f}{timing.wall / reference.wall:7.1f}x{timing.cpu:9.2f}"
                        f"{timing.cpu / reference.cpu:7.1f}x{timing.rss:10.0f}")
            else:
                row += " " * 44
            if metrics:
                row += "".join(f"{metrics[name]:9.4f}" for name, _ in METRICS)
            print(row)
    print("reference NDCG@10, Recommenders' ML-100k table: " + ", ".join(f"{k} {v}" for k, v in REFERENCE_NDCG.items()))
    print("train_s: wall seconds of fit; cpu_s: CPU seconds of the training process (robust to other load on the "
          "machine); peak_MiB: RSS of Spark's JVM (3g heap) / of implicit's child process")
    for part, results in parts.items():
        for model, (*_, params) in results.items():
            if params:
                print(f"{part} {model}: {params}")


def time_vs_implicit(part: dict) -> float:
    """Wall time of shoplake's ALS training over implicit's, on one data set."""
    return part["shoplake-als"][1].wall / part["implicit-als"][1].wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,5m", help="synthetic sizes, comma-separated, of: 1m, 5m")
    args = parser.parse_args()
    settings, spark = bench_session()
    parts = {"ml-100k": movielens(spark, settings, "stratified"), "ml-100k/chrono": movielens(spark, settings, "chrono")}
    with tempfile.TemporaryDirectory(prefix="shoplake-bench-als-") as folder:
        parts["demo/chrono"] = demo_shop(spark, settings, Path(folder))
    best = parts["ml-100k"]["shoplake-als"][2]
    for label in filter(None, args.sizes.split(",")):
        parts[f"synthetic-{label}"] = scale(spark, SIZES[label], best)
    spark.stop()
    print_table(parts)
    ml100k, chrono, demo = parts["ml-100k"], parts["ml-100k/chrono"], parts["demo/chrono"]
    ours, popular, implicit = (ml100k[name][0] for name in ("shoplake", "popularity", "implicit-als"))
    demo_ours, demo_popular = demo["shoplake"][0]["ndcg_at_k"], demo["popularity"][0]["ndcg_at_k"]
    lines = [bench_line("als.ml100k.ndcg10", ours["ndcg_at_k"], "score"),
             baseline_line("als.ml100k.ndcg10", implicit["ndcg_at_k"], "score (implicit ALS)"),
             bench_line("als.ml100k.precision10", ours["precision_at_k"], "score"),
             baseline_line("als.ml100k.precision10", implicit["precision_at_k"], "score (implicit ALS)"),
             bench_line("als.ml100k.map", ours["map"], "score"),
             baseline_line("als.ml100k.map", implicit["map"], "score (implicit ALS)"),
             bench_line("als.ml100k.popularity_ndcg10", popular["ndcg_at_k"], "score"),
             bench_line("als.ml100k.implicit_ndcg10", implicit["ndcg_at_k"], "score"),
             bench_line("als.ml100k.train_time_vs_implicit", time_vs_implicit(ml100k), "ratio"),
             bench_line("als.ml100k.chrono_ndcg10", chrono["shoplake"][0]["ndcg_at_k"], "score"),
             baseline_line("als.ml100k.chrono_ndcg10", chrono["popularity"][0]["ndcg_at_k"], "score (popularity)"),
             baseline_line("als.ml100k.chrono_ndcg10", chrono["implicit-als"][0]["ndcg_at_k"], "score (implicit ALS)"),
             bench_line("als.demo.chrono_ndcg10", demo_ours, "score"),
             baseline_line("als.demo.chrono_ndcg10", demo_popular, "score (popularity)"),
             bench_line("als.demo.chrono_ndcg10_vs_popularity", demo_ours / demo_popular, "ratio")]
    if "synthetic-5m" in parts:
        lines.append(bench_line("als.5m.train_time_vs_implicit", time_vs_implicit(parts["synthetic-5m"]), "ratio"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
