"""Held-out metrics and plots of the deep-learning models."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from shoplake.dl.metrics import auc_between, classification_metrics, confusion_figure, history_figure


def test_accuracy_and_macro_f1_of_the_most_probable_class():
    labels = np.array([0, 0, 1, 2])
    probs = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .8, .1], [.1, .1, .8]])
    metrics = classification_metrics(labels, probs)
    assert metrics["accuracy"] == 0.75
    # F1: class 0 = 2/3 (p 1, r .5), class 1 = 2/3 (p .5, r 1), class 2 = 1
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_auc_between_two_classes_ignores_the_others():
    labels = np.array([0, 0, 2, 2, 1])
    probs = np.array([[.9, 0, .1], [.4, 0, .6], [.3, 0, .7], [.2, 0, .8], [0, 1, 0]])
    assert auc_between(labels, probs, 0, 2) == 1.0
    flipped = probs[:, [2, 1, 0]]
    assert auc_between(labels, flipped, 0, 2) == 0.0
    assert np.isnan(auc_between(np.array([2, 2]), probs[:2], 0, 2))


def test_confusion_and_history_figures_are_drawn():
    labels = np.array([0, 1, 1])
    probs = np.array([[1, 0], [1, 0], [0, 1]])
    figure = confusion_figure(labels, probs, ("a", "b"), "test")
    assert isinstance(figure, Figure)
    texts = sorted(t.get_text() for t in figure.axes[0].texts)
    assert texts == ["0", "1", "1", "1"]
    history = history_figure([{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}], ("train_loss",), "t")
    assert list(history.axes[0].lines[0].get_ydata()) == [1.0, 0.5]
