"""The direct multi-horizon strategy: one row per origin and step, the step itself a feature.

Each origin row of :func:`~shoplake.ml.forecast.features.origin_features` becomes ``horizon``
rows, one per step ``h``, with the calendar of ``t + h``, the seasonal features of that step,
``periods_left`` (from the origin to the series' end),
the actual value at ``t + h`` when it is known (``actual``) and the model's label
``actual / scale``. A prediction is turned back into units by :func:`to_units`.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.calendar import add_periods
from shoplake.ml.forecast.features import calendar_features, feature_columns
from shoplake.ml.forecast.series import DATE, SERIES_ID

ORIGIN, STEP, TARGET_DATE, ACTUAL, LABEL = "origin", "horizon", "target_date", "actual", "label"


def stack_horizons(origins: DataFrame, fs: ForecastSettings) -> DataFrame:
    """Origins × steps ``1..horizon``: features, ``actual`` (null past the data) and ``label``."""
    stepped = origins.select("*", F.explode(F.sequence(F.lit(1), F.lit(fs.horizon))).alias(STEP))
    target_date = add_periods(F.col(DATE), F.col(STEP), fs.frequency)
    step_value = {name: F.element_at(name, F.col(STEP)) for name in ("seasonal_last", "seasonal_mean")}
    actual = F.try_element_at("future", F.col(STEP))
    rows = stepped.select(
        SERIES_ID, "category", F.col(DATE).alias(ORIGIN), target_date.alias(TARGET_DATE), F.col(STEP), "periods_left",
        "scale",
        *[c for c in origins.columns if c.startswith(("lag_", "mean_", "std_"))],
        *[(value / F.col("scale")).alias(name) for name, value in step_value.items()],
        "nonzero_share", "periods_since_nonzero", "level_ratio", "log_scale", "price", "relative_price", "promotion",
        actual.alias(ACTUAL),
    )
    rows = rows.select("*", *calendar_features(F.col(TARGET_DATE), fs))
    return rows.withColumn(LABEL, F.col(ACTUAL) / F.col("scale")).withColumn(STEP, F.col(STEP).cast("double"))


def to_units(scaled_prediction: Column) -> Column:
    """A scaled prediction back in the series' units, never below zero."""
    return F.greatest(scaled_prediction, F.lit(0.0)) * F.col("scale")


def model_inputs(fs: ForecastSettings) -> list[str]:
    """The columns of a stacked row the model reads."""
    return feature_columns(fs) + ["category"]
