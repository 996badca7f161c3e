"""A trained classifier on disk without pickle: its weights as safetensors, what rebuilds it as JSON.

A saved classifier is a folder with ``weights.safetensors`` (the state dict) and ``model.json``
(the model's kind and constructor arguments, its ``spec()``). Loading builds an untrained model of
a known kind from the JSON and copies the weights into it, so reading a saved model never runs
code that came with it. MLflow keeps this folder as the ``classifier`` artifact of a
``python_function`` model logged as code (:data:`PYFUNC_CODE`), never as a pickle.
"""
from __future__ import annotations

import json
from importlib import resources
from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import torch
from mlflow.models import Model
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from shoplake.dl.text.model import from_spec
from shoplake.dl.vision.resnet import ResNet
from shoplake.errors import UserFacingError

WEIGHTS, DESCRIPTION = "weights.safetensors", "model.json"
ARTIFACT = "classifier"
PYFUNC_CODE = "pyfunc_model.py"  # a module of this package, read as a resource (the package may run from a zip)
KINDS: dict[str, Callable[[dict], nn.Module]] = {
    "ResNet": lambda spec: ResNet(**spec),
    "SentimentModel": from_spec,
}


class UnusableModel(UserFacingError):
    """A logged model that cannot be loaded safely (another format, an unknown kind, weights that do not fit)."""


def write_pyfunc_code(folder: Path) -> Path:
    """Copy the code MLflow logs the model as (:data:`PYFUNC_CODE`) into ``folder``; its path there."""
    path = folder / PYFUNC_CODE
    path.write_text(resources.files(__package__).joinpath(PYFUNC_CODE).read_text())
    return path


def save_classifier(model: nn.Module, folder: Path) -> Path:
    """Write ``model`` (a kind of :data:`KINDS`) into ``folder``: its weights and its description."""
    kind = type(model).__name__
    if kind not in KINDS:
        raise TypeError(f"cannot save a {kind}: the kinds of classifier saved here are {', '.join(KINDS)}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DESCRIPTION).write_text(json.dumps({"kind": kind, "spec": model.spec()}))
    save_model(model, str(folder / WEIGHTS))
    return folder


def load_classifier(folder: Path) -> nn.Module:
    """The classifier saved in ``folder``, on the CPU, in evaluation mode; a clear error naming the folder otherwise."""
    try:
        description = json.loads((folder / DESCRIPTION).read_text())
        build = KINDS.get(description.get("kind"))
        if build is None:
            raise ValueError(f"unknown kind {description.get('kind')!r} (known: {', '.join(KINDS)})")
        model = build(description["spec"])
        load_model(model, str(folder / WEIGHTS), strict=True, device="cpu")
    except (SafetensorError, OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as problem:
        raise UnusableModel(f"the classifier saved in {folder} cannot be loaded: {problem}") from None
    return model.eval()


def load_logged_classifier(model_folder: Path) -> nn.Module:
    """The classifier of an MLflow model folder (downloaded) that was logged with :data:`PYFUNC_CODE`."""
    artifacts = Model.load(str(model_folder)).flavors.get("python_function", {}).get("artifacts", {})
    if ARTIFACT not in artifacts:
        raise UnusableModel(f"the model in {model_folder} was not logged as safetensors weights (an earlier, pickled "
                            "format is not loaded): train it again to log it in the current format")
    return load_classifier(model_folder / artifacts[ARTIFACT]["path"])


class PyfuncClassifier(mlflow.pyfunc.PythonModel):
    """The ``python_function`` face of a saved classifier: a batch of the signature's input → class logits."""

    def load_context(self, context) -> None:
        self.model = load_classifier(Path(context.artifacts[ARTIFACT]))

    def predict(self, context, model_input: np.ndarray, params=None) -> np.ndarray:
        with torch.no_grad():
            return self.model(torch.as_tensor(np.asarray(model_input))).numpy()
