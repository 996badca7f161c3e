"""Figures of the analyses (matplotlib ``Figure`` objects, no display needed), logged to MLflow.

Each takes the few aggregated rows an analysis produced on the driver.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure


def funnel_figure(steps: Sequence[Mapping]) -> Figure:
    """Bars of the share of units reaching each step, one group per variant, step conversion on top."""
    variants = sorted({row["variant"] for row in steps})
    names = [row["step"] for row in sorted(steps, key=lambda r: r["step_index"]) if row["variant"] == variants[0]]
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    width = 0.8 / len(variants)
    for v, variant in enumerate(variants):
        rows = sorted((r for r in steps if r["variant"] == variant), key=lambda r: r["step_index"])
        x = [i + (v - (len(variants) - 1) / 2) * width for i in range(len(rows))]
        bars = axes.bar(x, [r["overall_conversion"] or 0 for r in rows], width, label=variant)
        for bar, row in zip(bars, rows):
            if row["step_conversion"] is not None:
                axes.annotate(f"{row['step_conversion']:.0%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                              ha="center", va="bottom", fontsize=8)
    axes.set_xticks(range(len(names)), names)
    axes.set_ylabel("share of units that viewed a product")
    axes.set_title("purchase funnel (labels: conversion from the previous step)")
    axes.legend()
    figure.tight_layout()
    return figure


def cohort_heatmap(cells: Sequence[Mapping], period: str) -> Figure:
    """Retention matrix: cohorts down, periods since the first purchase across."""
    cohorts = sorted({row["cohort"] for row in cells})
    periods = max(row["period"] for row in cells) + 1
    matrix = [[float("nan")] * periods for _ in cohorts]
    for row in cells:
        matrix[cohorts.index(row["cohort"])][row["period"]] = row["retention"]
    figure = Figure(figsize=(9, max(3, 0.35 * len(cohorts) + 1.5)))
    axes = figure.subplots()
    image = axes.imshow(matrix, aspect="auto", cmap="viridis", vmin=0, vmax=max(
        [v for r in matrix for v in r[1:] if v == v] or [1]))
    axes.set_yticks(range(len(cohorts)), [str(c) for c in cohorts], fontsize=7)
    axes.set_xlabel(f"{period}s since the first purchase")
    axes.set_ylabel(f"cohort ({period} of first purchase)")
    axes.set_title("share of each cohort purchasing again")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    return figure


def segments_figure(points: Sequence[Mapping], summary: Sequence[Mapping], silhouettes: Mapping[int, float]) -> Figure:
    """Recency against monetary value by segment, customer and revenue share per segment, silhouette per k."""
    figure = Figure(figsize=(14, 4.5))
    scatter, bars, curve = figure.subplots(1, 3)
    names = {row["segment"]: f"{row['segment']}: {row['segment_name']}" for row in summary}
    for segment in sorted(names):
        mine = [p for p in points if p["segment"] == segment]
        scatter.scatter([p["recency_days"] for p in mine], [max(p["monetary"], 0.01) for p in mine], s=6,
                        alpha=0.6, label=names[segment])
    scatter.set_yscale("log")
    scatter.set_xlabel("days since the last order")
    scatter.set_ylabel("money spent")
    scatter.legend(fontsize=7)
    ordered = sorted(summary, key=lambda r: r["segment"])
    x = range(len(ordered))
    bars.bar([i - 0.2 for i in x], [r["customer_share"] for r in ordered], 0.4, label="customers")
    bars.bar([i + 0.2 for i in x], [r["revenue_share"] for r in ordered], 0.4, label="revenue")
    bars.set_xticks(list(x), [names[r["segment"]] for r in ordered], rotation=30, ha="right", fontsize=7)
    bars.set_title("share of customers and revenue")
    bars.legend()
    ks = sorted(silhouettes)
    curve.plot(ks, [silhouettes[k] for k in ks], marker="o")
    curve.set_xlabel("k")
    curve.set_ylabel("silhouette")
    curve.set_title("KMeans: k chosen by silhouette")
    figure.tight_layout()
    return figure


def anomalies_figure(daily: Sequence[Mapping]) -> Figure:
    """Flagged orders per day, stacked by their main reason."""
    days = sorted({row["order_date"] for row in daily})
    reasons = sorted({row["reason"] for row in daily})
    figure = Figure(figsize=(10, 3.5))
    axes = figure.subplots()
    bottom = [0] * len(days)
    for reason in reasons:
        counts = {row["order_date"]: row["orders"] for row in daily if row["reason"] == reason}
        heights = [counts.get(day, 0) for day in days]
        axes.bar(days, heights, bottom=bottom, label=reason)
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_ylabel("flagged orders")
    axes.set_title("order anomalies over time, by main reason")
    axes.legend(fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def churn_figure(curves: Mapping[str, tuple[list[float], list[float]]], decile_rates: Sequence[float],
                 base_rate: float) -> Figure:
    """ROC curves of each scorer, and the churn rate of each model-score decile against the base rate."""
    figure = Figure(figsize=(10, 4))
    roc, lift = figure.subplots(1, 2)
    for name, (fpr, tpr) in curves.items():
        roc.plot(fpr, tpr, label=name)
    roc.plot([0, 1], [0, 1], linestyle=":", color="grey")
    roc.set_xlabel("false-positive rate")
    roc.set_ylabel("true-positive rate")
    roc.set_title("held-out ROC")
    roc.legend()
    lift.bar(range(1, len(decile_rates) + 1), decile_rates)
    lift.axhline(base_rate, linestyle="--", color="grey", label="base rate")
    lift.set_xlabel("model-score decile (1 = highest risk)")
    lift.set_ylabel("churn rate")
    lift.set_title("churn rate by risk decile")
    lift.legend()
    figure.tight_layout()
    return figure
