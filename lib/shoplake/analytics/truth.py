"""The generator's ground truth, read to score the analyses against what was planted.

Customer and user ids in the lake are keyed pseudonyms, so the truth's raw ids are mapped
through the same key; order and product ids are not pseudonymized.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from shoplake.privacy.pseudonyms import pseudonymize

PAIRS = StructType([StructField("product_a", StringType()), StructField("product_b", StringType())])
ANOMALIES = StructType([StructField(c, StringType()) for c in ("order_id", "customer_id", "kind")])
USERS = StructType([StructField(c, StringType()) for c in ("user_id", "join_date", "churn_date")])


@dataclass(frozen=True)
class GroundTruth:
    """A truth folder written by the generator, and the pseudonymization key of the lake it was ingested into."""

    folder: str
    key: bytes

    @staticmethod
    def present(folder: str | None) -> bool:
        """True when ``folder`` holds a generator's ground truth (its ``params.json``)."""
        return bool(folder) and (Path(folder) / "params.json").is_file()

    def _read(self, spark: SparkSession, name: str, schema: StructType) -> DataFrame:
        return spark.read.schema(schema).json(f"{self.folder}/{name}")

    def fbt_pairs(self, spark: SparkSession) -> DataFrame:
        """Planted frequently-bought-together pairs: ``product_a``, ``product_b``."""
        return self._read(spark, "fbt_pairs.json", PAIRS)

    def anomalies(self, spark: SparkSession) -> DataFrame:
        """Planted anomalous orders: ``order_id``, pseudonymous ``customer_id``, ``kind``."""
        planted = self._read(spark, "anomalies", ANOMALIES)
        return planted.withColumn("customer_id", pseudonymize(F.col("customer_id"), self.key))

    def users(self, spark: SparkSession) -> DataFrame:
        """Every generated user: pseudonymous ``user_id``, ``join_date``, ``churn_date`` (null: never churns)."""
        users = self._read(spark, "users", USERS)
        return users.select(pseudonymize(F.col("user_id"), self.key).alias("user_id"),
                            F.to_date("join_date").alias("join_date"), F.to_date("churn_date").alias("churn_date"))
