"""Hostile input: every kind of bad input file, ingested twice; every record read must be accounted for.

Protocol: build clickstream and order inputs holding good lines and everything a shop's drop
folder can hold by mistake: a Latin-1 line in a UTF-8 file, CRLF line ends and empty lines,
gzip and bzip2 files (one named ``.json``), a corrupt gzip, a UTF-16 file, binary junk named
``.json``, a file sent twice under two names, lines repeated within a file, malformed JSON, lines
of a customer on the erasure list (one of them not UTF-8 either), and a dangling symbolic link.
The builder counts what it wrote: each line of a readable file is one record, each unreadable
file one record. Ingest both sources into a fresh lake twice (the second run must add nothing),
then reconcile: records written - bronze rows - records quarantined as bytes (``invalid_encoding``,
``unreadable_file``) - erased lines reported by the ingest.

    python bench/hostile_input.py [--workdir DIR]

Ends with ``BENCH resilience.hostile_lines_unaccounted <n> lines`` (must be 0).
"""
from __future__ import annotations

import argparse
import bz2
import gzip
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import functions as F  # noqa: E402

from bench.support import bench_line  # noqa: E402
from shoplake.catalog import BRONZE_QUARANTINE, OPS_ERASURE_LIST, bronze_table  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.ingest.load_clickstream import ingest_clickstream  # noqa: E402
from shoplake.ingest.load_orders import ingest_orders  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.privacy.pseudonyms import pseudonymize  # noqa: E402
from shoplake.session import build_session  # noqa: E402

KEY = b"bench-hostile-pseudonym-key"
AUDIT_KEY = b"bench-hostile-audit-key"
ERASED = "c-erased"
UNREAD_REASONS = ("invalid_encoding", "unreadable_file")


@dataclass
class Written:
    """What the builder wrote per source: records (lines, or whole unreadable files) and erased lines."""

    records: dict[str, int] = field(default_factory=dict)
    erased: dict[str, int] = field(default_factory=dict)


def _event(i: int, person: str, text: str) -> str:
    return json.dumps({"event_id": f"e{i}", "event_time": "2024-01-01T10:00:00Z", "user_id": person,
                       "session_id": f"s-{person}", "event_type": "search", "query": text}, ensure_ascii=False)


def _order(i: int, person: str, text: str) -> str:
    return json.dumps({"order_id": f"o{i}", "customer_id": person, "order_time": "2024-01-01T09:00:00Z",
                       "status": "placed", "updated_at": "2024-01-01T09:00:00Z", "email": f"{person}@example.com",
                       "name": text, "lines": [{"product_id": "p1", "quantity": 1, "unit_price": 9.5, "discount": 0.0}]},
                      ensure_ascii=False)


def _files(make) -> dict[str, tuple[bytes, int, int]]:
    """File name -> (bytes, records, erased lines) for one source; ``make(i, person, text)`` makes one record."""
    good = [make(i, "c1", "ok") for i in range(40)]
    text = "\n".join(good).encode() + b"\n"
    latin = [line.encode() for line in good[:5]] + [make(100, "c1", "Z\u00fcrich").encode("latin-1")]
    erased = [make(200 + i, ERASED, "ok").encode() for i in range(3)] + [make(210, ERASED, "Z\u00fcrich").encode("latin-1")]
    return {
        "good.json": (text, 40, 0),
        "resent-good.json": (text, 40, 0),
        "latin1-line.json": (b"\n".join(latin) + b"\n", 6, 0),
        "crlf.json": (b"\r\n".join(line.encode() for line in good[:4] + ["", good[0]]) + b"\r\n", 6, 0),
        "packed.json.gz": (gzip.compress(text), 40, 0),
        "packed-bzip2.json": (bz2.compress(text), 40, 0),
        "corrupt.json.gz": (gzip.compress(text)[:-20], 1, 0),
        "utf16.json": (text.decode().encode("utf-16"), 1, 0),
        "junk.json": (bytes(range(256)) * 16, 1, 0),
        "malformed.json": (b'{"half": \nnot json\n[1, 2]\n', 3, 0),
        "erased-customer.json": (b"\n".join(erased) + b"\n", 4, 4),
    }


def build_hostile_inputs(inputs: Path) -> Written:
    """Write the hostile clickstream and order inputs under ``inputs``; return what was written."""
    written = Written()
    for source, make in (("clickstream", _event), ("orders", _order)):
        folder = inputs / source / "date=2024-01-01"
        folder.mkdir(parents=True, exist_ok=True)
        written.records[source] = written.erased[source] = 0
        for name, (data, records, erased) in _files(make).items():
            (folder / name).write_bytes(data)
            written.records[source] += records
            written.erased[source] += erased
        (folder / "dangling.json").symlink_to(inputs / "missing" / "gone.json")
    return written


def _list_erased(spark, lake) -> None:
    """Put the customer ``ERASED`` on the erasure list (its id hashed with the audit key)."""
    listed = spark.createDataFrame([(ERASED,)], "id string").select(
        pseudonymize(F.col("id"), AUDIT_KEY).alias("subject_hash"), F.lit("customer_id").alias("kind"),
        F.lit("bench").alias("erasure_id"), F.lit(datetime(2024, 1, 2)).alias("erased_at"))
    lake.merge(listed, OPS_ERASURE_LIST, ["subject_hash"])


def hostile_lines_unaccounted(workdir: Path, spark=None) -> int:
    """Build the hostile inputs under ``workdir``, ingest them twice, and return the records not accounted for."""
    written = build_hostile_inputs(workdir / "inputs")
    settings = load_config("test", environ=os.environ, overrides={
        "lake.root": str(workdir / "lake"), "paths.inputs": str(workdir / "inputs")})
    spark = spark or build_session(settings)
    lake = open_lake(spark, settings)
    _list_erased(spark, lake)
    erased = {"clickstream": 0, "orders": 0}
    for _ in range(2):
        for source, ingest in (("clickstream", ingest_clickstream), ("orders", ingest_orders)):
            erased[source] += ingest(lake, settings, KEY, audit_key=AUDIT_KEY)["lines_erased"]
    unaccounted = 0
    for source, records in written.records.items():
        bronze = lake.read(bronze_table(source)).count()
        quarantine = lake.read(BRONZE_QUARANTINE)
        as_bytes = quarantine.filter((F.col("source") == source) & F.col("reason").isin(*UNREAD_REASONS)).count()
        missing = records - bronze - as_bytes - erased[source]
        print(f"{source}: {records} records written = {bronze} bronze + {as_bytes} quarantined as bytes + "
              f"{erased[source]} erased (planted {written.erased[source]}); unaccounted {missing}")
        unaccounted += abs(missing) + abs(erased[source] - written.erased[source])
    return unaccounted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to build inputs and lake (default: a temporary folder)")
    args = parser.parse_args()
    if args.workdir:
        unaccounted = hostile_lines_unaccounted(args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="shoplake-hostile-") as tmp:
            unaccounted = hostile_lines_unaccounted(Path(tmp))
    print(bench_line("resilience.hostile_lines_unaccounted", unaccounted, "lines"))


if __name__ == "__main__":
    main()
