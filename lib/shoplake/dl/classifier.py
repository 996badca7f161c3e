"""Fit a classifier on lake data end to end: petastorm splits, training, held-out test, baseline, gate, MLflow.

Both deep-learning models go through :func:`fit_classifier`: the train, validation and test
DataFrames are materialised for petastorm (and removed afterwards), the model trains with
per-epoch checkpoints and validation metrics, the test split (never trained on) gives the
reported metrics and the confusion matrix, and a classical baseline fitted on the same train rows
is scored on the same test rows in the same run. The model is logged with its signature and
registered only when it passes its gate (:func:`gate_failures`): it beats the baseline on the
task's metrics (``dl.beat_baseline``) and reaches its floors (``dl.enforce_floors``).
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path

import mlflow
import numpy as np
import torch
from mlflow.models import infer_signature
from pyspark.sql import DataFrame
from torch import nn

from shoplake.config import Settings
from shoplake.config.settings import DlSettings, MlflowSettings
from shoplake.dl import checkpoints
from shoplake.dl.baselines import Baseline, baseline_frames
from shoplake.dl.buckets import LengthBuckets
from shoplake.dl.device import describe, pick_device
from shoplake.dl.metrics import classification_metrics, confusion_figure, history_figure
from shoplake.dl.petastorm_bridge import Batch, BatchSource, PetastormBatches, converted
from shoplake.dl.saved_model import ARTIFACT, load_logged_classifier, save_classifier, write_pyfunc_code
from shoplake.dl.skips import report_skips
from shoplake.dl.training import TrainSpec, predict, recalibrate_batchnorm, train
from shoplake.log import get_logger
from shoplake import tracking

log = get_logger(__name__)
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class ClassifierTask:
    """What is trained and how: inputs fed to the model, sizes, optimiser, MLflow names and the gate.

    The gate: ``baseline`` is fitted on the train rows and scored on the test rows; the model must
    beat it on every metric of ``beat`` and reach its ``floors`` (both as test metrics, e.g.
    ``test_macro_f1``). ``length_mask`` names an input whose non-zero entries are a row's length:
    with ``length_pool`` > 0, rows of similar length share a batch (see :mod:`shoplake.dl.buckets`).
    """

    family: str
    class_names: tuple[str, ...]
    inputs: tuple[str, ...]
    batch_size: int
    epochs: int
    lr: float
    registered_model: str
    baseline: Baseline
    beat: tuple[str, ...]
    floors: Mapping[str, float]
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    balance_classes: bool = False
    augment: Callable[[Batch], Batch] | None = None
    test_metrics: Callable[[np.ndarray, np.ndarray], dict[str, float]] | None = None
    length_mask: str | None = None
    length_pool: int = 0
    params: Mapping[str, object] = field(default_factory=dict)

    def scores(self, labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
        """The held-out metrics of predictions ``probs`` of rows labelled ``labels`` (``test_accuracy``, ...)."""
        metrics = classification_metrics(labels, probs)
        if self.test_metrics:
            metrics.update(self.test_metrics(labels, probs))
        return {f"test_{name}": value for name, value in metrics.items()}


@dataclass
class FittedClassifier:
    """The trained model, its held-out metrics and where MLflow keeps it."""

    model: nn.Module
    metrics: dict[str, float]
    history: list[dict[str, float]]
    run_id: str
    model_uri: str
    model_version: str | None
    resumed_after_epoch: int
    baseline_metrics: dict[str, float]
    gate_failures: list[str]


def bar_failures(metrics: Mapping[str, float], bars: Mapping[str, float]) -> list[str]:
    """The bars a model misses, as sentences (an absent or NaN metric misses its bar)."""
    return [f"{name} {metrics.get(name, float('nan')):.4f} is below {bar}" for name, bar in bars.items()
            if not metrics.get(name, float("nan")) >= bar]


def gate_failures(metrics: Mapping[str, float], baseline: Mapping[str, float], beat: Sequence[str],
                  floors: Mapping[str, float]) -> list[str]:
    """Why a model may not be registered, as sentences; empty when it passes its gate.

    It must do better than ``baseline`` (the same metrics of the classical baseline on the same
    test rows) on every metric of ``beat``, strictly, and reach every floor; NaN never passes.
    """
    nan = float("nan")
    lost = [f"{name} {metrics.get(name, nan):.4f} does not beat the baseline's {baseline.get(name, nan):.4f}"
            for name in beat if not metrics.get(name, nan) > baseline.get(name, nan)]
    return lost + bar_failures(metrics, floors)


def warmup_then_decay(step: int, total: int, warmup_share: float = 0.1) -> float:
    """Learning-rate factor: linear warm-up over the first ``warmup_share`` of the steps, then linear decay to 0."""
    warmup = max(1, int(warmup_share * total))
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def class_weights(counts: Mapping[int, int], classes: int) -> torch.Tensor:
    """Inverse-frequency loss weights (``n / (classes * count)``); a class absent from training gets weight 1."""
    total = sum(counts.values())
    return torch.tensor([total / (classes * counts[c]) if counts.get(c) else 1.0 for c in range(classes)])


def fit_classifier(model: nn.Module, splits: Mapping[str, DataFrame], task: ClassifierTask, settings: Settings,
                   table_versions: Mapping[str, int], *, skipped: Mapping[str, int] | None = None,
                   fresh: bool = False) -> FittedClassifier:
    """Train ``model`` on ``splits['train']`` (columns ``label`` and ``task.inputs``), test it beside its baseline,
    log it, and register it when it passes its gate.

    The splits also hold the baseline's input column. ``skipped`` (reason → rows) is the report of
    the input rows left out; ``fresh`` ignores checkpoints.
    """
    dl = settings.dl
    device = pick_device(dl.device)
    columns = ["label", *task.inputs]
    label_counts = {int(r["label"]): int(r["count"]) for r in splits["train"].groupBy("label").count().collect()}
    fingerprint = {"params": dict(task.params), "tables": dict(table_versions), "epochs": task.epochs,
                   "lr": task.lr, "batch_size": task.batch_size, "seed": dl.seed}
    folder = checkpoints.run_folder(settings.dl.checkpoint_dir, task.family, fingerprint)
    if fresh:
        checkpoints.clear(folder)
    weights = class_weights(label_counts, len(task.class_names)).to(device) if task.balance_classes else None

    def forward(net: nn.Module, batch: Batch) -> torch.Tensor:
        return net(*(batch[name] for name in task.inputs))

    def loss_fn(net: nn.Module, batch: Batch) -> tuple[torch.Tensor, int]:
        batch = task.augment(batch) if task.augment else batch
        logits = forward(net, batch)
        return nn.functional.cross_entropy(logits.float(), batch["label"].long(), weight=weights), len(batch["label"])

    with ExitStack() as stack:
        sources = {name: _batches(stack.enter_context(converted(splits[name].select(*columns), settings.dl,
                                                                 f"the {task.family} {name} split")),
                                  task, settings.dl, shuffle=name == "train")
                   for name in SPLITS}
        run = stack.enter_context(tracking.start_run(settings.mlflow, task.family, run_name=f"train_{task.family}"))
        mlflow.log_params({**task.params, "epochs": task.epochs, "lr": task.lr, "batch_size": task.batch_size,
                           "device": str(device), "seed": dl.seed, "balance_classes": task.balance_classes,
                           "gate_beat_baseline_on": ",".join(task.beat) if dl.beat_baseline else "off",
                           "gate_floors": ",".join(f"{k}>={v}" for k, v in task.floors.items()) if dl.enforce_floors
                           else "off"})
        mlflow.log_metrics({f"{name}_rows": float(source.rows) for name, source in sources.items()})
        tracking.log_table_versions(table_versions)
        report_skips(skipped or {}, f"{task.family} training rows")
        log.info("%s: training on %s, %s", task.family, describe(device),
                 ", ".join(f"{name} {source.rows} rows" for name, source in sources.items()))
        optimizer = torch.optim.AdamW(model.parameters(), lr=task.lr, weight_decay=task.weight_decay)
        steps = len(sources["train"])
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, partial(warmup_then_decay, total=task.epochs * steps))

        def validate(net: nn.Module) -> dict[str, float]:
            scored = predict(net, sources["validation"], device, forward)
            return {f"val_{k}": v for k, v in classification_metrics(scored["label"], scored["probs"]).items()}

        def log_epoch(record: dict[str, float]) -> None:
            mlflow.log_metrics({k: float(v) for k, v in record.items() if k != "epoch"}, step=int(record["epoch"]))

        spec = TrainSpec(epochs=task.epochs, checkpoint_folder=folder, progress_every_s=dl.progress_every_s,
                         grad_clip=task.grad_clip, name=task.family)
        result = train(model, optimizer, loss_fn, sources["train"], spec, device, scheduler=scheduler,
                       batches_per_epoch=steps, evaluate=validate, on_epoch=log_epoch)
        mlflow.log_metric("resumed_after_epoch", result.resumed_after_epoch)
        recalibrate_batchnorm(model, sources["train"], device, forward)
        scored = predict(model, sources["test"], device, forward)
        metrics = task.scores(scored["label"], scored["probs"])
        mlflow.log_metrics(metrics)
        baseline = _fit_baseline(splits, task, metrics)
        mlflow.log_figure(confusion_figure(scored["label"], scored["probs"], task.class_names,
                                           f"{task.family}: held-out test split"), "confusion_matrix.png")
        mlflow.log_figure(history_figure(result.history, ("train_loss", "val_accuracy", "val_macro_f1"),
                                         f"{task.family}: training"), "training_history.png")
        model_uri = log_classifier(model.cpu(), _test_example(sources["test"], task))
        failures = gate_failures(metrics, baseline, task.beat if dl.beat_baseline else (),
                                 task.floors if dl.enforce_floors else {})
        version = _register(model_uri, task, failures)
    checkpoints.clear(folder)
    return FittedClassifier(model, metrics, result.history, run.info.run_id, model_uri, version,
                            result.resumed_after_epoch, baseline, failures)


def _batches(converter, task: ClassifierTask, dl: DlSettings, shuffle: bool) -> BatchSource:
    """A split's batches from its converter; rows of similar length together when the task asks for it."""
    source = PetastormBatches(converter, task.batch_size, shuffle=shuffle, seed=dl.seed, workers=dl.reader_workers)
    if task.length_mask and task.length_pool:
        return LengthBuckets(source, task.length_mask, task.length_pool, shuffle=shuffle, seed=dl.seed)
    return source


def _fit_baseline(splits: Mapping[str, DataFrame], task: ClassifierTask, model_metrics: Mapping[str, float]
                  ) -> dict[str, float]:
    """The baseline fitted on the train rows and scored on the test rows, logged (``baseline_*``) beside the
    model's ``model_metrics`` with the margins (``margin_*``: model minus baseline)."""
    started = time.monotonic()
    train_rows, test_rows = baseline_frames(splits["train"], splits["test"], task.baseline)
    metrics = task.scores(test_rows["label"].to_numpy(),
                          task.baseline.probabilities(train_rows, test_rows, len(task.class_names)))
    seconds = time.monotonic() - started
    margins = {name: model_metrics[name] - value for name, value in metrics.items()}
    mlflow.log_param("baseline", task.baseline.name)
    mlflow.log_metrics({**{f"baseline_{name}": value for name, value in metrics.items()},
                        **{f"margin_{name}": value for name, value in margins.items()}, "baseline_seconds": seconds})
    log.info("%s: held-out test, model vs %s (fitted on the same %d rows in %.1fs): %s", task.family,
             task.baseline.name, len(train_rows), seconds,
             ", ".join(f"{name} {model_metrics[name]:.4f} vs {value:.4f} ({margins[name]:+.4f})"
                       for name, value in metrics.items()))
    return metrics


def _register(model_uri: str, task: ClassifierTask, failures: list[str]) -> str | None:
    """Register the logged model when the gate found nothing against it; tag the run with the outcome and why."""
    mlflow.set_tags({"passes_gate": str(not failures).lower(), "gate": "; ".join(failures) or "passed"})
    if failures:
        log.warning("%s: not registered: %s", task.family, "; ".join(failures))
        return None
    version = tracking.register_model(model_uri, task.registered_model)
    log.info("%s: registered %s v%s", task.family, task.registered_model, version)
    return version


def log_classifier(model: nn.Module, example: torch.Tensor) -> str:
    """Log ``model`` to the active MLflow run as safetensors weights behind a ``python_function`` model logged as
    code (no pickle), with a signature from ``example`` (a few real input rows) and their logits; its model URI."""
    with torch.no_grad():
        logits = model.eval()(example)
    signature = infer_signature(example.numpy(), logits.numpy())
    with tempfile.TemporaryDirectory() as folder:
        saved = save_classifier(model, Path(folder) / ARTIFACT)
        code = write_pyfunc_code(Path(folder))
        info = mlflow.pyfunc.log_model(name="model", python_model=str(code), artifacts={ARTIFACT: str(saved)},
                                       signature=signature, input_example=example.numpy(),
                                       pip_requirements=_requirements())
    return info.model_uri


def _test_example(test: BatchSource, task: ClassifierTask) -> torch.Tensor:
    """The first rows of a real test batch's first input: what the logged signature is taken from."""
    with test(0) as loader:
        batch = next(iter(loader))
    return batch[task.inputs[0]][:4]


def _requirements() -> list[str]:
    """The packages a logged classifier needs, at this environment's versions."""
    return [f"{name}=={metadata.version(name).split('+')[0]}" for name in ("torch", "safetensors")]


def load_registered_model(store: MlflowSettings, name: str, version: str | None = None) -> tuple[nn.Module, str]:
    """Version ``version`` (default: the latest) of registered model ``name``, loaded on the CPU, and that version.

    Only the weights (safetensors) and the model's description (JSON) are read: nothing logged with
    the model is run or unpickled.
    """
    entry = tracking.registered_version(store, name, version)
    with tempfile.TemporaryDirectory() as folder:
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{entry.version}", dst_path=folder)
        return load_logged_classifier(Path(local)), str(entry.version)
