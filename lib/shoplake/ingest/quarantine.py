"""How much of a batch was quarantined, and the refusal of a batch with too much of it.

A batch's records end up landed (they met the contract) or quarantined, each with a reason; the
quarantined share is ``quarantined / (landed + quarantined)``. A batch whose share is over
``ingest.max_quarantine_share`` is refused before anything of it is written: the message names its
top reasons, each with its count and an example (the record's file and the start of its raw text),
and the batch's files stay unprocessed until the inputs or the mapping are fixed, or a run with
``--accept-quarantine`` lets it through.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ingest.errors import QuarantineTooHigh
from shoplake.ingest.parse import REASON
from shoplake.log import get_logger

log = get_logger(__name__)
ACCEPT_FLAG = "--accept-quarantine"
EXAMPLE_CHARS = 80
TOP_REASONS = 3


@dataclass(frozen=True)
class Reason:
    """One quarantine reason of a batch: how many records got it, and one of them (``file: raw text``)."""

    name: str
    records: int
    example: str


@dataclass(frozen=True)
class Outcomes:
    """A batch's records by outcome: how many landed, and the quarantined ones by reason (most first)."""

    landed: int
    reasons: tuple[Reason, ...]

    @property
    def quarantined(self) -> int:
        """Records quarantined, for any reason."""
        return sum(r.records for r in self.reasons)

    @property
    def share(self) -> float:
        """The quarantined share of the batch's records (0 for a batch without records)."""
        total = self.landed + self.quarantined
        return self.quarantined / total if total else 0.0

    def by_reason(self) -> dict[str, int]:
        """Quarantined records per reason."""
        return {r.name: r.records for r in self.reasons}


def count_outcomes(parsed: DataFrame, unreadable: DataFrame) -> Outcomes:
    """Count ``parsed`` records (a null ``_reason`` landed) and ``unreadable`` ones by reason, in one Spark job.

    ``unreadable`` are quarantine records (``reason``, ``_source_file``) of the batch's records that could not
    be read as text; their example is their file.
    """
    records = parsed.select(F.col(REASON).alias("reason"), "_source_file", F.col("value").alias("text")).unionByName(
        unreadable.select("reason", "_source_file", F.lit(None).cast("string").alias("text")))
    first = F.struct("_source_file", F.substring("text", 1, EXAMPLE_CHARS + 1).alias("text"))
    rows = records.groupBy("reason").agg(F.count("*").alias("records"), F.min(first).alias("example")).collect()
    reasons = [Reason(r.reason, r.records, _example(r.example._source_file, r.example.text))
               for r in rows if r.reason is not None]
    landed = sum(r.records for r in rows if r.reason is None)
    return Outcomes(landed, tuple(sorted(reasons, key=lambda r: (-r.records, r.name))))


def _example(source_file: str, text: str | None) -> str:
    """``date=2024-01-10/part-0.json: {"order_id": ...`` (the file's last two path parts, the text cut short)."""
    where = "/".join(source_file.rsplit("/", 2)[-2:])
    if text is None:
        return where
    cut = text[:EXAMPLE_CHARS] + ("..." if len(text) > EXAMPLE_CHARS else "")
    return f"{where}: {cut.replace(chr(13), ' ').replace(chr(10), ' ')}"


def allowed_quarantine(records: int, max_share: float) -> int:
    """The most of ``records`` that may be quarantined under ``max_share`` (a share exactly at the bound passes)."""
    return math.floor(records * max_share + 1e-9)


def refusal(source: str, batch_id: int, found: Outcomes, max_share: float) -> str:
    """The one-line message of a refused batch: its share, its top reasons with an example each, what to do."""
    top = ", ".join(f"{r.name} {r.records} (e.g. {r.example})" for r in found.reasons[:TOP_REASONS])
    more = len(found.reasons) - TOP_REASONS
    return (f"{source} batch {batch_id} refused: {found.quarantined} of {found.landed + found.quarantined} records "
            f"quarantined ({found.share:.1%}, more than ingest.max_quarantine_share {max_share:.1%}): {top}"
            + (f" and {more} more reason(s)" if more > 0 else "")
            + f"; nothing of it was written and its files stay unprocessed: fix them or the source's mapping and "
              f"re-run, or re-run with {ACCEPT_FLAG} to land its valid records")


def check_share(source: str, batch_id: int, found: Outcomes, max_share: float, accept: bool) -> None:
    """Raise :class:`QuarantineTooHigh` for a batch over ``max_share``; with ``accept``, only log a warning."""
    if found.quarantined <= allowed_quarantine(found.landed + found.quarantined, max_share):
        return
    if not accept:
        raise QuarantineTooHigh(refusal(source, batch_id, found, max_share))
    log.warning("%s batch %d: %d of %d records quarantined (%.1f%%, more than ingest.max_quarantine_share %.1f%%), "
                "accepted with %s", source, batch_id, found.quarantined, found.landed + found.quarantined,
                100 * found.share, 100 * max_share, ACCEPT_FLAG)
