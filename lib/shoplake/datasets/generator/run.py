"""Run the generator on Spark: the catalogue on the driver, one task per block of users on the executors.

Stages (each logged): load the real content, build the catalogue and write the products file and
the driver-side truth, generate the blocks (clickstream, orders, reviews and their truth are
written by the tasks themselves; only per-block counts come back), write the manifest.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pyarrow as pa
from pyspark.sql import SparkSession

from shoplake.datasets.generator.block import BlockInputs, generate_block
from shoplake.datasets.generator.catalogue import build_catalogue, products_frame
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.content import load_content
from shoplake.datasets.generator.progress import spark_progress
from shoplake.datasets.generator.render import dumps
from shoplake.datasets.generator.sink import Sink
from shoplake.datasets.generator.truth import write_driver_truth
from shoplake.log import get_logger

log = get_logger(__name__)

SOURCES = ("clickstream", "orders", "products", "reviews")
MANIFEST = "manifest.json"
TASKS_PER_CORE = 4  # blocks are grouped into at most this many tasks per core (a task has a fixed overhead)


def default_truth_dir(out: str) -> str:
    """Ground truth goes beside the inputs: ``<out>-truth``."""
    return out.rstrip("/") + "-truth"


def generate(spark: SparkSession, config: GeneratorConfig, out: str, truth: str, cache: str | Path,
             force: bool = False) -> dict:
    """Generate the shop into ``out`` and its ground truth into ``truth``; return the manifest."""
    started = time.monotonic()
    log.info("stage 1/4: loading real content (Fashion-MNIST photos, review texts) from %s", cache)
    content = load_content(cache)
    out_sink, truth_sink = Sink(out), Sink(truth)
    _prepare(out_sink, truth_sink, force)
    log.info("stage 2/4: catalogue of %d products, %d FBT pairs", config.products, config.fbt_pairs)
    catalogue = build_catalogue(config, content)
    products = products_frame(catalogue, content)
    out_sink.write_lines("products/part-00000.json", [dumps(r) for r in products.to_dict("records")])
    write_driver_truth(truth_sink, config, catalogue)
    log.info("stage 3/4: %d users in %d blocks, %d days from %s on Spark", config.users, config.blocks,
             config.days, config.start_date)
    inputs = spark.sparkContext.broadcast(BlockInputs(config, catalogue, content.review_texts, out, truth))
    tasks = min(config.blocks, TASKS_PER_CORE * spark.sparkContext.defaultParallelism)
    spark.sparkContext.setJobDescription(f"generate {config.blocks} blocks in {tasks} tasks")
    try:
        with spark_progress(spark.sparkContext, "generate"):
            rows = (spark.range(config.blocks, numPartitions=tasks)
                    .mapInArrow(partial(_run_blocks, inputs), "block long, stats string")
                    .collect())
    finally:
        spark.sparkContext.setJobDescription(None)
        inputs.destroy()
    totals = Counter()
    for row in rows:
        totals.update(json.loads(row.stats))
    elapsed = time.monotonic() - started
    manifest = {"config": config.to_dict(), "out": out, "truth": truth, "seconds": round(elapsed, 1),
                "counts": dict(sorted(totals.items()))}
    truth_sink.write(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    log.info("stage 4/4: wrote %d events, %d orders (%d status records), %d reviews, %d files, %.1f MB in %.1fs "
             "(%.0f events/s)", totals["clickstream_records"], totals["orders"], totals["orders_records"],
             totals["reviews_records"], totals["files"], totals["bytes"] / 1e6, elapsed,
             totals["clickstream_records"] / max(elapsed, 1e-9))
    return manifest


def _run_blocks(inputs, batches):
    for batch in batches:
        for block in batch.column("id").to_pylist():
            stats = generate_block(inputs.value, block)
            yield pa.RecordBatch.from_pydict({"block": [block], "stats": [json.dumps(stats)]})


def _prepare(out: Sink, truth: Sink, force: bool) -> None:
    """Clear a previous generation; refuse to overwrite input folders it did not write, unless ``force``."""
    ours = truth.exists(MANIFEST)
    present = [s for s in SOURCES if out.exists(s)]
    if present and not ours and not force:
        raise FileExistsError(
            f"{out.path('')} already has {', '.join(present)} not written by the generator "
            f"(no {truth.path(MANIFEST)}); choose another output folder or pass --force to replace them"
        )
    for source in present:
        out.remove(source)
    truth.remove("")
