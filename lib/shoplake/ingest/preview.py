"""``shoplake ingest-preview --source SOURCE FILE``: a shop's file read through its mapping, nothing written.

Shows how many records the file holds, the first ones as the contract's typed columns, and what would
be quarantined, by reason, with an example of each: the quickest way to get ``ingest.sources`` right.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shoplake.config import Settings, load_config
from shoplake.errors import UserFacingError
from shoplake.ingest.clickstream import clickstream_rules
from shoplake.ingest.decode import Line
from shoplake.ingest.load_catalog import product_rules, review_rules
from shoplake.ingest.orders import order_rules
from shoplake.ingest.layers import parse_batch
from shoplake.ingest.parse import REASON, Rule
from shoplake.ingest.tabular import decode_file
from shoplake.schemas import CONTRACTS

SOURCES = ("clickstream", "orders", "products", "reviews")
EXAMPLE_CHARS = 160


class PreviewError(UserFacingError):
    """The file to preview cannot be read."""


@dataclass(frozen=True)
class Preview:
    """What ingesting a file would do: records read, the first valid ones, and the quarantined per reason."""

    source: str
    read: int
    rows: list[dict]
    quarantined: list[tuple[str, int, str]]  # (reason, records, an example's raw text)

    @property
    def landing(self) -> int:
        """Records that would reach silver."""
        return self.read - sum(n for _, n, _ in self.quarantined)


def source_rules(source: str, settings: Settings) -> list[Rule]:
    """The domain rules a source's records are checked with, as of now (the file has no arrival folder)."""
    now, tolerance = F.current_timestamp(), settings.ingest.future_tolerance_minutes
    return {"clickstream": lambda: clickstream_rules(now, tolerance), "orders": lambda: order_rules(now, tolerance),
            "products": product_rules, "reviews": lambda: review_rules(now, tolerance)}[source]()


def preview_file(spark: SparkSession, settings: Settings, source: str, path: Path, rows: int = 10) -> Preview:
    """Read ``path`` as ``source``'s file through the config's mapping; return what ingesting it would do."""
    mapping = settings.ingest.mapping(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PreviewError(f"cannot read {path}: {exc.strerror or exc}") from exc
    records = list(decode_file(data, mapping))
    contract = CONTRACTS[source]
    parsed = parse_batch(_as_bronze(spark, records, path), contract, source_rules(source, settings),
                         settings.ingest).cache()
    try:
        valid = parsed.filter(F.col(REASON).isNull()).select(*contract.schema.fieldNames()).limit(rows).collect()
        counts = (parsed.filter(F.col(REASON).isNotNull()).groupBy(REASON)
                  .agg(F.count("*").alias("n"), F.min("value").alias("example")).collect())
        read = parsed.count()
    finally:
        parsed.unpersist()
    unreadable = _unreadable(records)
    quarantined = sorted([(r[REASON], r.n, r.example) for r in counts] + unreadable, key=lambda q: (-q[1], q[0]))
    return Preview(source, read + sum(n for _, n, _ in unreadable), [r.asDict(recursive=True) for r in valid],
                   quarantined)


def _as_bronze(spark: SparkSession, records: list[Line], path: Path) -> DataFrame:
    """The file's text records the way bronze holds them (records that are not text are counted apart)."""
    rows = [(line.value, str(path)) for line in records if line.reason is None]
    return spark.createDataFrame(rows, "value string, _source_file string").select(
        "value", "_source_file", F.current_timestamp().alias("_ingested_at"), F.lit(0).cast("long").alias("_batch_id"))


def _unreadable(records: list[Line]) -> list[tuple[str, int, str]]:
    """``(reason, records, example)`` of the records that are not text (bad UTF-8, a CSV row of the wrong width)."""
    found: dict[str, list[Line]] = {}
    for line in records:
        if line.reason:
            found.setdefault(line.reason, []).append(line)
    return [(reason, len(lines), f"{lines[0].detail}: {lines[0].value or ''}") for reason, lines in found.items()]


def render(preview: Preview, path: Path, max_share: float) -> str:
    """The preview as text: a summary line, the first mapped rows as JSON, the quarantine by reason."""
    quarantined = preview.read - preview.landing
    lines = [f"{preview.source}: {preview.read} record(s) in {path}: {preview.landing} would land, "
             f"{quarantined} would be quarantined"]
    if preview.read and quarantined > max_share * preview.read:
        lines.append(f"as one batch, ingest would refuse it: {quarantined / preview.read:.1%} quarantined is more than "
                     f"ingest.max_quarantine_share {max_share:.1%}")
    if preview.rows:
        lines.append(f"first {len(preview.rows)} record(s) as the {preview.source} contract's columns:")
        lines += [f"  {json.dumps(row, default=str, ensure_ascii=False)}" for row in preview.rows]
    if preview.quarantined:
        lines.append("quarantined, by reason (records, an example):")
        width = max(len(reason) for reason, _, _ in preview.quarantined)
        lines += [f"  {reason:<{width}}  {n:>7}  {_short(example)}" for reason, n, example in preview.quarantined]
    return "\n".join(lines)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"


def add_preview_parser(subparsers) -> None:
    """``shoplake ingest-preview --source SOURCE FILE``."""
    parser = subparsers.add_parser("ingest-preview", help="show how a shop's file maps onto a source's contract "
                                                          "and what would be quarantined (writes nothing)")
    parser.add_argument("--source", required=True, choices=SOURCES, help="the input the file belongs to")
    parser.add_argument("file", type=Path, help="a local file in the source's configured format")
    parser.add_argument("--rows", type=int, default=10, metavar="N", help="mapped records to show (default: 10)")
    parser.add_argument("--env", default="local", help="config environment (default: local)")
    parser.add_argument("--config", help="path to a config YAML file (overrides --env)")
    parser.set_defaults(func=_cmd_preview)


def _cmd_preview(args: argparse.Namespace, _rest: list[str]) -> int:
    from shoplake.session import build_session

    settings = load_config(args.config or args.env, environ=os.environ)
    if not args.file.is_file():
        raise PreviewError(f"{args.file}: no such file")
    spark = build_session(settings)
    preview = preview_file(spark, settings, args.source, args.file, args.rows)
    print(render(preview, args.file, settings.ingest.max_quarantine_share))
    return 0
