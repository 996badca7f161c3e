"""The registration gate: a model must beat its classical baseline on the held-out test split, and reach its floors."""
from __future__ import annotations

from shoplake.dl.classifier import gate_failures

MODEL = {"test_macro_f1": 0.66, "test_auc_pos_neg": 0.97}
BASELINE = {"test_macro_f1": 0.61, "test_auc_pos_neg": 0.98}


def test_a_model_that_beats_its_baseline_on_the_gated_metric_passes():
    assert gate_failures(MODEL, BASELINE, ("test_macro_f1",), {}) == []


def test_a_model_that_loses_or_only_ties_does_not_pass_and_the_reason_names_both_figures():
    assert gate_failures(MODEL, BASELINE, ("test_macro_f1", "test_auc_pos_neg"), {}) == [
        "test_auc_pos_neg 0.9700 does not beat the baseline's 0.9800"]
    assert gate_failures(BASELINE, BASELINE, ("test_macro_f1",), {}) == [
        "test_macro_f1 0.6100 does not beat the baseline's 0.6100"]


def test_a_missing_or_nan_figure_never_passes():
    assert gate_failures({"test_macro_f1": float("nan")}, BASELINE, ("test_macro_f1",), {}) == [
        "test_macro_f1 nan does not beat the baseline's 0.6100"]
    assert gate_failures(MODEL, {}, ("test_macro_f1",), {}) == ["test_macro_f1 0.6600 does not beat the baseline's nan"]


def test_floors_apply_beside_the_baseline_and_each_missed_one_is_named():
    failures = gate_failures(MODEL, BASELINE, ("test_macro_f1",), {"test_macro_f1": 0.70, "test_auc_pos_neg": 0.93})
    assert failures == ["test_macro_f1 0.6600 is below 0.7"]


def test_with_nothing_to_beat_and_no_floors_every_model_passes():
    assert gate_failures({}, {}, (), {}) == []
