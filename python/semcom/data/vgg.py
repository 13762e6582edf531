# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""VGG-19 (Simonyan & Zisserman, 2015) up to pool5 for the visual feature of a one-second segment.

Frames (RGB uint8) are resized to 224×224 (bilinear) if they are not already, scaled to [0, 1] and
normalised with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); VGG-19's
convolutional part (16 conv3×3 + ReLU, 5 max-pools, laid out as torchvision's ``vgg19().features``)
gives (512, 7, 7), stored channels last as
(7, 7, 512) like AVE's ``visual_feature.h5``; the frames of each second are averaged.
Weights: a torchvision VGG-19 state dict (``vgg19-dcbb9e9d.pth``; only its ``features.*`` are used).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .weights import VGG19_FILE, VGG19_SIZE, VGG19_URL, load_into, load_state_dict_file
from ..errors import InputError

INPUT_SIZE = 224
POOL5_SHAPE = (7, 7, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# VGG-19 ("configuration E"): conv3×3 widths, "M" = 2×2 max-pool
VGG19_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                512, 512, 512, 512, "M")


def vgg19_pool5() -> torch.nn.Sequential:
    """VGG-19's convolutional part, randomly initialised (He normal, fan-out; zero bias):
    (B, 3, 224, 224) → (B, 512, 7, 7). Module indices follow torchvision's ``vgg19().features``
    (conv at 0, 2, 5, 7, …, 34; pools at 4, 9, 18, 27, 36), so its state-dict keys load unchanged."""
    layers, channels = [], 3
    for width in VGG19_LAYERS:
        if width == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
        else:
            conv = torch.nn.Conv2d(channels, width, 3, padding=1)
            torch.nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            torch.nn.init.zeros_(conv.bias)
            layers += [conv, torch.nn.ReLU(inplace=True)]
            channels = width
    return torch.nn.Sequential(*layers)


class _Features(torch.nn.Module):
    """Holds the conv part under the name ``features`` so that torchvision's keys fit unchanged."""

    def __init__(self):
        super().__init__()
        self.features = vgg19_pool5()


def load_vgg19(path: str, device: str = "cpu") -> torch.nn.Module:
    """VGG-19 up to pool5 with the ``features.*`` tensors of the state-dict file ``path``, in eval mode.
    The file's ``classifier.*`` tensors (a full torchvision checkpoint) are ignored."""
    state = load_state_dict_file(path, "VGG-19", f"{VGG19_FILE} ({VGG19_SIZE}) from {VGG19_URL}")
    state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    holder = _Features()
    load_into(holder, state, path, "VGG-19")
    return holder.features.to(device).eval()


def preprocess(frames: torch.Tensor) -> torch.Tensor:
    """(F, H, W, 3) uint8 RGB → (F, 3, 224, 224) float32, ImageNet-normalised."""
    x = frames.permute(0, 3, 1, 2).to(torch.float32) / 255.0
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.inference_mode()
def pool5(model: torch.nn.Module, frames: np.ndarray, device: str = "cpu", batch: int = 16) -> np.ndarray:
    """(F, H, W, 3) uint8 RGB frames → (F, 7, 7, 512) float32 pool5 maps, channels last."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise InputError(f"expected (F, H, W, 3) uint8 RGB frames, got {frames.shape} {frames.dtype}")
    out = []
    for i in range(0, frames.shape[0], batch):
        x = preprocess(torch.from_numpy(frames[i:i + batch]).to(device))
        out.append(model(x).permute(0, 2, 3, 1).float().cpu())           # (b, 7, 7, 512)
    return torch.cat(out).numpy() if out else np.zeros((0,) + POOL5_SHAPE, np.float32)


def visual_features(model: torch.nn.Module, frames: np.ndarray, frame_second: np.ndarray, seconds: int,
                    device: str = "cpu", batch: int = 16) -> np.ndarray:
    """(seconds, 7, 7, 512) float32: pool5 averaged over the frames of each second."""
    maps = pool5(model, frames, device, batch)
    frame_second = np.asarray(frame_second, np.int64)
    counts = np.bincount(frame_second, minlength=seconds)[:seconds]
    if np.any(counts == 0):
        raise InputError(f"no frame for second(s) {np.flatnonzero(counts == 0)[:5].tolist()}")
    sums = np.zeros((seconds,) + POOL5_SHAPE, np.float64)
    np.add.at(sums, frame_second, maps)
    return (sums / counts[:, None, None, None]).astype(np.float32)
