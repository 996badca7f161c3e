"""Check that only bronze holds raw PII: scan every text column of every silver and gold table.

Emails and phone numbers are found by pattern (``privacy.email_pattern``, ``privacy.phone_pattern``),
names by matching whole values against the names seen in ``bronze.orders`` (a join in Spark; the
names are never brought to the driver). All tables are scanned in one Spark job; findings give
table, column, kind and count, never the values themselves.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from shoplake.catalog import BRONZE_ORDERS
from shoplake.config import Settings
from shoplake.schemas.source_mapping import SourceMapping, source_mapping
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.errors import PiiFound
from shoplake.privacy.all_tables import lake_tables
from shoplake.schemas import ORDERS
from shoplake.schemas.mapping import mapped_columns

log = get_logger(__name__)
SCANNED_LAYERS = ("silver", "gold")
KINDS = ("email", "phone", "name")


@dataclass(frozen=True, order=True)
class PiiFinding:
    """Values of one kind of PII found in one column of one table."""

    table: str
    column: str
    kind: str
    values: int

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: {self.values} {self.kind} value(s)"


def known_names(bronze_orders: DataFrame, mapping: SourceMapping | None = None) -> DataFrame:
    """``name``: the distinct customer names of the raw orders (read through the shop's mapping), lower-cased, trimmed."""
    raw = mapped_columns(bronze_orders, mapping or source_mapping(ORDERS.name), ORDERS, ("name",))
    names = raw.select(F.lower(F.trim("name")).alias("name"))
    return names.where(F.length("name") > 0).distinct()


def text_cells(tables: Mapping[str, DataFrame]) -> DataFrame | None:
    """``(table, column, value)``: every non-null value of every string column of ``tables``; None if there is none."""
    parts = []
    for name, df in tables.items():
        columns = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
        if columns:
            cells = F.explode(F.array(*[F.struct(F.lit(c).alias("column"), F.col(f"`{c}`").alias("value"))
                                        for c in columns]))
            parts.append(df.select(F.lit(name).alias("table"), cells.alias("cell")).select("table", "cell.*"))
    if not parts:
        return None
    return reduce(DataFrame.unionByName, parts).where(F.col("value").isNotNull())


def pii_counts(cells: DataFrame, names: DataFrame, email_pattern: str, phone_pattern: str) -> DataFrame:
    """``(table, column, kind, values)`` for each kind of PII found, from :func:`text_cells` and :func:`known_names`."""
    keyed = cells.withColumn("name", F.lower(F.trim("value")))
    flagged = keyed.join(names.withColumn("is_name", F.lit(True)), "name", "left").select(
        "table", "column",
        F.col("value").rlike(email_pattern).cast("int").alias("email"),
        F.col("value").rlike(phone_pattern).cast("int").alias("phone"),
        F.coalesce("is_name", F.lit(False)).cast("int").alias("name"),
    )
    totals = flagged.groupBy("table", "column").agg(*[F.sum(k).alias(k) for k in KINDS])
    long = totals.select("table", "column", F.explode(F.array(*[
        F.struct(F.lit(k).alias("kind"), F.col(k).cast("long").alias("values")) for k in KINDS])).alias("found"))
    return long.select("table", "column", "found.*").where(F.col("values") > 0)


def scan_pii(lake: Lake, settings: Settings, layers: Sequence[str] = SCANNED_LAYERS) -> tuple[list[PiiFinding], list[str]]:
    """The PII found in the text columns of every table of ``layers``, and the tables scanned."""
    names = lake_tables(lake, layers)
    cells = text_cells({t: lake.read(t) for t in names})
    if cells is None:
        return [], names
    privacy = settings.privacy
    if lake.exists(BRONZE_ORDERS):
        known = known_names(lake.read(BRONZE_ORDERS), settings.ingest.mapping(ORDERS.name))
    else:
        known = lake.spark.createDataFrame([], "name string")
    rows = pii_counts(cells, known, privacy.email_pattern, privacy.phone_pattern).collect()
    findings = sorted(PiiFinding(r["table"], r["column"], r["kind"], r["values"]) for r in rows)
    return findings, names


def check_no_pii(lake: Lake, settings: Settings) -> dict:
    """Fail with :class:`PiiFound` when any silver or gold table holds emails, phone numbers or names.

    Returns ``{"tables_scanned": n}`` when the lake is clean (the pipeline's privacy check).
    """
    findings, tables = scan_pii(lake, settings)
    if findings:
        listed = "; ".join(str(f) for f in findings)
        raise PiiFound(f"personal data found outside bronze (only bronze may hold raw PII): {listed}. "
                       "Pseudonymise or drop these columns where the table is built.", findings)
    log.info("no emails, phone numbers or customer names in %d silver and gold table(s)", len(tables))
    return {"tables_scanned": len(tables)}
