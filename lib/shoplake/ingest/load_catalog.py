"""Product and review files → bronze → ``silver.products`` (images as bytes) and ``silver.reviews``."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import silver_table
from shoplake.config import Settings
from shoplake.ingest.incremental import IngestReport, process_new_files, raise_refused
from shoplake.ingest.layers import BatchWriter, LineCounts, land_batch
from shoplake.ingest.parse import Rule, arrival_time, future_timestamp
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.pseudonyms import pseudonymize
from shoplake.schemas import PRODUCTS, REVIEWS, Contract

log = get_logger(__name__)
JOB = "ingest_catalog"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def product_rules() -> list[Rule]:
    """Domain rules of the products contract (a price of 0 is a free product; an image, when given, must be a
    base64 PNG)."""
    decoded = F.try_to_binary(F.col("image"), F.lit("base64"))
    return [
        Rule("negative_price", F.col("price") < 0),
        Rule("bad_image", F.col("image").isNotNull() & (decoded.isNull() | (F.substring(decoded, 1, 8) != F.lit(PNG_SIGNATURE)))),
    ]


def review_rules(now, future_tolerance_minutes: int) -> list[Rule]:
    """Domain rules of the reviews contract."""
    return [
        Rule("rating_out_of_range", ~F.col("rating").between(1, 5)),
        future_timestamp(F.col("review_time"), now, future_tolerance_minutes),
    ]


def silver_products(records: DataFrame) -> DataFrame:
    """Product records with the image decoded to PNG bytes."""
    return records.withColumn("image", F.unbase64("image")).drop("_source_file")


def silver_reviews(records: DataFrame, key: bytes) -> DataFrame:
    """Reviews with the reviewer's id pseudonymized."""
    return records.withColumn("user_id", pseudonymize(F.col("user_id"), key)).drop("_source_file")


def _ingest(lake: Lake, settings: Settings, audit_key: bytes | None, accept_quarantine: bool, contract: Contract,
            rules, to_silver) -> IngestReport:
    name = f"{JOB}.{contract.name}"
    writer = BatchWriter(lake, name)
    table = silver_table(contract.name)

    def process(lines: DataFrame, batch_id: int) -> LineCounts:
        with land_batch(writer, lines, batch_id, contract, rules, settings, audit_key, accept_quarantine) as landed:
            version = writer.merge(to_silver(landed.records), table, batch_id, list(contract.key[:1]),
                                   order_by="_ingested_at")
        log.info("%s batch %d: %s at version %d", JOB, batch_id, table, version)
        return landed.counts

    return process_new_files(lake.spark, f"{settings.paths.inputs}/{contract.name}", lake.checkpoint_path(name), process,
                             name, settings.ingest.max_batch_mb, file_format=settings.ingest.mapping(contract.name))


def ingest_catalog(lake: Lake, settings: Settings, key: bytes, *,
                   audit_key: bytes | None = None, accept_quarantine: bool = False) -> dict:
    """Ingest new product and review files; a later record of a product or review replaces it.

    ``key`` makes the reviewers' pseudonyms; ``audit_key`` matches lines against the erasure list (by default the lake's).
    A batch with too much of it quarantined is refused (:class:`~shoplake.ingest.errors.QuarantineTooHigh`, after
    the other source is ingested) unless ``accept_quarantine``.
    """
    products = _ingest(lake, settings, audit_key, accept_quarantine, PRODUCTS, product_rules(), silver_products)
    reviews = _ingest(lake, settings, audit_key, accept_quarantine, REVIEWS,
                      review_rules(arrival_time(F.col("_source_file")), settings.ingest.future_tolerance_minutes),
                      lambda records: silver_reviews(records, key))
    raise_refused(products, reviews)
    return products.figures("products_") | reviews.figures("reviews_")
