"""Features at each origin, built with window functions over a series' filled calendar.

Everything here is known at the origin ``t``: values up to ``t`` (never after), the price and
promotion last seen, and the series' level. Values are divided by ``scale``, the mean of the
longest rolling window (falling back to the mean so far, then 1), so one model fits series of
any size. ``seasonal_last``/``seasonal_mean`` are arrays over the steps ``h = 1..horizon``: the
latest value in the same season as ``t + h`` and the mean of ``seasonal_cycles`` such values.
"""
from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET

CATEGORICAL = ("category",)


def history_length(fs: ForecastSettings) -> int:
    """Periods of history a full feature row needs: the longest lag, window or run of past seasons."""
    return max(max(fs.lags), max(fs.windows), fs.season_length * fs.seasonal_cycles)


def calendar_columns(fs: ForecastSettings) -> list[str]:
    """Calendar features of the target period: weekday, day, month and holiday (daily), else its month."""
    return ["day_of_week", "day_of_month", "month", "is_holiday"] if fs.frequency == "day" else ["month"]


def feature_columns(fs: ForecastSettings) -> list[str]:
    """Numeric model inputs, in the order the model sees them (categorical encodings follow)."""
    return ([f"lag_{k}" for k in fs.lags] + [f"{stat}_{w}" for w in fs.windows for stat in ("mean", "std")]
            + ["seasonal_last", "seasonal_mean", "nonzero_share", "periods_since_nonzero", "level_ratio", "log_scale",
               "price", "relative_price", "promotion", "horizon"] + calendar_columns(fs))


def origin_features(filled: DataFrame, fs: ForecastSettings) -> DataFrame:
    """One row per series and origin with a full history: scaled features, ``scale`` and the next values.

    Keeps ``y`` (the value at the origin, the naive forecast), ``periods_left`` (to the series'
    end) and ``future`` (the values at ``t + 1 .. t + horizon`` that exist) for labels and backtests.
    """
    length, longest = history_length(fs), max(fs.windows)
    ordered = Window.partitionBy(SERIES_ID).orderBy(DATE)

    def last(n: int) -> Window:
        return ordered.rowsBetween(-(n - 1), 0)

    recent_mean = F.avg(TARGET).over(last(longest))
    mean_so_far = F.avg(TARGET).over(ordered.rowsBetween(Window.unboundedPreceding, 0))
    last_nonzero = F.last(F.when(F.col(TARGET) > 0, F.col("t")), ignorenulls=True).over(
        ordered.rowsBetween(Window.unboundedPreceding, 0))
    usual_price = F.coalesce("list_price", F.avg("price").over(last(longest)))
    with_history = filled.select(
        SERIES_ID, DATE, "category", TARGET, "t", "periods_left",
        F.collect_list(TARGET).over(last(length)).alias("history"),
        F.collect_list(TARGET).over(ordered.rowsBetween(1, fs.horizon)).alias("future"),
        F.coalesce(F.nullif(recent_mean, F.lit(0.0)), F.nullif(mean_so_far, F.lit(0.0)), F.lit(1.0)).alias("scale"),
        mean_so_far.alias("mean_so_far"),
        *[F.avg(TARGET).over(last(w)).alias(f"raw_mean_{w}") for w in fs.windows],
        *[F.stddev_samp(TARGET).over(last(w)).alias(f"raw_std_{w}") for w in fs.windows],
        F.avg((F.col(TARGET) > 0).cast("double")).over(last(longest)).alias("nonzero_share"),
        (F.col("t") - F.coalesce(last_nonzero, F.lit(-1))).cast("double").alias("periods_since_nonzero"),
        F.coalesce("price", F.lit(0.0)).alias("price"),
        F.coalesce(F.try_divide("price", usual_price), F.lit(1.0)).alias("relative_price"),
        F.col("promotion").cast("double").alias("promotion"),
    ).filter(F.col("t") >= length - 1)
    scale = F.col("scale")
    return with_history.select(
        SERIES_ID, DATE, "category", TARGET, "periods_left", "scale", "future",
        *[(F.element_at("history", -k) / scale).alias(f"lag_{k}") for k in fs.lags],
        *[(F.col(f"raw_{stat}_{w}") / scale).alias(f"{stat}_{w}") for w in fs.windows for stat in ("mean", "std")],
        _seasonal_array(fs, cycles=1).alias("seasonal_last"),
        _seasonal_array(fs, cycles=fs.seasonal_cycles).alias("seasonal_mean"),
        "nonzero_share", "periods_since_nonzero",
        (F.col("mean_so_far") / scale).alias("level_ratio"), F.log1p(scale).alias("log_scale"),
        "price", "relative_price", "promotion",
    )


def seasonal_offset(h: int, season_length: int) -> int:
    """How many periods before the origin the latest value in the same season as ``t + h`` lies."""
    return -(-h // season_length) * season_length - h


def _seasonal_array(fs: ForecastSettings, cycles: int) -> Column:
    """Per step h: the mean of the last ``cycles`` values in the season of ``t + h`` (unscaled)."""
    steps = []
    for h in range(1, fs.horizon + 1):
        offset = seasonal_offset(h, fs.season_length)
        values = [F.element_at("history", -(offset + 1 + fs.season_length * c)) for c in range(cycles)]
        steps.append(sum(values[1:], values[0]) / cycles)
    return F.array(*steps)


def calendar_features(target_date: Column, fs: ForecastSettings) -> list[Column]:
    """The calendar of the target period, named as in :func:`calendar_columns`."""
    if fs.frequency != "day":
        return [F.month(target_date).cast("double").alias("month")]
    recurring = [h for h in fs.holidays if len(h) == 5]
    dated = [date.fromisoformat(h) for h in fs.holidays if len(h) == 10]
    holiday = F.date_format(target_date, "MM-dd").isin(recurring) | target_date.isin(dated) if fs.holidays else F.lit(False)
    return [F.dayofweek(target_date).cast("double").alias("day_of_week"),
            F.dayofmonth(target_date).cast("double").alias("day_of_month"),
            F.month(target_date).cast("double").alias("month"), holiday.cast("double").alias("is_holiday")]
