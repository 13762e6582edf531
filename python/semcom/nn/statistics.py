# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Statistics of a trained model's outputs that the flowgraphs need (the digital baseline's PCM range)."""
from __future__ import annotations

import numpy as np
import torch


def transmitter_range(model, split, videos: int = 64, quantile: float = 0.999) -> float:
    """PCM clip level for a model: the ``quantile`` of |transmitter output| over the first ``videos``
    of a loaded split (audio and video terminals together, error-free link between them)."""
    rows = slice(0, videos)
    outputs = []
    with torch.inference_mode():
        audio = torch.from_numpy(split.audio[rows])
        visual = torch.from_numpy(split.visual[rows].astype(np.float32))
        sent_audio = model.load("audio_transmitter")(audio) if model.modality in ("av", "a") else None
        if sent_audio is not None:
            outputs.append(sent_audio.abs().flatten())
        if model.modality == "av":
            outputs.append(model.load("video_transmitter")(visual, sent_audio).abs().flatten())
        elif model.modality == "v":
            outputs.append(model.load("video_transmitter")(visual).abs().flatten())
    return float(torch.quantile(torch.cat(outputs), quantile))
