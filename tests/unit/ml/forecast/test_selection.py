"""Choosing each series' family by backtest: the default family, the margin to leave it, failed families, and the
honest score of the choice (a fold's forecast from the family chosen on the folds before it)."""
import pytest

from shoplake.ml.forecast.selection import (MARGINS, best_margin, margin_scores, scored_folds, selected_rows, winners,
                                            won_shares)

SCORES = "series_id string, fold int, family string, mase double, mae double, failed boolean, abs_error double, " \
         "volume double"
# over all series, ets is best on average (mean 1.0 vs 1.2 vs 1.5); series b is much better with arima,
# series c only slightly better with theta; series d has no MASE scale (MAE decides) and theta failed on it
ROWS = [
    ("a", 0, "ets", 1.0, 1.0, False), ("a", 0, "arima", 1.5, 1.5, False), ("a", 0, "theta", 1.2, 1.2, False),
    ("b", 0, "ets", 1.0, 1.0, False), ("b", 0, "arima", 0.5, 0.5, False), ("b", 0, "theta", 1.2, 1.2, False),
    ("c", 0, "ets", 1.0, 1.0, False), ("c", 0, "arima", 2.5, 2.5, False), ("c", 0, "theta", 0.95, 0.95, False),
    ("d", 0, "ets", None, 3.0, False), ("d", 0, "arima", None, 2.0, False), ("d", 0, "theta", None, None, True),
    ("a", 1, "ets", 3.0, 3.0, False), ("a", 1, "arima", 1.0, 1.0, False), ("a", 1, "theta", 1.0, 1.0, False),
]


@pytest.fixture(scope="module")
def scores(spark):
    # every series-fold has a volume of 10, so the pooled WAPE ranks families by their summed MAE
    return spark.createDataFrame([(*row, None if row[4] is None else 10 * row[4], 10.0) for row in ROWS], SCORES)


def _chosen(frame) -> dict:
    return {r.series_id: r.family for r in frame.collect()}


def test_every_series_goes_to_its_own_best_family_without_a_margin(scores):
    chosen = _chosen(winners(scores.filter("fold = 0"), ["ets", "arima", "theta"]))
    assert chosen == {"a": "ets", "b": "arima", "c": "theta", "d": "arima"}


def test_a_series_leaves_the_best_family_overall_only_for_a_clearly_better_one(scores):
    chosen = _chosen(winners(scores.filter("fold = 0"), ["ets", "arima", "theta"], margin=0.2))
    assert chosen == {"a": "ets", "b": "arima", "c": "ets", "d": "arima"}  # c: 0.95 is not 20 % below 1.0


def test_the_best_family_overall_is_the_one_with_the_lowest_pooled_error_not_the_lowest_mean_mase(spark):
    rows = [("big", 0, "x", 1.0, 10.0, False, 100.0, 100.0), ("big", 0, "y", 0.5, 5.0, False, 50.0, 100.0),
            ("tiny", 0, "x", 0.1, 0.1, False, 1.0, 1.0), ("tiny", 0, "y", 3.0, 3.0, False, 30.0, 1.0)]
    chosen = _chosen(winners(spark.createDataFrame(rows, SCORES), ["x", "y"], margin=1.0))
    assert chosen == {"big": "y", "tiny": "y"}  # x's mean MASE (0.55) is lower, but y's WAPE is: 80/101 < 101/101


def test_a_family_that_failed_a_fold_cannot_win_that_series(scores):
    failing = scores.filter("not (series_id = 'd' and family = 'arima')")
    assert _chosen(winners(failing.filter("fold = 0"), ["ets", "arima", "theta"]))["d"] == "ets"  # theta failed


def test_the_score_of_a_series_is_its_mean_over_folds_and_only_earlier_folds_count_when_asked(scores):
    assert _chosen(winners(scores, ["ets", "arima", "theta"]))["a"] == "theta"  # 1.1 beside arima 1.25, ets 2.0
    assert _chosen(winners(scores, ["ets", "arima", "theta"], before=1))["a"] == "ets"


def test_the_selected_forecast_of_a_fold_comes_from_the_choice_before_it(spark, scores):
    rows = spark.createDataFrame(
        [(s, f, fam, float(i)) for i, (s, f, fam, *_) in enumerate(ROWS)],
        "series_id string, fold int, family string, forecast double")
    selected = selected_rows(rows, scores, ["ets", "arima", "theta"], folds=2, margins={1: 0.0}).collect()
    # fold 1 holds only series a; on fold 0 alone, a's best family is ets
    assert [(r.series_id, r.fold, r.family, r.chosen) for r in selected] == [("a", 1, "selected", "ets")]
    assert selected[0].forecast == 12.0  # the ets row of series a, fold 1


def test_scored_folds_and_won_shares(spark, scores):
    assert scored_folds(3) == [1, 2] and scored_folds(1) == [0]
    shares = won_shares(winners(scores.filter("fold = 0"), ["ets", "arima", "theta"]))
    assert shares == {"arima": 0.5, "ets": 0.25, "theta": 0.25}


def test_each_margin_is_scored_by_the_fold_after_its_choices(scores):
    table = margin_scores(scores, ["ets", "arima", "theta"], folds=2, default=0.25)
    assert set(table) == {(1, m) for m in (*MARGINS, 0.25)}
    # fold 1 holds series a only; on fold 0, a's own best family and the best overall are both ets: 3.0 at any margin
    assert set(table.values()) == {3.0}
    assert margin_scores(scores, ["ets", "arima", "theta"], folds=1, default=0.5) == {}


def test_the_best_margin_is_the_lowest_mean_over_the_folds_seen_when_clearly_below_the_default():
    table = {(1, m): 1.0 for m in MARGINS} | {(2, m): 1.0 for m in MARGINS}
    table[(1, 0.0)], table[(2, 0.0)], table[(2, 0.5)] = 0.5, 2.0, 0.1
    assert best_margin(table, 0.5) == 0.5  # mean 0.55 beats 0's 1.25 and the others' 1.0
    assert best_margin(table, 0.5, before=2) == 0.0  # fold 1 alone: 0 scored 0.5
    assert best_margin(table, 0.3, before=1) == 0.3 and best_margin({}, 0.2) == 0.2
    assert best_margin({(1, m): 1.0 for m in MARGINS}, 0.3) == 0.3  # a tie keeps the default
    assert best_margin({(1, m): 0.97 if m == 0.0 else 1.0 for m in MARGINS}, 0.5) == 0.5  # 3 % lower: not enough
