"""The training loop: it learns, checkpoints each epoch, and a run killed after an epoch resumes to the same end.

Checkpoints are safetensors files that loading cannot turn into code: a planted pickle, a damaged
file, a checkpoint of another model or one in a folder others can write to is named in a warning
and training starts from the first epoch, exactly as if there had been none.
"""
from __future__ import annotations

import logging
import math
import os
import pickle
import stat

import pytest
import torch
from safetensors import safe_open
from torch import nn

from shoplake.dl import checkpoints
from shoplake.dl.classifier import bar_failures, class_weights, warmup_then_decay
from shoplake.dl.petastorm_bridge import TensorBatches
from shoplake.dl.training import TrainSpec, predict, recalibrate_batchnorm, train
from tests.support.planted import Planted

CPU = torch.device("cpu")


def _data(rows: int = 256) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(rows, 8, generator=generator)
    return {"x": features, "label": (features[:, 0] + features[:, 1] > 0).long()}


def _model() -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))


def _loss(model: nn.Module, batch) -> tuple[torch.Tensor, int]:
    return nn.functional.cross_entropy(model(batch["x"]), batch["label"]), len(batch["label"])


def _run(folder, epochs: int = 3, on_epoch=None, model: nn.Module | None = None):
    model = model if model is not None else _model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
    batches = TensorBatches(_data(), 32, shuffle=True, seed=3)
    result = train(model, optimizer, _loss, batches, TrainSpec(epochs, folder), CPU, scheduler=scheduler,
                   batches_per_epoch=len(batches), on_epoch=on_epoch)
    return model, result


class Killed(Exception):
    """Stands in for the process dying right after an epoch's checkpoint."""


def test_training_learns_and_leaves_one_checkpoint_per_run(tmp_path):
    model, result = _run(tmp_path / "run")
    losses = [record["train_loss"] for record in result.history]
    assert [record["epoch"] for record in result.history] == [1, 2, 3]
    assert losses[-1] < losses[0]
    assert all(record["batches"] == 8 and record["samples_per_s"] > 0 for record in result.history)
    assert checkpoints.load(tmp_path / "run")["epoch"] == 3
    scored = predict(model, TensorBatches(_data(), 64), CPU, lambda m, b: m(b["x"]))
    assert (scored["probs"].argmax(1) == scored["label"]).mean() > 0.8


def test_a_killed_run_resumes_after_its_last_epoch_and_ends_like_an_uninterrupted_one(tmp_path):
    reference, _ = _run(tmp_path / "reference")

    def die_after_first(record):
        if record["epoch"] == 1:
            raise Killed

    with pytest.raises(Killed):
        _run(tmp_path / "killed", on_epoch=die_after_first)
    seen = []
    resumed, result = _run(tmp_path / "killed", on_epoch=lambda record: seen.append(record["epoch"]))
    assert result.resumed_after_epoch == 1
    assert result.epochs_trained == 2
    assert seen == [1, 2, 3]  # the restored epoch's record is replayed (e.g. to MLflow), then the new ones
    for (name, expected), actual in zip(reference.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(expected, actual), name


def test_a_cleared_run_starts_over(tmp_path):
    _run(tmp_path / "run", epochs=1)
    checkpoints.clear(tmp_path / "run")
    _, result = _run(tmp_path / "run", epochs=1)
    assert result.resumed_after_epoch == 0 and result.epochs_trained == 1


def test_an_empty_training_split_is_a_clear_error(tmp_path):
    model = _model()
    empty = TensorBatches({"x": torch.zeros(0, 8), "label": torch.zeros(0, dtype=torch.long)}, 8)
    with pytest.raises(ValueError, match="saw no training rows"):
        train(model, torch.optim.SGD(model.parameters(), 0.1), _loss, empty, TrainSpec(1, tmp_path), CPU)


def test_run_folders_differ_when_what_is_trained_differs(settings):
    one = checkpoints.run_folder(settings.dl.checkpoint_dir, "images", {"epochs": 2, "tables": {"silver.x": 1}})
    assert one == checkpoints.run_folder(settings.dl.checkpoint_dir, "images", {"tables": {"silver.x": 1}, "epochs": 2})
    assert one != checkpoints.run_folder(settings.dl.checkpoint_dir, "images", {"epochs": 2, "tables": {"silver.x": 2}})
    assert one.parent.name == settings.dl.checkpoint_dir.rstrip("/").split("/")[-1]


def test_learning_rate_warms_up_then_decays_to_zero():
    factors = [warmup_then_decay(step, total=100) for step in range(101)]
    assert factors[0] == pytest.approx(0.1) and max(factors) == pytest.approx(1.0)
    assert factors.index(max(factors)) == 9
    assert all(a >= b for a, b in zip(factors[9:], factors[10:]))
    assert factors[100] == 0.0
    assert warmup_then_decay(0, total=1) == 1.0  # a one-step run still trains


def test_class_weights_are_inverse_frequencies():
    weights = class_weights({0: 10, 1: 30, 2: 60}, 3)
    assert torch.allclose(weights, torch.tensor([100 / 30, 100 / 90, 100 / 180]))
    assert class_weights({0: 5}, 2)[1] == 1.0


def test_bar_failures_name_each_missed_bar():
    assert bar_failures({"test_accuracy": 0.95}, {"test_accuracy": 0.92}) == []
    failures = bar_failures({"test_accuracy": 0.90, "test_auc": float("nan")}, {"test_accuracy": 0.92, "test_auc": 0.5})
    assert len(failures) == 2 and "test_accuracy 0.9000 is below 0.92" in failures[0]
    assert bar_failures({}, {"test_macro_f1": 0.7}) == ["test_macro_f1 nan is below 0.7"]


def test_batchnorm_statistics_are_recomputed_exactly_over_the_data():
    data = {"x": torch.randn(96, 8) * 3 + 5, "label": torch.zeros(96, dtype=torch.long)}
    model = nn.Sequential(nn.BatchNorm1d(8), nn.Linear(8, 2))
    model.train()(data["x"][:8])  # stale running statistics of one batch
    assert recalibrate_batchnorm(model, TensorBatches(data, 32), CPU, lambda m, b: m(b["x"])) == 1
    norm = model[0]
    assert torch.allclose(norm.running_mean, data["x"].mean(0), atol=1e-5)
    assert torch.allclose(norm.running_var, data["x"].view(3, 32, 8).var(1).mean(0), atol=1e-4)
    assert norm.momentum == 0.1
    assert recalibrate_batchnorm(nn.Linear(8, 2), TensorBatches(data, 32), CPU, lambda m, b: m(b["x"])) == 0


@pytest.fixture
def warnings_logged():
    """The warnings the deep-learning modules log while the test runs."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("shoplake.dl")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _same_weights(one: nn.Module, other: nn.Module) -> bool:
    return all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), other.state_dict().values()))


def test_a_checkpoint_is_a_safetensors_file_that_restores_every_kind_of_state(tmp_path):
    shared = torch.arange(6.0)
    group = {"betas": (0.9, 0.999), "fused": None, "amsgrad": False}
    state = {"epoch": 2, "model": {"w": shared, "view": shared[:3], "step": torch.tensor(7.0)},
             "optimizer": {"state": {0: {"exp_avg": torch.ones(2, 2)}}, "param_groups": [group]},
             "rng": torch.get_rng_state(), "history": [{"epoch": 1, "train_loss": math.nan}],
             "half": torch.ones(3).half()}
    path = checkpoints.save(tmp_path / "run", state)
    assert path.name == checkpoints.FILE and path.read_bytes()[:1] != b"\x80"  # not a pickle stream
    with safe_open(path, framework="pt") as opened:
        assert opened.metadata()["format"] == checkpoints.FORMAT
    loaded = checkpoints.load(tmp_path / "run")
    assert loaded["epoch"] == 2 and math.isnan(loaded["history"][0]["train_loss"])
    assert list(loaded["optimizer"]["state"]) == [0]  # integer keys stay integers (the optimizer matches on them)
    assert loaded["optimizer"]["param_groups"] == [group]
    assert torch.equal(loaded["model"]["view"], torch.arange(3.0)) and loaded["model"]["step"].shape == ()
    assert torch.equal(loaded["rng"], state["rng"]) and loaded["half"].dtype == torch.float16
    with pytest.raises(TypeError, match="cannot hold values of type object"):
        checkpoints.save(tmp_path / "other", {"thing": object()})


def test_a_planted_pickle_is_never_run_and_training_starts_from_the_first_epoch(tmp_path, warnings_logged):
    folder, marker = tmp_path / "run", tmp_path / "code-ran"
    folder.mkdir(mode=0o700)
    (folder / checkpoints.FILE).write_bytes(pickle.dumps(Planted(marker)))
    torch.save({"epoch": Planted(marker)}, folder / checkpoints.PICKLED_FILE)
    reference, _ = _run(tmp_path / "reference")
    model, result = _run(folder)
    assert not marker.exists()
    assert (result.resumed_after_epoch, result.epochs_trained) == (0, 3)
    assert _same_weights(model, reference)
    messages = [record.getMessage() for record in warnings_logged]
    assert any(f"checkpoint {folder / checkpoints.FILE} cannot be read" in m for m in messages), messages
    assert any(f"ignoring {folder / checkpoints.PICKLED_FILE}" in m for m in messages), messages
    torch.load(folder / checkpoints.PICKLED_FILE, weights_only=False)  # what loading it used to do
    assert marker.exists()


def test_a_damaged_checkpoint_is_named_and_training_starts_over(tmp_path, warnings_logged):
    _run(tmp_path / "run", epochs=1)
    path = tmp_path / "run" / checkpoints.FILE
    path.write_bytes(path.read_bytes()[:200])
    _, result = _run(tmp_path / "run", epochs=2)
    assert (result.resumed_after_epoch, result.epochs_trained) == (0, 2)
    assert any(str(path) in record.getMessage() for record in warnings_logged)
    assert checkpoints.load(tmp_path / "run")["epoch"] == 2  # replaced by a good one


def test_a_checkpoint_of_another_model_is_set_aside_and_leaves_the_model_as_it_was(tmp_path, warnings_logged):
    torch.manual_seed(5)
    wider = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
    _run(tmp_path / "run", epochs=1, model=wider)
    reference, _ = _run(tmp_path / "reference")
    model, result = _run(tmp_path / "run")
    assert (result.resumed_after_epoch, result.epochs_trained) == (0, 3)
    assert _same_weights(model, reference)  # same start, same random state: the bad checkpoint changed nothing
    assert any("does not fit this training" in r.getMessage() and str(tmp_path / "run") in r.getMessage()
               for r in warnings_logged)


def test_checkpoint_folders_are_private_and_a_folder_others_can_write_is_not_read(tmp_path, warnings_logged):
    folder = tmp_path / "checkpoints" / "run"
    _run(folder, epochs=1)
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    os.chmod(folder, 0o777)
    _, result = _run(folder, epochs=2)
    assert result.resumed_after_epoch == 0
    assert any("not private to this user" in r.getMessage() and "mode 777" in r.getMessage() for r in warnings_logged)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # tightened when the run saved into it
    _, result = _run(folder, epochs=3)
    assert result.resumed_after_epoch == 2
