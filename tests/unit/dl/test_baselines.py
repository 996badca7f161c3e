"""The classical baselines: TF-IDF + logistic regression on texts, logistic regression on pixels."""
from __future__ import annotations

import numpy as np
import pandas as pd

from shoplake.dl.baselines import pixel_logreg, tfidf_logreg

WORDS = {0: "awful ripped returned it", 1: "okay fits fine average", 2: "love it great dress"}


def _texts(labels, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.permutation(WORDS[label].split())) + " the fabric" for label in labels]
    return pd.DataFrame({"label": labels, "review_text": texts})


def test_tfidf_logreg_learns_which_words_go_with_which_class():
    train, test = _texts([0, 1, 2] * 10, 1), _texts([2, 0, 1, 2], 2)
    probs = tfidf_logreg("review_text").probabilities(train, test, 3)
    assert probs.shape == (4, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert probs.argmax(axis=1).tolist() == [2, 0, 1, 2]


def test_a_class_absent_from_training_gets_probability_zero():
    probs = tfidf_logreg("review_text").probabilities(_texts([0, 2] * 10, 1), _texts([0, 2], 2), 3)
    assert probs.shape == (2, 3) and (probs[:, 1] == 0).all() and probs.argmax(axis=1).tolist() == [0, 2]


def test_pixel_logreg_reads_one_array_per_row():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    pixels = [rng.random(16) * 0.3 + (0.6 if label else 0.0) for label in labels]  # class 1 images are brighter
    rows = pd.DataFrame({"label": labels, "pixels": pixels})
    probs = pixel_logreg("pixels").probabilities(rows[:40], rows[40:], 2)
    assert probs.shape == (20, 2)
    assert (probs.argmax(axis=1) == labels[40:]).all()
