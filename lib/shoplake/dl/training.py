"""The training loop every model here uses: progress logs, mixed precision on CUDA, per-epoch checkpoints, resume.

A killed run started again with the same checkpoint folder loads the last finished epoch
(weights, optimizer, scheduler, loss scaler, random state and the per-epoch history) and goes on
with the next one, so an interrupted run ends where an uninterrupted one would.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from shoplake.dl import checkpoints
from shoplake.dl.device import autocast, grad_scaler
from shoplake.dl.petastorm_bridge import Batch, BatchSource
from shoplake.log import get_logger

log = get_logger(__name__)
LossFn = Callable[[nn.Module, Batch], tuple[torch.Tensor, int]]


@dataclass(frozen=True)
class TrainSpec:
    """How long to train and where checkpoints go; ``progress_every_s`` spaces the progress lines."""

    epochs: int
    checkpoint_folder: Path
    progress_every_s: float = 30.0
    grad_clip: float = 0.0
    name: str = "train"


@dataclass
class TrainResult:
    """Per-epoch records (``epoch``, ``train_loss``, ``samples_per_s``, ``seconds`` and any evaluation metrics)."""

    history: list[dict[str, float]] = field(default_factory=list)
    resumed_after_epoch: int = 0
    epochs_trained: int = 0


def to_device(batch: Batch, device: torch.device) -> Batch:
    """Every tensor of a batch on ``device``."""
    return {name: tensor.to(device, non_blocking=True) for name, tensor in batch.items()}


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    batches: BatchSource,
    spec: TrainSpec,
    device: torch.device,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    batches_per_epoch: int | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``model`` for ``spec.epochs`` epochs over ``batches``, resuming from a checkpoint if one exists.

    ``loss_fn(model, batch)`` returns the batch's mean loss and its size. ``evaluate(model)`` adds
    metrics to an epoch's record; ``on_epoch(record)`` sees every record, restored ones included
    (e.g. to log them to MLflow).
    """
    model.to(device)
    scaler = grad_scaler(device)
    result = TrainResult()
    resumed = _resume(model, optimizer, scaler, scheduler, spec, device)
    if resumed is not None:
        result.resumed_after_epoch, result.history = resumed
        log.info("%s: resuming after epoch %d/%d from %s", spec.name, result.resumed_after_epoch, spec.epochs,
                 spec.checkpoint_folder)
    for record in result.history:
        if on_epoch:
            on_epoch(record)
    for epoch in range(result.resumed_after_epoch + 1, spec.epochs + 1):
        record = _train_epoch(model, optimizer, loss_fn, batches, spec, device, scaler, scheduler, epoch, batches_per_epoch)
        if evaluate is not None:
            record.update(evaluate(model))
        result.history.append(record)
        result.epochs_trained += 1
        checkpoints.save(spec.checkpoint_folder, {"epoch": epoch, "history": result.history,
                                                  **_state(model, optimizer, scaler, scheduler, device)})
        log.info("%s: epoch %d/%d done: %s (checkpoint saved)", spec.name, epoch, spec.epochs,
                 ", ".join(f"{k}={v:.4g}" for k, v in record.items() if k != "epoch"))
        if on_epoch:
            on_epoch(record)
    return result


def _resume(model, optimizer, scaler, scheduler, spec: TrainSpec, device: torch.device
            ) -> tuple[int, list[dict[str, float]]] | None:
    """Restore the last checkpoint into the model, optimizer, scaler, scheduler and random state; its epoch and history.

    None when there is none or it cannot be used (unreadable, or not of this model): that is logged
    with the file's path and training starts from the beginning, everything as it was before.
    """
    try:
        state = checkpoints.load(spec.checkpoint_folder)
    except checkpoints.UnusableCheckpoint as problem:
        log.warning("%s: %s; training from the first epoch", spec.name, problem)
        return None
    if state is None:
        return None
    before = copy.deepcopy(_state(model, optimizer, scaler, scheduler, device))
    try:
        _restore(state, model, optimizer, scaler, scheduler, device)
        return int(state["epoch"]), [dict(record) for record in state["history"]]
    except (KeyError, TypeError, ValueError, RuntimeError) as problem:
        _restore(before, model, optimizer, scaler, scheduler, device)
        log.warning("%s: checkpoint %s does not fit this training (%s: %s); training from the first epoch",
                    spec.name, spec.checkpoint_folder / checkpoints.FILE, type(problem).__name__,
                    " ".join(str(problem).split())[:300])
        return None


def _state(model, optimizer, scaler, scheduler, device: torch.device) -> dict[str, Any]:
    """Everything a checkpoint restores, as it is now (the live state dicts, not copies)."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None, "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None}


def _restore(state: dict[str, Any], model, optimizer, scaler, scheduler, device: torch.device) -> None:
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scaler.load_state_dict(state["scaler"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    if state.get("cuda_rng") is not None and device.type == "cuda":
        torch.cuda.set_rng_state_all(state["cuda_rng"])


def _train_epoch(model, optimizer, loss_fn, batches, spec, device, scaler, scheduler, epoch, batches_per_epoch) -> dict:
    model.train()
    started = last_report = time.monotonic()
    samples, loss_sum, number = 0, 0.0, 0
    total = f"/{batches_per_epoch}" if batches_per_epoch else ""
    with batches(epoch) as loader:
        for number, batch in enumerate(loader, start=1):
            batch = to_device(batch, device)
            with autocast(device):
                loss, size = loss_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if spec.grad_clip > 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), spec.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            if scheduler is not None:
                scheduler.step()
            samples += size
            loss_sum += float(loss.detach()) * size
            now = time.monotonic()
            if now - last_report >= spec.progress_every_s:
                last_report = now
                log.info("%s: epoch %d/%d batch %d%s loss %.4f %.1f samples/s", spec.name, epoch, spec.epochs, number,
                         total, loss_sum / samples, samples / (now - started))
    if samples == 0:
        raise ValueError(f"{spec.name}: epoch {epoch} saw no training rows (is the training split empty?)")
    seconds = time.monotonic() - started
    return {"epoch": epoch, "train_loss": loss_sum / samples, "samples_per_s": samples / seconds,
            "seconds": seconds, "batches": number}


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: BatchSource, device: torch.device,
                          forward: Callable[[nn.Module, Batch], torch.Tensor]) -> int:
    """Recompute every BatchNorm's running statistics as exact averages over one pass of ``batches``.

    The running averages kept during training lag behind weights that still move quickly (short
    runs, high learning rates), which makes evaluation-mode predictions worse than the model is.
    Returns the number of BatchNorm layers updated (0: the model has none and is left as is).
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average
    model.to(device).train()
    with batches(0) as loader:
        for batch in loader:
            forward(model, to_device(batch, device))
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return len(norms)


@torch.no_grad()
def predict(model: nn.Module, batches: BatchSource, device: torch.device,
            forward: Callable[[nn.Module, Batch], torch.Tensor], keep: tuple[str, ...] = ("label",)) -> dict[str, Any]:
    """Class probabilities (``probs``, rows x classes, numpy) of every row of one pass, with the ``keep`` columns."""
    model.to(device).eval()
    probs, kept = [], {name: [] for name in keep}
    with batches(0) as loader:
        for batch in loader:
            batch = to_device(batch, device)
            with autocast(device):
                logits = forward(model, batch)
            probs.append(torch.softmax(logits.float(), dim=-1).cpu())
            for name in keep:
                kept[name].append(batch[name].cpu())
    if not probs:
        raise ValueError("nothing to predict: the evaluation split is empty")
    return {"probs": torch.cat(probs).numpy(), **{name: torch.cat(parts).numpy() for name, parts in kept.items()}}
