"""Figures logged with a forecast run: forecast vs actual for the top series (each by its chosen family), the
share of series each family won, the GBT's feature importances, and every family's backtest accuracy
(matplotlib, no display needed)."""
from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure

from shoplake.ml.forecast.metrics import METRICS


def forecast_figure(actuals: pd.DataFrame, backtests: pd.DataFrame, future: pd.DataFrame, title: str) -> Figure:
    """One panel per series: actuals, each backtest fold's forecast, and the forecast with its interval.

    ``actuals``: series_id, date, y; ``backtests``: series_id, fold, target_date, forecast;
    ``future``: series_id, date, family, forecast, lower, upper.
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
        family = ahead["family"].iloc[0] if len(ahead) else "no forecast"
        ax.set_title(f"{name} ({family})", fontsize=9)
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


def won_figure(won: dict[str, float]) -> Figure:
    """Horizontal bars: the share of series each family won in the backtest."""
    figure = Figure(figsize=(6, 0.35 * len(won) + 1.2))
    ax = figure.subplots()
    ax.barh(list(won)[::-1], [100 * share for share in list(won.values())[::-1]], color="tab:blue")
    ax.set_xlabel("% of series won in the backtest")
    figure.tight_layout()
    return figure


def accuracy_figure(overall: dict, models: list[str]) -> Figure:
    """Backtest WAPE, sMAPE, RMSE and MASE of each family and of the selected forecast, side by side."""
    figure = Figure(figsize=(max(8, 0.9 * len(models) * len(METRICS) / 2), 3.8))
    axes = figure.subplots(1, len(METRICS))
    colours = ["tab:orange" if m == "selected" else "tab:blue" for m in models]
    for ax, metric in zip(axes, METRICS):
        ax.bar(models, [overall.get(f"{m}_{metric}") or 0.0 for m in models], color=colours)
        ax.set_title(metric.upper())
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    figure.tight_layout()
    return figure
