"""Saved classifiers are safetensors weights plus a JSON description: they load back exactly, and a folder that
is not such a classifier is refused with its path named, without importing or running anything it names."""
from __future__ import annotations

import json
import re

import pytest
import torch

from shoplake.dl.saved_model import DESCRIPTION, WEIGHTS, UnusableModel, load_classifier, save_classifier
from shoplake.dl.text.encoder import BertEncoder, EncoderConfig
from shoplake.dl.text.model import SentimentModel
from shoplake.dl.vision.resnet import ResNet
from shoplake.errors import UserFacingError


def _tiny_sentiment_model() -> SentimentModel:
    config = EncoderConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=16, max_position_embeddings=16)
    return SentimentModel(BertEncoder(config), tokenizer_json='{"model": "tiny"}', max_seq_len=12)


def _trained(model: torch.nn.Module) -> torch.nn.Module:
    """The model with every weight and buffer moved off its initial value (so a fresh one would differ)."""
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.rand_like(tensor))
    return model.eval()


@pytest.mark.parametrize("build, example", [
    (lambda: ResNet("resnet-tiny", num_classes=4), torch.rand(3, 28 * 28)),
    (_tiny_sentiment_model, torch.randint(1, 50, (3, 12))),
])
def test_a_saved_classifier_loads_back_with_the_same_predictions(tmp_path, build, example):
    model = _trained(build())
    folder = save_classifier(model, tmp_path / "classifier")
    assert sorted(p.name for p in folder.iterdir()) == sorted([DESCRIPTION, WEIGHTS])
    loaded = load_classifier(folder)
    assert type(loaded) is type(model) and loaded.spec() == model.spec()
    with torch.no_grad():
        assert torch.equal(loaded(example), model(example))


def test_only_known_kinds_of_model_are_built(tmp_path):
    folder = save_classifier(_trained(ResNet("resnet-tiny", num_classes=4)), tmp_path / "classifier")
    (folder / DESCRIPTION).write_text(json.dumps({"kind": "os.system", "spec": "touch /tmp/ran"}))
    with pytest.raises(UnusableModel, match=f"saved in {re.escape(str(folder))} cannot be loaded: "
                                            "unknown kind 'os.system'"):
        load_classifier(folder)
    with pytest.raises(TypeError, match="cannot save a Linear"):
        save_classifier(torch.nn.Linear(2, 2), tmp_path / "linear")


def test_weights_that_do_not_fit_or_are_not_safetensors_are_refused_with_the_folder_named(tmp_path):
    folder = save_classifier(_trained(ResNet("resnet-tiny", num_classes=4)), tmp_path / "classifier")
    description = json.loads((folder / DESCRIPTION).read_text())
    (folder / DESCRIPTION).write_text(json.dumps({**description, "spec": {**description["spec"], "num_classes": 7}}))
    with pytest.raises(UnusableModel, match=f"(?s)saved in {re.escape(str(folder))} cannot be loaded: "
                                            ".*size mismatch for fc.weight"):
        load_classifier(folder)
    (folder / DESCRIPTION).write_text(json.dumps(description))
    (folder / WEIGHTS).write_bytes(b"\x80\x04not safetensors")
    with pytest.raises(UserFacingError, match=f"saved in {re.escape(str(folder))} cannot be loaded"):
        load_classifier(folder)
