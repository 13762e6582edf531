# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The neural pilot source-channel encoder of the paper (Fig. 4, §III-B): raw audio → pilot symbols.

Conv1d (C channels, kernel 7) → B blocks of [residual unit (two kernel-3 convolutions and a skip)
→ strided downsampling (kernel 2·S, stride S, channels doubled)] → Conv1d (kernel 7, D channels)
→ GRU → fully connected + ReLU → Euler map (eq. 1). The paper feeds a 10 s sinusoid and uses one
pilot step per second: the frames of each second are averaged into one step of L_p symbols.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .euler import euler_map, normalise_power
from ..errors import InputError


class ResidualUnit(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.elu(self.conv1(F.elu(x))))


class PilotEncoder(nn.Module):
    """(B, samples) audio → (B, steps, 2·L_p) reals; the Euler map of :func:`neural_pilot` makes the symbols."""

    def __init__(self, pilot_len: int = 16, steps: int = 10, channels: int = 16, strides=(2, 4, 5, 8),
                 latent: int = 64, hidden: int = 128):
        super().__init__()
        self.steps = steps
        layers: list = [nn.Conv1d(1, channels, 7, padding=3)]
        for stride in strides:
            layers += [ResidualUnit(channels), nn.ELU(),
                       nn.Conv1d(channels, 2 * channels, 2 * stride, stride=stride, padding=math.ceil(stride / 2))]
            channels *= 2
        layers += [nn.ELU(), nn.Conv1d(channels, latent, 7, padding=3)]
        self.convs = nn.Sequential(*layers)
        self.gru = nn.GRU(latent, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 2 * pilot_len)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        frames = self.convs(audio.unsqueeze(1)).transpose(1, 2)          # (B, frames, latent)
        out, _ = self.gru(frames)
        per_step = F.adaptive_avg_pool1d(out.transpose(1, 2), self.steps).transpose(1, 2)   # (B, steps, hidden)
        return F.relu(self.fc(per_step))


def sinusoid(seconds: float = 10.0, rate: int = 16000, frequency: float = 440.0) -> torch.Tensor:
    """The paper's pilot source: a pure tone."""
    t = torch.arange(int(seconds * rate), dtype=torch.float32) / rate
    return torch.sin(2 * math.pi * frequency * t)


def pilot_sequence(encoder: PilotEncoder, audio: torch.Tensor) -> torch.Tensor:
    """The encoder's pilot (T_p, L) complex at unit average power (eq. 1), differentiable."""
    return normalise_power(euler_map(encoder(audio[None])))[0]


def time_division(sequence: torch.Tensor, users: int) -> torch.Tensor:
    """(T_p, L) → pilot array (T_p, K, K·L): user k sends the sequence in slot k, the layout that
    :func:`semcom.phy.pilots.load_pilots` gives a (T_p, L) pilot file."""
    steps, length = sequence.shape
    pilots = sequence.new_zeros((steps, users, users * length))
    for k in range(users):
        pilots[:, k, k * length:(k + 1) * length] = sequence
    return pilots


@torch.no_grad()
def neural_pilot(encoder: PilotEncoder, audio: torch.Tensor) -> np.ndarray:
    """Pilot array (T_p, L) complex64 at unit average power, for ``pilot_source='file'`` (saved with np.save).

    The GNU Radio pilot inserter shares it between users by time division.
    """
    symbols = pilot_sequence(encoder.eval(), audio)
    if not symbols.abs().pow(2).mean() > 0:
        raise InputError("the pilot encoder produced an all-zero pilot; train it or use another seed")
    return symbols.cpu().numpy().astype(np.complex64)
