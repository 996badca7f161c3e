"""The project's ResNet: shapes, embeddings, and pretrained weights loaded from a local file."""
from __future__ import annotations

import pytest
import torch

from shoplake.config.settings import RESNET_ARCHITECTURES
from shoplake.dl.vision.resnet import ARCHITECTURES, ResNet, load_pretrained


def test_every_configurable_architecture_exists():
    assert set(RESNET_ARCHITECTURES) == set(ARCHITECTURES)


@pytest.mark.parametrize("arch", ["resnet-tiny", "resnet18"])
def test_flat_pixels_give_logits_and_penultimate_embeddings(arch):
    model = ResNet(arch, num_classes=10).eval()
    pixels = torch.rand(3, 28 * 28)
    with torch.no_grad():
        logits, embedding = model(pixels), model.embed(pixels)
    assert logits.shape == (3, 10)
    assert embedding.shape == (3, ARCHITECTURES[arch].widths[-1]) == (3, model.embedding_size)
    assert torch.allclose(model.fc(embedding), logits, atol=1e-5)
    assert torch.equal(model(pixels.view(3, 1, 28, 28)), logits)


def test_spec_rebuilds_the_same_architecture():
    model = ResNet("resnet-tiny", num_classes=4, image_size=28)
    twin = ResNet(**model.spec())
    twin.load_state_dict(model.state_dict())
    pixels = torch.rand(2, 784)
    assert torch.equal(model.eval()(pixels), twin.eval()(pixels))


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown ResNet architecture 'resnet-999'"):
        ResNet("resnet-999")


def test_pretrained_weights_load_from_a_saved_state_dict(tmp_path):
    source = ResNet("resnet-tiny", num_classes=10)
    path = tmp_path / "weights.pth"
    torch.save(source.state_dict(), path)
    target = ResNet("resnet-tiny", num_classes=10)
    assert not torch.equal(target.conv1.weight, source.conv1.weight)
    assert load_pretrained(target, path) == len(source.state_dict())
    for name, tensor in source.state_dict().items():
        assert torch.equal(target.state_dict()[name], tensor), name


def test_rgb_weights_fit_a_grayscale_model_and_another_classifier_is_left_alone(tmp_path):
    rgb = ResNet("resnet18", num_classes=1000, in_channels=3)
    path = tmp_path / "resnet18.pth"
    torch.save({"state_dict": rgb.state_dict()}, path)
    gray = ResNet("resnet18", num_classes=10)
    head = gray.fc.weight.clone()
    loaded = load_pretrained(gray, path)
    assert torch.allclose(gray.conv1.weight, rgb.conv1.weight.sum(dim=1, keepdim=True))
    assert torch.equal(gray.layer4[1].conv2.weight, rgb.layer4[1].conv2.weight)
    assert torch.equal(gray.fc.weight, head)
    assert loaded == len(gray.state_dict()) - 2  # all but fc.weight and fc.bias


def test_missing_or_unfitting_weights_are_clear_errors(tmp_path):
    model = ResNet("resnet-tiny")
    with pytest.raises(FileNotFoundError, match="pretrained ResNet weights not found: .*nowhere.pth"):
        load_pretrained(model, tmp_path / "nowhere.pth")
    path = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(ValueError, match="no tensor fits the resnet-tiny architecture"):
        load_pretrained(model, path)
