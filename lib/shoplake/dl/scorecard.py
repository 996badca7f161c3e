"""The gate's record in MLflow, read back: a registered model's held-out figures beside its baseline's,
and what the latest training run of a family was told.

:func:`fit_classifier <shoplake.dl.classifier.fit_classifier>` logs ``test_*``, ``baseline_test_*``
and ``margin_test_*`` metrics, the ``baseline`` param and the ``gate`` tag (``passed`` or why not);
the report and the scoring steps read them here.
"""
from __future__ import annotations

from dataclasses import dataclass

from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from shoplake.config import Settings
from shoplake.config.settings import MlflowSettings
from shoplake import tracking

LABELS = {"test_macro_f1": "macro-F1", "test_auc_pos_neg": "AUC, positive vs negative", "test_accuracy": "accuracy"}


@dataclass(frozen=True)
class Scorecard:
    """``metric -> (model, baseline)`` on the held-out test split of one training run, and the baseline's name."""

    run_id: str
    baseline: str
    figures: dict[str, tuple[float, float]]


def training_run(store: MlflowSettings, model: str) -> Run | None:
    """The MLflow run that trained registered model ``model`` (``name/version``); None if the registry has no such version."""
    name, _, version = model.rpartition("/")
    client = tracking.use_tracking_store(store)
    try:
        return client.get_run(client.get_model_version(name, version).run_id)
    except MlflowException:
        return None


def scorecard(settings: Settings, model: str) -> Scorecard | None:
    """The held-out figures of registered model ``model`` (``name/version``) and its baseline; None when unknown."""
    run = training_run(settings.mlflow, model)
    if run is None or "baseline" not in run.data.params:
        return None
    metrics = run.data.metrics
    figures = {name: (metrics[name], metrics[f"baseline_{name}"]) for name in LABELS
               if name in metrics and f"baseline_{name}" in metrics}
    return Scorecard(run.info.run_id, run.data.params["baseline"], figures)


def latest_gate(store: MlflowSettings, family: str) -> str:
    """What the gate of the family's latest training run said, as a clause (or that there is no such run)."""
    client = tracking.use_tracking_store(store)
    experiment = client.get_experiment_by_name(tracking.experiment_name(store, family))
    runs = [] if experiment is None else client.search_runs(
        [experiment.experiment_id], f"attributes.run_name = 'train_{family}'", order_by=["attributes.start_time DESC"],
        max_results=1)
    if not runs:
        return f"no train_{family} run yet"
    gate = runs[0].data.tags.get("gate", "unknown")
    outcome = "passed its gate" if gate == "passed" else f"was not registered: {gate}"
    return f"the latest train_{family} run ({runs[0].info.run_id}) {outcome}"
