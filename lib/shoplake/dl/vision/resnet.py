"""A ResNet for product images, defined here (torchvision does not install beside this torch).

Module names follow torchvision's ResNet (``conv1``, ``bn1``, ``layer1``…, ``fc``), so a
torchvision ``resnet18`` state dict loads into the ``resnet18`` architecture (see
:func:`load_pretrained`). ``resnet-small`` keeps the full resolution of 28x28 images (3x3
stem, no max-pool); ``resnet-narrow`` is the same at half the width (about 3 times faster on a CPU),
``resnet-tiny`` one block a stage. The penultimate layer (after global average pooling) is the embedding.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from shoplake.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ResNetArch:
    """Blocks per stage, channels per stage and the stem (``small``: 3x3/1; ``imagenet``: 7x7/2 + max-pool)."""

    blocks: tuple[int, ...]
    widths: tuple[int, ...]
    stem: str


ARCHITECTURES = {
    "resnet-small": ResNetArch(blocks=(2, 2, 2), widths=(32, 64, 128), stem="small"),
    "resnet-narrow": ResNetArch(blocks=(2, 2, 2), widths=(16, 32, 64), stem="small"),
    "resnet-tiny": ResNetArch(blocks=(1, 1, 1), widths=(16, 32, 64), stem="small"),
    "resnet18": ResNetArch(blocks=(2, 2, 2, 2), widths=(64, 128, 256, 512), stem="imagenet"),
}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (projected when the shape changes)."""

    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + shortcut)


class ResNet(nn.Module):
    """Images (batch x H*W pixels in [0, 1], or batch x C x H x W) → class logits; :meth:`embed` → features."""

    def __init__(self, arch: str = "resnet-small", num_classes: int = 10, in_channels: int = 1, image_size: int = 28):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"unknown ResNet architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
        spec = ARCHITECTURES[arch]
        self.arch, self.in_channels, self.image_size = arch, in_channels, image_size
        width = spec.widths[0]
        if spec.stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        for stage, (blocks, planes) in enumerate(zip(spec.blocks, spec.widths)):
            stride = 1 if stage == 0 else 2
            layers = [BasicBlock(width, planes, stride)] + [BasicBlock(planes, planes, 1) for _ in range(blocks - 1)]
            self.add_module(f"layer{stage + 1}", nn.Sequential(*layers))
            width = planes
        self.stages = len(spec.blocks)
        self.embedding_size = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def spec(self) -> dict:
        """The constructor arguments that rebuild this architecture: ``ResNet(**model.spec())``."""
        return {"arch": self.arch, "num_classes": self.fc.out_features, "in_channels": self.in_channels,
                "image_size": self.image_size}

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: globally pooled features, batch x ``embedding_size``."""
        if images.ndim == 2:
            images = images.view(-1, self.in_channels, self.image_size, self.image_size)
        x = self.maxpool(self.relu(self.bn1(self.conv1(images))))
        for stage in range(1, self.stages + 1):
            x = getattr(self, f"layer{stage}")(x)
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.embed(images))


def load_pretrained(model: ResNet, path: str | Path) -> int:
    """Copy the weights of a saved state dict (e.g. torchvision's ``resnet18-*.pth``) into ``model``.

    Tensors whose names and shapes fit are copied; an RGB first convolution is summed over its
    colour channels for a grayscale model; a classifier of another size is left as initialised.
    Returns the number of tensors loaded; a clear error when the file is missing or nothing fits.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"pretrained ResNet weights not found: {path} (dl.pretrained_resnet_path)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    own = model.state_dict()
    fitting = {}
    for name, tensor in state.items():
        if name not in own:
            continue
        if name == "conv1.weight" and tensor.ndim == 4 and tensor.shape[1] != own[name].shape[1] and own[name].shape[1] == 1:
            tensor = tensor.sum(dim=1, keepdim=True)
        if tensor.shape == own[name].shape:
            fitting[name] = tensor
    if not fitting:
        raise ValueError(f"{path}: no tensor fits the {model.arch} architecture (is it a ResNet state dict?)")
    model.load_state_dict(fitting, strict=False)
    log.info("loaded %d of %d tensors of %s from %s", len(fitting), len(own), model.arch, path)
    return len(fitting)
