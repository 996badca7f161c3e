"""A shop's own order history through a source mapping, beside the same orders already in the contract's shape.

Protocol: build an order history shaped like the public CDNOW one (one whitespace-separated row per
order: customer id, day as ``YYYYMMDD``, items, amount; about 3% of orders free), 70,000 orders of
23,500 customers over 18 months by default. Write it twice: as that text file, ingested through
``ingest.sources.orders`` (CSV, parsed days in a time zone, a constant status, derived order ids, one
line per order from items and amount), and as the contract's JSON lines with the same ids, times and
lines, ingested as they are. Each into a fresh lake, alternating, best of ``--rounds``; then compare
silver: the same orders, and revenue equal to the file's total to the cent.

    python bench/ingest_mapping.py [--orders 70000] [--rounds 2] [--env local]

Ends with ``BENCH ingest_mapping.seconds`` (with its ``BASELINE``: the contract's JSON lines),
``BENCH ingest_mapping.vs_contract_json`` (JSON seconds / mapped seconds) and
``BENCH ingest_mapping.revenue_error_cents`` (must be 0).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import functions as F  # noqa: E402

from bench.support import baseline_line, bench_line  # noqa: E402
from shoplake.catalog import SILVER_ORDER_LINES, SILVER_ORDERS  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.ingest.load_orders import ingest_orders  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.session import build_session  # noqa: E402

KEY = b"bench-mapping-pseudonym-key"
FIRST_DAY = date(1997, 1, 1)
DAYS = 548  # 18 months
ZONE = "America/New_York"
MAPPING = {
    "format": "csv",
    "csv": {"delimiter": "whitespace", "header": False, "columns": ["customer", "day", "items", "amount"]},
    "columns": {
        "customer_id": "customer",
        "order_time": {"column": "day", "format": "yyyyMMdd", "time_zone": ZONE},
        "updated_at": {"column": "day", "format": "yyyyMMdd", "time_zone": ZONE},
        "status": {"constant": "delivered"},
        "order_id": {"derive": ["customer", "day", "items", "amount"]},
    },
    "lines": {"per": "order", "product_id": {"constant": "all"}, "quantity": "items", "amount": "amount"},
}


def order_history(orders: int, customers: int, seed: int = 7) -> list[tuple[str, str, int, str]]:
    """``(customer, YYYYMMDD, items, amount)`` rows, distinct, sorted by customer and day as CDNOW is."""
    rng = random.Random(seed)
    rows = set()
    while len(rows) < orders:
        items = min(1 + int(rng.expovariate(0.6)), 40)
        amount = 0.0 if rng.random() < 0.03 else round(items * rng.uniform(8, 20), 2)
        day = FIRST_DAY + timedelta(days=min(int(rng.expovariate(1 / 120)), DAYS - 1))
        rows.add((f"{rng.randrange(1, customers + 1):05d}", day.strftime("%Y%m%d"), items, f"{amount:.2f}"))
    return sorted(rows)


def contract_record(customer: str, day: str, items: int, amount: str) -> dict:
    """The contract's JSON record of one row: what the mapping should make of it."""
    order_id = hashlib.sha256("\u001f".join((customer, day, str(items), amount)).encode()).hexdigest()[:32]
    local = datetime.strptime(day, "%Y%m%d").replace(tzinfo=ZoneInfo(ZONE))
    at = local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"order_id": order_id, "customer_id": customer, "order_time": at, "updated_at": at, "status": "delivered",
            "lines": [{"product_id": "all", "quantity": items, "unit_price": float(amount) / items}]}


def ingest(spark, settings, inputs: Path, lake_root: Path, sources: dict) -> float:
    """Seconds to ingest ``inputs`` into a fresh lake at ``lake_root`` with ``sources`` as the mapping."""
    shutil.rmtree(lake_root, ignore_errors=True)
    cfg = replace(settings, lake=replace(settings.lake, root=str(lake_root)),
                  paths=replace(settings.paths, inputs=str(inputs)),
                  ingest=replace(settings.ingest, sources=sources))
    started = time.monotonic()
    ingest_orders(open_lake(spark, cfg), cfg, KEY)
    return time.monotonic() - started


def silver_figures(spark, settings, lake_root: Path) -> tuple[int, float]:
    """Orders in silver and their revenue (quantity times unit price, summed)."""
    lake = open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(lake_root))))
    revenue = lake.read(SILVER_ORDER_LINES).agg(F.sum(F.col("quantity") * F.col("unit_price"))).first()[0]
    return lake.read(SILVER_ORDERS).count(), revenue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=70_000)
    parser.add_argument("--customers", type=int, default=23_500)
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each form (best kept)")
    parser.add_argument("--env", default="local")
    args = parser.parse_args()
    settings = load_config(args.env, environ=os.environ)
    spark = build_session(settings)
    work = Path(tempfile.mkdtemp(prefix="bench-mapping-"))
    try:
        rows = order_history(args.orders, args.customers)
        shop, contract = work / "shop", work / "contract"
        (shop / "orders").mkdir(parents=True)
        (contract / "orders").mkdir(parents=True)
        (shop / "orders" / "CDNOW_master.txt").write_text(
            "".join(f"{c} {d}  {n}  {a}\n" for c, d, n, a in rows))
        (contract / "orders" / "part-0.json").write_text(
            "".join(json.dumps(contract_record(*row)) + "\n" for row in rows))
        runs = {"mapped": lambda: ingest(spark, settings, shop, work / "lake-mapped", {"orders": MAPPING}),
                "contract": lambda: ingest(spark, settings, contract, work / "lake-contract", {})}
        best = {name: float("inf") for name in runs}
        for round_no in range(args.rounds):
            for name in (["contract", "mapped"] if round_no % 2 == 0 else ["mapped", "contract"]):
                print(f"[{len(rows):,} orders] round {round_no + 1}/{args.rounds}: {name} ...", flush=True)
                best[name] = min(best[name], runs[name]())
        mapped_orders, mapped_revenue = silver_figures(spark, settings, work / "lake-mapped")
        contract_orders, contract_revenue = silver_figures(spark, settings, work / "lake-contract")
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    total = sum(float(a) for *_, a in rows)
    error_cents = round(abs(mapped_revenue - total) * 100)
    print(f"\n{'form':>10} {'seconds':>8} {'orders':>8} {'revenue':>14}")
    print(f"{'mapped':>10} {best['mapped']:>8.1f} {mapped_orders:>8,} {mapped_revenue:>14,.2f}")
    print(f"{'contract':>10} {best['contract']:>8.1f} {contract_orders:>8,} {contract_revenue:>14,.2f}")
    print(f"{'file':>10} {'':>8} {len(rows):>8,} {total:>14,.2f}")
    if mapped_orders != contract_orders or mapped_orders != len(rows):
        raise SystemExit(f"silver holds {mapped_orders} mapped and {contract_orders} contract orders of {len(rows)}")
    print(bench_line("ingest_mapping.seconds", best["mapped"], "s"))
    print(baseline_line("ingest_mapping.seconds", best["contract"], "s (the contract's JSON lines)"))
    print(bench_line("ingest_mapping.vs_contract_json", best["contract"] / best["mapped"], "ratio"))
    print(bench_line("ingest_mapping.revenue_error_cents", error_cents, "cents"))


if __name__ == "__main__":
    main()
