"""Customer segments: MLlib KMeans on scaled RFM features, k chosen by silhouette, named by rules.

Features are ``log1p`` of recency, frequency and monetary value, standardized; every k in the
configured range is fitted and the one with the best silhouette kept. Segments are then
described (size, RFM means, revenue share) and named by the first configured rule that holds
on their means (see ``analytics.segment_rules``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.ml import Pipeline
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import SQLTransformer, StandardScaler, VectorAssembler
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType

from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.rfm import RFM_COLUMNS, SCORES
from shoplake.log import get_logger

log = get_logger(__name__)
FEATURES = "features"
SUMMARY_MEANS = (*RFM_COLUMNS, *SCORES.values())


@dataclass
class Segmentation:
    """The chosen KMeans model, the silhouette of every k tried, and the customers with their segment."""

    model: KMeansModel
    silhouettes: dict[int, float]
    customers: DataFrame

    @property
    def k(self) -> int:
        """The number of segments chosen."""
        return self.model.getK()


def scaled_features(rfm: DataFrame) -> DataFrame:
    """``rfm`` with ``features``: log1p of recency, frequency and monetary value, standardized."""
    logs = ", ".join(f"log1p(GREATEST({c}, 0)) AS log_{c}" for c in RFM_COLUMNS)
    pipeline = Pipeline(stages=[
        SQLTransformer(statement=f"SELECT *, {logs} FROM __THIS__"),
        VectorAssembler(inputCols=[f"log_{c}" for c in RFM_COLUMNS], outputCol="_raw"),
        StandardScaler(inputCol="_raw", outputCol=FEATURES, withMean=True, withStd=True),
    ])
    return pipeline.fit(rfm).transform(rfm).drop("_raw", *[f"log_{c}" for c in RFM_COLUMNS])


def choose_k(vectors: DataFrame, k_values: Sequence[int], seed: int) -> tuple[KMeansModel, dict[int, float]]:
    """Fit KMeans for each k; return the model with the best silhouette and every k's silhouette."""
    distinct = vectors.select(*RFM_COLUMNS).distinct().count()
    usable = [k for k in k_values if k < distinct]
    if not usable:
        raise AnalyticsError(f"segmentation: {distinct} distinct customer profile(s), need more than "
                             f"{min(k_values)} to form {min(k_values)} segments")
    evaluator = ClusteringEvaluator(featuresCol=FEATURES, predictionCol="segment", metricName="silhouette")
    best, silhouettes = None, {}
    for k in usable:
        model = KMeans(k=k, seed=seed, featuresCol=FEATURES, predictionCol="segment").fit(vectors)
        silhouettes[k] = float(evaluator.evaluate(model.transform(vectors)))
        log.info("segments: k=%d silhouette %.4f", k, silhouettes[k])
        if best is None or silhouettes[k] > silhouettes[best.getK()]:
            best = model
    return best, silhouettes


def segment_customers(rfm: DataFrame, k_values: Sequence[int], seed: int) -> Segmentation:
    """Scale, choose k, and assign each customer of ``rfm`` its ``segment``."""
    vectors = scaled_features(rfm).cache()
    try:
        model, silhouettes = choose_k(vectors, k_values, seed)
        customers = model.transform(vectors).drop(FEATURES)
    finally:
        vectors.unpersist()
    return Segmentation(model, silhouettes, customers)


def segment_summary(customers: DataFrame) -> DataFrame:
    """Per segment: customers, their share, RFM means, revenue (sum of monetary) and revenue share."""
    per_segment = customers.groupBy("segment").agg(
        F.count("*").alias("customers"),
        *[F.round(F.avg(c), 4).alias(c) for c in SUMMARY_MEANS],
        F.round(F.sum("monetary"), 2).alias("revenue"),
    )
    totals = customers.agg(F.count("*").alias("_customers"), F.sum("monetary").alias("_revenue"))
    return per_segment.crossJoin(totals).select(
        "segment", "customers", F.round(F.col("customers") / F.col("_customers"), 4).alias("customer_share"),
        *SUMMARY_MEANS, "revenue",
        F.round(F.when(F.col("_revenue") > 0, F.col("revenue") / F.col("_revenue")).otherwise(0.0), 4).alias(
            "revenue_share"),
    )


def name_segments(summary: DataFrame, rules: Mapping[str, str], default: str) -> DataFrame:
    """``summary`` with ``segment_name``: the first rule whose condition holds on the segment's means."""
    name = F.lit(default)
    for rule, condition in reversed(list(rules.items())):
        name = F.when(F.coalesce(_condition(summary, rule, condition), F.lit(False)), F.lit(rule)).otherwise(name)
    return summary.withColumn("segment_name", name)


def _condition(summary: DataFrame, rule: str, condition: str) -> F.Column:
    """The rule's SQL condition as a Column, or a clear error naming the rule and the columns it may use."""
    try:
        column = F.expr(condition)
        dtype = summary.select(column.alias("_c")).schema["_c"].dataType
    except AnalysisException as exc:
        raise AnalyticsError(
            f"analytics.segment_rules.{rule}: cannot evaluate {condition!r} on a segment's means "
            f"(columns: {', '.join(summary.columns)}): {str(exc).splitlines()[0]}") from None
    if not isinstance(dtype, BooleanType):
        raise AnalyticsError(f"analytics.segment_rules.{rule}: {condition!r} is not a true/false condition")
    return column
