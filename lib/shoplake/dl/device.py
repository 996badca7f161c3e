"""Where models run: CUDA with mixed precision when a GPU is present, else the CPU in float32."""
from __future__ import annotations

from contextlib import nullcontext

import torch

DEVICES = ("auto", "cpu", "cuda")


def pick_device(preference: str = "auto") -> torch.device:
    """``cuda`` when asked for or (``auto``) available, else ``cpu``; a clear error if CUDA is asked for but absent."""
    if preference not in DEVICES:
        raise ValueError(f"unknown device {preference!r}; use one of {', '.join(DEVICES)}")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("dl.device is 'cuda' but torch sees no CUDA device (use 'auto' or 'cpu')")
    if preference == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def autocast(device: torch.device):
    """Mixed precision (float16 autocast) on CUDA; a no-op on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


def grad_scaler(device: torch.device) -> torch.amp.GradScaler:
    """A loss scaler for float16 training on CUDA; disabled (a pass-through) on the CPU."""
    return torch.amp.GradScaler("cuda", enabled=device.type == "cuda")


def describe(device: torch.device) -> str:
    """A line for logs: the GPU's name, or the CPU thread count."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}, mixed precision)"
    return f"cpu ({torch.get_num_threads()} threads, float32)"
