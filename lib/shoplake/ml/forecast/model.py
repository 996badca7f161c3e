"""The forecasting model: category index, feature vector and one global ``GBTRegressor``."""
from __future__ import annotations

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import StringIndexer, VectorAssembler
from pyspark.ml.regression import GBTRegressor
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config.settings import ForecastSettings
from shoplake.log import get_logger
from shoplake.ml.forecast.features import CATEGORICAL, feature_columns
from shoplake.ml.forecast.strategy import LABEL, to_units

log = get_logger(__name__)
FEATURES, SCALED_PREDICTION, FORECAST = "features", "scaled_prediction", "forecast"


def fit_model(rows: DataFrame, fs: ForecastSettings) -> PipelineModel:
    """Fit the pipeline on labelled stacked rows, sampled down to ``max_training_rows``."""
    total = rows.count()
    if total > fs.max_training_rows:
        rows = rows.sample(fraction=fs.max_training_rows / total, seed=fs.seed)
        log.info("training on a %.0f%% sample of %d rows (forecast.max_training_rows=%d)",
                 100 * fs.max_training_rows / total, total, fs.max_training_rows)
    indexers = [StringIndexer(inputCol=c, outputCol=f"{c}_index", handleInvalid="keep").fit(rows) for c in CATEGORICAL]
    levels = max(len(i.labels) + 1 for i in indexers)
    assembler = VectorAssembler(inputCols=feature_columns(fs) + [f"{c}_index" for c in CATEGORICAL],
                                outputCol=FEATURES)
    gbt = GBTRegressor(featuresCol=FEATURES, labelCol=LABEL, predictionCol=SCALED_PREDICTION, lossType=fs.loss,
                       maxIter=fs.max_iter, maxDepth=fs.max_depth, stepSize=fs.step_size,
                       subsamplingRate=fs.subsampling_rate, minInstancesPerNode=fs.min_instances_per_node,
                       maxBins=max(fs.max_bins, levels), seed=fs.seed)
    return Pipeline(stages=[*indexers, assembler, gbt]).fit(rows)


def predict(model: PipelineModel, rows: DataFrame) -> DataFrame:
    """``rows`` with ``forecast`` in the series' units (the model's scaled prediction times ``scale``)."""
    scored = model.transform(rows)
    return scored.withColumn(FORECAST, to_units(F.col(SCALED_PREDICTION))).drop(
        FEATURES, SCALED_PREDICTION, *[f"{c}_index" for c in CATEGORICAL])


def feature_importances(model: PipelineModel, fs: ForecastSettings) -> dict[str, float]:
    """The GBT's feature importances by feature name, largest first."""
    names = feature_columns(fs) + list(CATEGORICAL)
    weights = model.stages[-1].featureImportances.toArray()
    return dict(sorted(zip(names, map(float, weights)), key=lambda item: -item[1]))
