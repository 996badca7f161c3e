"""Figures logged with a forecast run: forecast vs actual for the top series, feature importances,
and the backtest accuracy of the model beside its baselines (matplotlib, no display needed)."""
from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from shoplake.ml.forecast.metrics import METRICS


def forecast_figure(actuals: pd.DataFrame, backtests: pd.DataFrame, future: pd.DataFrame, title: str) -> Figure:
    """One panel per series: actuals, each backtest fold's forecast, and the forecast with its interval.

    ``actuals``: series_id, date, y; ``backtests``: series_id, fold, target_date, forecast;
    ``future``: series_id, date, forecast, lower, upper.
    """
    names = list(dict.fromkeys(actuals["series_id"]))
    columns = min(2, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    figure = Figure(figsize=(6 * columns, 2.6 * rows))
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        seen = actuals[actuals.series_id == name].sort_values("date")
        ax.plot(seen["date"], seen["y"], color="black", linewidth=1, label="actual")
        for fold, part in backtests[backtests.series_id == name].groupby("fold"):
            part = part.sort_values("target_date")
            ax.plot(part["target_date"], part["forecast"], color="tab:blue", linewidth=1.2,
                    label="backtest forecast" if fold == 0 else None)
        ahead = future[future.series_id == name].sort_values("date")
        ax.plot(ahead["date"], ahead["forecast"], color="tab:orange", linewidth=1.5, label="forecast")
        ax.fill_between(ahead["date"], ahead["lower"], ahead["upper"], color="tab:orange", alpha=0.25,
                        label="interval")
        ax.set_title(str(name), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        axes[0].legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def importance_figure(importances: dict[str, float]) -> Figure:
    """Horizontal bars of the GBT feature importances, largest on top."""
    names, values = list(importances)[::-1], list(importances.values())[::-1]
    figure = Figure(figsize=(6, 0.25 * len(names) + 1))
    ax = figure.subplots()
    ax.barh(names, values)
    ax.set_xlabel("importance")
    figure.tight_layout()
    return figure


def accuracy_figure(overall: dict, models: list[str]) -> Figure:
    """Backtest WAPE, sMAPE, RMSE and MASE of each model, side by side."""
    figure = Figure(figsize=(8, 3.5))
    axes = figure.subplots(1, len(METRICS))
    for ax, metric in zip(axes, METRICS):
        ax.bar(models, [overall.get(f"{m}_{metric}") or 0.0 for m in models], color=["tab:blue", "grey", "silver"])
        ax.set_title(metric.upper())
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    figure.tight_layout()
    return figure
