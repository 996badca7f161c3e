"""ALS benchmark: MovieLens 100k ranking quality and training cost at 1M/5M interactions.

1. MovieLens 100k with Recommenders' protocol: a stratified 75/25 split of each user's ratings
   (``python_stratified_split`` semantics), top 10 with training items removed, metrics as in
   Recommenders' ``python_evaluation`` (MAP = its ``map``, the "MAP" of its published table).
   Ratings are implicit feedback (confidence ``1 + alpha * rating``). shoplake's ALS is tuned
   by NDCG@10 on a validation split carved out of training; the popularity baseline and the
   ``implicit`` library's ALS (same rank and iterations, its own reg/alpha tuned on the same
   validation split) are trained on the same split and scored by the same Spark code.
2. Synthetic latent-factor interactions (1M and 5M rows): training time and peak memory of
   shoplake's ALS (Spark ``local[2]``) and ``implicit`` with the same rank and iterations.
   ``implicit`` trains in a fresh child process so its peak RSS is its own.

Benchmark-only dependency: ``pip install implicit==0.7.3``. Run: ``.venv/bin/python bench/als.py``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

K = 10
SEED = 42
# Recommenders' published MovieLens 100k NDCG@10, for the table's reference column
REFERENCE_NDCG = {"Spark ALS": 0.0442, "SAR": 0.3825, "NCF": 0.3961, "LightGCN": 0.4198, "BPR": 0.4420,
                  "BiVAE": 0.4751}
# shoplake's grid (frequency-scaled regParam, as Spark's ALS-WR) and implicit's (plain L2)
ALS_GRID = dict(rank=[64, 128], reg_param=[0.1, 0.2, 0.3], alpha=[0.5, 1.0, 2.0], max_iter=[15])
IMPLICIT_GRID = dict(regularization=[5.0, 20.0, 50.0], alpha=[0.5, 1.0, 2.0])
SIZES = {"1m": 1_000_000, "5m": 5_000_000}
SCALE_RANK, SCALE_ITERATIONS = 64, 10


# ---- implicit, run in a child process -------------------------------------------------------

def _implicit_child(users, items, strength, shape, rank, iterations, regularization, alpha, top_n):
    """Fit implicit's ALS on confidence ``1 + alpha * strength``; seconds, peak RSS (MiB), top-N."""
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    confidence = sp.csr_matrix((1.0 + alpha * strength, (users, items)), shape=shape, dtype=np.float32)
    model = AlternatingLeastSquares(factors=rank, regularization=regularization, iterations=iterations,
                                    random_state=SEED)
    with threadpool_limits(1, "blas"):  # implicit's own threads do the work
        started = time.perf_counter()
        model.fit(confidence, show_progress=False)
        seconds = time.perf_counter() - started
        recs = None
        if top_n:
            rows = np.unique(users)
            ids, scores = model.recommend(rows, confidence[rows], N=top_n, filter_already_liked_items=True)
            recs = (rows, ids, scores)
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, recs


def run_implicit(frame: pd.DataFrame, shape, rank, iterations, regularization, alpha, top_n=0):
    """:func:`_implicit_child` in a fresh process (spawned, so no Spark state is shared)."""
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


# ---- Spark side -----------------------------------------------------------------------------

def bench_session():
    """A local[2] session tuned for ALS on one machine: Kryo, 2 ALS blocks, few shuffle partitions."""
    from shoplake.config import load_config
    from shoplake.session import build_session

    settings = load_config("local", overrides={
        "spark.master": "local[2]", "spark.driver_memory": "6g", "spark.shuffle_partitions": 4, "spark.ui": False,
        "spark.conf": {"spark.serializer": "org.apache.spark.serializer.KryoSerializer",
                       "spark.default.parallelism": "2", "spark.ui.showConsoleProgress": "false"},
        "logging.spark_level": "ERROR",
    })
    return settings, build_session(settings)


class PeakRss:
    """Sample the summed RSS of the JVM children of this process while the block runs (MiB)."""

    def __enter__(self):
        import psutil

        self._procs = [p for p in psutil.Process().children(recursive=True) if "java" in p.name()]
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(p.memory_info().rss for p in self._procs) / 2**20)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed_fit(train, params):
    from shoplake.ml.als import fit_als

    with PeakRss() as rss:
        started = time.perf_counter()
        model = fit_als(train, params)
        seconds = time.perf_counter() - started
    return model, seconds, rss.peak


# ---- 1. MovieLens 100k --------------------------------------------------------------------

def movielens(spark, settings):
    from shoplake.datasets import movielens as ml
    from shoplake.datasets.fetch import fetch
    from shoplake.ml.als import RATING, AlsParams, recommend_als
    from shoplake.ml.evaluation import evaluate_recommendations
    from shoplake.ml.id_mapping import USER_INDEX, IdMapping
    from shoplake.ml.popularity import item_popularity, recommend_popular
    from shoplake.ml.splits import stratified_split
    from shoplake.ml.tuning import param_grid, tune_als

    ratings = spark.createDataFrame(ml.to_ratings(fetch("movielens-100k", settings.paths.cache))
                                    [["user_id", "item_id", "rating"]].rename(columns={"rating": RATING}))
    mapping = IdMapping.fit(ratings, "user_id", "item_id")
    indexed = mapping.encode(ratings).cache()
    train, test = (df.cache() for df in stratified_split(indexed, 0.75, seed=SEED))
    users = test.select(USER_INDEX).distinct()
    print(f"ml-100k: {train.count()} train / {test.count()} test ratings", file=sys.stderr)

    started = time.perf_counter()
    best, trials = tune_als(train, param_grid(AlsParams(seed=SEED), **ALS_GRID), K, method="stratified", seed=SEED)
    print(f"shoplake tuning: {len(trials)} trials in {time.perf_counter() - started:.0f}s, best {best}", file=sys.stderr)
    model, als_seconds, als_rss = timed_fit(train, best)
    results = {"shoplake-als": (evaluate_recommendations(recommend_als(model, users, train, K), train, test, K),
                                als_seconds, als_rss, best)}
    results["popularity"] = (evaluate_recommendations(recommend_popular(item_popularity(train), users, train, K),
                                                      train, test, K), None, None, None)

    shape = (mapping.users.count(), mapping.items.count())
    fit_part, validation = (df.cache() for df in stratified_split(train, 0.75, seed=SEED))
    fit_pd, train_pd = fit_part.toPandas(), train.toPandas()
    scored = []
    for regularization in IMPLICIT_GRID["regularization"]:
        for alpha in IMPLICIT_GRID["alpha"]:
            _, _, recs = run_implicit(fit_pd, shape, best.rank, best.max_iter, regularization, alpha, K)
            ndcg = evaluate_recommendations(implicit_recs(spark, recs), fit_part, validation, K)["ndcg_at_k"]
            scored.append((ndcg, regularization, alpha))
    _, regularization, alpha = max(scored)
    seconds, rss, recs = run_implicit(train_pd, shape, best.rank, best.max_iter, regularization, alpha, K)
    results["implicit-als"] = (evaluate_recommendations(implicit_recs(spark, recs), train, test, K), seconds, rss,
                               f"factors={best.rank}, iterations={best.max_iter}, regularization={regularization}, "
                               f"alpha={alpha}")
    return results


# ---- 2. synthetic scale -------------------------------------------------------------------

def synthetic_interactions(rows: int, seed: int = SEED) -> pd.DataFrame:
    """``rows`` distinct (user, item) pairs from a topic model: users favour 3 of 32 topics, items
    are Zipf-popular within their topic; ``strength`` is the number of events of the pair."""
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


def scale(spark, label: str, rows: int):
    from shoplake.ml.als import AlsParams

    frame = synthetic_interactions(rows)
    shape = (int(frame.user_idx.max()) + 1, int(frame.item_idx.max()) + 1)
    path = Path(f"/tmp/shoplake-bench-als-{label}.parquet")
    frame.to_parquet(path, index=False)
    train = spark.read.parquet(str(path)).repartition(2).cache()
    train.count()
    params = AlsParams(rank=SCALE_RANK, max_iter=SCALE_ITERATIONS, reg_param=0.1, alpha=1.0, seed=SEED)
    _, als_seconds, als_rss = timed_fit(train, params)
    train.unpersist()
    regularization = params.reg_param * len(frame) / shape[0]  # ALS-WR's average per-user weight
    seconds, rss, _ = run_implicit(frame, shape, SCALE_RANK, SCALE_ITERATIONS, regularization, params.alpha)
    print(f"synthetic-{label}: {len(frame)} rows, {shape[0]} users, {shape[1]} items", file=sys.stderr)
    return {"shoplake-als": (None, als_seconds, als_rss, params), "implicit-als": (None, seconds, rss, None)}


# ---- report -------------------------------------------------------------------------------

def print_table(parts: dict[str, dict]) -> None:
    header = (f"{'data':<14}{'model':<14}{'train_s':>9}{'vs_impl':>9}{'peak_MiB':>10}{'prec@10':>9}{'rec@10':>8}"
              f"{'ndcg@10':>9}{'map':>8}{'map@10':>8}{'cover':>7}")
    print(header)
    print("-" * len(header))
    for part, results in parts.items():
        implicit_seconds = results["implicit-als"][1]
        for model, (metrics, seconds, rss, _) in results.items():
            ratio = f"{seconds / implicit_seconds:.2f}x" if seconds else ""
            cells = (f"{seconds:9.2f}{ratio:>9}{rss:10.0f}" if seconds else f"{'':9}{'':9}{'':10}")
            scores = ("".join(f"{metrics[m]:{w}.4f}" for m, w in
                              [("precision_at_k", 9), ("recall_at_k", 8), ("ndcg_at_k", 9), ("map", 8),
                               ("map_at_k", 8)]) + f"{metrics['coverage']:7.3f}") if metrics else ""
            print(f"{part:<14}{model:<14}{cells}{scores}")
    print("reference NDCG@10 (Recommenders, ML-100k): " + ", ".join(f"{k} {v}" for k, v in REFERENCE_NDCG.items()))
    for part, results in parts.items():
        for model, (*_, params) in results.items():
            if params:
                print(f"{part} {model}: {params}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,5m", help="synthetic sizes to run, of: 1m, 5m (default: both)")
    args = parser.parse_args()
    settings, spark = bench_session()
    parts = {"ml-100k": movielens(spark, settings)}
    for label in [s for s in args.sizes.split(",") if s]:
        parts[f"synthetic-{label}"] = scale(spark, label, SIZES[label])
    print_table(parts)
    ml100k = parts["ml-100k"]
    als, pop, imp = (ml100k[m][0] for m in ("shoplake-als", "popularity", "implicit-als"))
    print(f"BENCH als.ml100k.ndcg10 {als['ndcg_at_k']:.4f} score")
    print(f"BENCH als.ml100k.precision10 {als['precision_at_k']:.4f} score")
    print(f"BENCH als.ml100k.map {als['map']:.4f} score")
    print(f"BENCH als.ml100k.popularity_ndcg10 {pop['ndcg_at_k']:.4f} score")
    print(f"BENCH als.ml100k.implicit_ndcg10 {imp['ndcg_at_k']:.4f} score")
    print(f"BENCH als.ml100k.train_time_vs_implicit {ml100k['shoplake-als'][1] / ml100k['implicit-als'][1]:.2f} ratio")
    if "synthetic-5m" in parts:
        big = parts["synthetic-5m"]
        print(f"BENCH als.5m.train_time_vs_implicit {big['shoplake-als'][1] / big['implicit-als'][1]:.2f} ratio")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
