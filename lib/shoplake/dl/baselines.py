"""The classical baselines a deep-learning model must beat: what a practitioner would try first.

A :class:`Baseline` reads one plain column of the same train and test rows the network sees and
returns class probabilities of the test rows. :func:`tfidf_logreg` is word and bigram TF-IDF with
logistic regression (review sentiment, classes weighed like the network's loss), :func:`pixel_logreg`
logistic regression on the raw pixels (product images).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from sklearn.base import ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline


@dataclass(frozen=True)
class Baseline:
    """A named quick model of ``column``; ``make()`` builds a fresh scikit-learn classifier.

    ``stacked``: the column holds an array per row, stacked into a matrix for the model.
    """

    name: str
    column: str
    make: Callable[[], ClassifierMixin]
    stacked: bool = False

    def probabilities(self, train: pd.DataFrame, test: pd.DataFrame, classes: int) -> np.ndarray:
        """Fit on ``train`` (``label`` and :attr:`column`); ``test`` rows x ``classes`` probabilities.

        A class absent from the training rows gets probability 0.
        """
        model = self.make().fit(self._inputs(train), train["label"].to_numpy())
        probs = np.zeros((len(test), classes))
        probs[:, model.classes_] = model.predict_proba(self._inputs(test))
        return probs

    def _inputs(self, rows: pd.DataFrame):
        return np.stack(rows[self.column].to_numpy()) if self.stacked else rows[self.column]


def tfidf_logreg(column: str) -> Baseline:
    """TF-IDF of the words and word pairs of ``column`` (sublinear, in at least 2 texts), then logistic
    regression with balanced class weights."""
    return Baseline("tfidf_logreg", column, lambda: make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=1000, class_weight="balanced")))


def pixel_logreg(column: str) -> Baseline:
    """Multinomial logistic regression on the raw pixel values of ``column`` (an array per row)."""
    return Baseline("pixel_logreg", column, lambda: LogisticRegression(max_iter=200), stacked=True)


def baseline_frames(train: DataFrame, test: DataFrame, baseline: Baseline) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``label`` and the baseline's column of the train and the test rows, on the driver."""
    return tuple(split.select("label", baseline.column).toPandas() for split in (train, test))
