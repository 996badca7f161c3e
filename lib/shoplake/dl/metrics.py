"""Classification metrics of held-out predictions and the confusion-matrix plot."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score


def classification_metrics(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 of the most probable class."""
    predicted = probs.argmax(axis=1)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, average="macro", labels=range(probs.shape[1]), zero_division=0)),
    }


def auc_between(labels: np.ndarray, probs: np.ndarray, negative: int, positive: int) -> float:
    """ROC AUC of ``positive`` against ``negative`` on the rows labelled with one of the two.

    The score is P(positive) / (P(positive) + P(negative)); NaN when one of the classes is absent.
    """
    rows = np.isin(labels, (negative, positive))
    if len(np.unique(labels[rows])) < 2:
        return float("nan")
    score = probs[rows, positive] / np.clip(probs[rows, positive] + probs[rows, negative], 1e-12, None)
    return float(roc_auc_score(labels[rows] == positive, score))


def confusion_figure(labels: np.ndarray, probs: np.ndarray, class_names: Sequence[str], title: str) -> Figure:
    """Confusion matrix (rows: true class, columns: predicted), counts and row shares."""
    matrix = confusion_matrix(labels, probs.argmax(axis=1), labels=range(len(class_names)))
    shares = matrix / np.clip(matrix.sum(axis=1, keepdims=True), 1, None)
    size = max(4.0, 0.55 * len(class_names) + 2)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.subplots()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, label="share of the true class")
    for (row, col), count in np.ndenumerate(matrix):
        axes.text(col, row, str(count), ha="center", va="center", fontsize=8,
                  color="white" if shares[row, col] > 0.6 else "black")
    axes.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axes.set_yticks(range(len(class_names)), class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def history_figure(history: Sequence[dict[str, float]], metrics: Sequence[str], title: str) -> Figure:
    """Per-epoch curves of the named metrics (those present in the records)."""
    figure = Figure(figsize=(6, 3.5))
    axes = figure.subplots()
    epochs = [record["epoch"] for record in history]
    for name in metrics:
        if all(name in record for record in history):
            axes.plot(epochs, [record[name] for record in history], marker="o", label=name)
    axes.set_xlabel("epoch")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    return figure
