"""The report's own figures (matplotlib ``Figure`` objects, no display needed) and their PNG bytes.

Each takes the few aggregated rows a section computed in Spark. The cohort heatmap and the
anomaly timeline are the analytics figures (:mod:`shoplake.analytics.plots`).
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

DPI = 90


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def funnel_figure(steps: Sequence[tuple[str, int]], daily: Sequence[Mapping]) -> Figure:
    """Sessions reaching each funnel step, and the share of sessions that bought, per day."""
    figure = Figure(figsize=(11, 3.8))
    bars, line = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    names, values = [s for s, _ in steps], [v for _, v in steps]
    drawn = bars.bar(names, values, color="tab:blue")
    for bar, value in zip(drawn, values):
        share = value / values[0] if values[0] else 0
        bars.annotate(f"{share:.1%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                      va="bottom", fontsize=8)
    bars.set_ylabel("sessions")
    bars.set_title("sessions reaching each step (share of all sessions)")
    bars.tick_params(axis="x", labelrotation=15)
    line.plot([d["date"] for d in daily], [d["conversion"] for d in daily], color="tab:blue")
    line.set_ylabel("sessions with a purchase")
    line.set_title("purchase conversion per day")
    line.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def shares_figure(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str) -> Figure:
    """Grouped horizontal bars of shares (0..1), one group per label and one bar per series."""
    figure = Figure(figsize=(9, 0.45 * len(labels) * max(1, len(series) / 2) + 1.6))
    axes = figure.subplots()
    height = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        axes.barh([y + i * height for y in range(len(labels))], values, height, label=name)
    axes.set_yticks([y + height * (len(series) - 1) / 2 for y in range(len(labels))], labels, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def bars_figure(labels: Sequence[str], values: Sequence[float], xlabel: str, title: str) -> Figure:
    """Horizontal bars, largest first as given."""
    figure = Figure(figsize=(9, 0.35 * len(labels) + 1.4))
    axes = figure.subplots()
    axes.barh(range(len(labels)), values, color="tab:blue")
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    figure.tight_layout()
    return figure


def forecast_figure(panels: Sequence[Mapping]) -> Figure:
    """One panel per item: daily units sold (actual) and the forecast with its interval.

    Each panel maps ``title``, ``actual`` ([(date, units)]) and ``forecast`` ([(date, forecast, lower, upper)]).
    """
    columns = 2 if len(panels) > 1 else 1
    grid = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(11, 3 * grid))
    axes = figure.subplots(grid, columns, squeeze=False).ravel()
    for ax, panel in zip(axes, panels):
        if panel["actual"]:
            ax.plot(*zip(*panel["actual"]), color="black", linewidth=1, label="actual")
        if panel["forecast"]:
            dates, forecast, lower, upper = zip(*panel["forecast"])
            if all(v is not None for v in lower + upper):
                ax.fill_between(dates, lower, upper, color="tab:blue", alpha=0.2, label="interval")
            ax.plot(dates, forecast, color="tab:blue", linewidth=1.5, label="forecast")
        ax.set_title(panel["title"], fontsize=9)
        ax.set_ylabel("units")
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.legend(fontsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    figure.tight_layout()
    return figure


def stacked_figure(labels: Sequence[str], series: Mapping[str, Sequence[float]], xlabel: str, title: str,
                   colors: Mapping[str, str]) -> Figure:
    """Horizontal stacked bars, one bar per label, one segment per series."""
    figure = Figure(figsize=(9, 0.35 * len(labels) + 1.6))
    axes = figure.subplots()
    left = [0.0] * len(labels)
    for name, values in series.items():
        axes.barh(range(len(labels)), values, left=left, label=name, color=colors.get(name))
        left = [a + b for a, b in zip(left, values)]
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
