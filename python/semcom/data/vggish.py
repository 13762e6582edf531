# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""VGGish (Hershey et al., ICASSP 2017) in PyTorch: the log-mel front end and the network, producing
what AVE's released ``audio_feature.h5`` holds.

Front end, as published with the model (tensorflow/models research/audioset/vggish): 16 kHz mono;
25 ms periodic-Hann windows (400 samples) every 10 ms (160), no padding; magnitude of a 512-point
FFT (the next power of two); 64 mel bands from 125 to 7500 Hz on the HTK mel scale
(1127·ln(1 + f/700)) with triangular weights and the DC bin dropped; log(mel + 0.01); framed into
0.96 s examples of 96 frames × 64 bands, hop 0.96 s.

AVE's extractor (Tian et al., ECCV 2018) framed each 10 s clip this way and kept its 10 examples, so
segment k of a clip is the example starting 0.96·k s after the clip's start (log-mel frames
96k … 96k + 95), not the one starting at second k; it stored the network's ``vggish/embedding``
output as it is: the 128 values after the last layer's ReLU, non-negative floats (many exact
zeros), without VGGish's PCA whitening and 8-bit quantisation (``vggish_postprocess``), in float64
(``audio_feature_noisy.h5`` of the AVE repository: float64, 65 % zeros, values 0 … 4.5). Here every
group of 10 consecutive seconds (a dataset row) is framed like one of AVE's clips
(:class:`SegmentFramer`), and the embedding is the raw post-ReLU output.

Network: conv3×3 64 / pool / 128 / pool / 256, 256 / pool / 512, 512 / pool (ReLU after each conv,
2×2 max pools), flattened channels-last (6·4·512 = 12288) → fc 4096 → 4096 → 128, ReLU after each
(as the 2017 VGGish release and the PyTorch port harritaylor/torchvggish, whose state dict
``vggish-10086976.pth`` loads unchanged: keys ``features.{0,3,6,8,11,13}`` and ``embeddings.{0,2,4}``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .ave import SEGMENTS
from .weights import VGGISH_FILE, VGGISH_SIZE, VGGISH_URL, load_into, load_state_dict_file
from ..errors import InputError

SAMPLE_RATE = 16000
WINDOW = 400               # 0.025 s
HOP = 160                  # 0.010 s
FFT = 512                  # next power of two of WINDOW
MEL_BANDS = 64
MEL_MIN_HZ, MEL_MAX_HZ = 125.0, 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96        # 0.96 s
FRAMES_PER_SECOND = SAMPLE_RATE // HOP   # 100
EMBEDDING = 128
EXAMPLE_HOP = EXAMPLE_FRAMES * HOP       # 15360 samples: examples start every 0.96 s
EXAMPLE_SAMPLES = WINDOW + (EXAMPLE_FRAMES - 1) * HOP   # 15600 samples make one example's 96 frames


def hz_to_mel(hz):
    """HTK mel scale: 1127·ln(1 + f/700)."""
    return 1127.0 * torch.log1p(torch.as_tensor(hz, dtype=torch.float64) / 700.0)


def mel_matrix() -> torch.Tensor:
    """(257, 64) float64 weights W with mel = |STFT| · W: triangles on the HTK scale, DC row zero."""
    bins_mel = hz_to_mel(torch.linspace(0.0, SAMPLE_RATE / 2, FFT // 2 + 1, dtype=torch.float64))
    edges = torch.linspace(float(hz_to_mel(MEL_MIN_HZ)), float(hz_to_mel(MEL_MAX_HZ)), MEL_BANDS + 2,
                           dtype=torch.float64)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]                 # (64,) each
    rising = (bins_mel[:, None] - lower) / (centre - lower)
    falling = (upper - bins_mel[:, None]) / (upper - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    weights[0] = 0.0
    return weights


def periodic_hann(length: int = WINDOW) -> torch.Tensor:
    """0.5 − 0.5·cos(2πn/N), n = 0 … N−1 (float64)."""
    return torch.hann_window(length, periodic=True, dtype=torch.float64)


def log_mel(audio: torch.Tensor) -> torch.Tensor:
    """(..., samples) 16 kHz audio → (..., frames, 64) float32 log-mel, frames = 1 + (samples − 400) // 160.
    Computed in float64 (the log of small band energies is sensitive to rounding)."""
    x = torch.as_tensor(audio).to(torch.float64)
    if x.shape[-1] < WINDOW:
        raise InputError(f"audio needs at least {WINDOW} samples (25 ms at 16 kHz), got {x.shape[-1]}")
    frames = x.unfold(-1, WINDOW, HOP) * periodic_hann().to(x.device)       # (..., frames, 400)
    magnitude = torch.fft.rfft(frames, n=FFT).abs()                           # (..., frames, 257)
    return torch.log(magnitude @ mel_matrix().to(x.device) + LOG_OFFSET).to(torch.float32)


def examples(audio: torch.Tensor) -> torch.Tensor:
    """VGGish's framing of a whole clip: (samples,) → (E, 96, 64), examples every 0.96 s, no padding."""
    spectrogram = log_mel(audio)
    count = (spectrogram.shape[0] - EXAMPLE_FRAMES) // EXAMPLE_FRAMES + 1
    if count < 1:
        raise InputError(f"audio shorter than one 0.96 s example ({spectrogram.shape[0]} of {EXAMPLE_FRAMES} frames)")
    return spectrogram[:count * EXAMPLE_FRAMES].reshape(count, EXAMPLE_FRAMES, MEL_BANDS)


def second_examples(seconds: torch.Tensor) -> torch.Tensor:
    """(N, 16000) audio per second → (N, 96, 64): the example starting at each second (not AVE's framing,
    see :class:`SegmentFramer`)."""
    seconds = torch.as_tensor(seconds)
    if seconds.ndim != 2 or seconds.shape[1] != SAMPLE_RATE:
        raise InputError(f"expected (N, {SAMPLE_RATE}) audio, one row per second, got {tuple(seconds.shape)}")
    return log_mel(seconds)[:, :EXAMPLE_FRAMES]


class SegmentFramer:
    """AVE's framing of a stream given in whole seconds: in every group of ``segments`` consecutive
    seconds (a dataset row, one of AVE's clips), segment k gets the 0.96 s example that starts 0.96·k s
    after the group's start, i.e. samples [16000·g + 15360·k, … + 15600) of the group starting at
    second g. That window begins up to 0.36 s inside the previous second, so the framer keeps the
    last second it was given; call it with consecutive blocks of seconds (any count per call).
    """

    def __init__(self, segments: int = SEGMENTS):
        if int(segments) < 1:
            raise InputError(f"segments must be >= 1, got {segments}")
        if (int(segments) - 1) * (SAMPLE_RATE - EXAMPLE_HOP) > SAMPLE_RATE:
            raise InputError(f"segments must be at most 26 (the last example of a group would start more than one "
                             f"second before its own second), got {segments}")
        self.segments, self.position = int(segments), 0
        self.previous = np.zeros(SAMPLE_RATE, np.float32)

    def __call__(self, seconds: np.ndarray) -> np.ndarray:
        """(n, 16000) audio, the next n seconds of the stream → (n, 15600) float32 example windows."""
        seconds = np.asarray(seconds, np.float32)
        if seconds.ndim != 2 or seconds.shape[1] != SAMPLE_RATE:
            raise InputError(f"expected (N, {SAMPLE_RATE}) audio, one row per second, got {seconds.shape}")
        n = seconds.shape[0]
        if n == 0:
            return np.zeros((0, EXAMPLE_SAMPLES), np.float32)
        buffer = np.concatenate([self.previous, seconds.reshape(-1)])     # starts one second before
        k = (self.position + np.arange(n)) % self.segments                # segment within its group
        starts = SAMPLE_RATE * (np.arange(n) + 1) - (SAMPLE_RATE - EXAMPLE_HOP) * k
        windows = buffer[starts[:, None] + np.arange(EXAMPLE_SAMPLES)]
        self.previous = seconds[-1].copy()
        self.position += n
        return windows


def segment_examples(seconds: np.ndarray, framer: SegmentFramer | None = None) -> torch.Tensor:
    """(N, 16000) consecutive seconds → (N, 96, 64) log-mel examples with AVE's framing; without a
    ``framer`` the first second starts a group (a clip of N seconds)."""
    windows = (framer or SegmentFramer())(seconds)
    return log_mel(torch.from_numpy(windows))


class VGGish(nn.Module):
    """(B, 96, 64) log-mel examples → (B, 128) embeddings (``vggish/embedding``: post-ReLU, no PCA)."""

    def __init__(self):
        super().__init__()
        layers, channels = [], 1
        for width in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M"):
            if width == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                channels = width
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(nn.Linear(512 * 6 * 4, 4096), nn.ReLU(inplace=True),
                                        nn.Linear(4096, 4096), nn.ReLU(inplace=True),
                                        nn.Linear(4096, EMBEDDING), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x.reshape(-1, 1, EXAMPLE_FRAMES, MEL_BANDS))     # (B, 512, 6, 4)
        x = x.permute(0, 2, 3, 1).flatten(1)                               # channels last, as TF: (B, 12288)
        return self.embeddings(x)


def load_vggish(path: str, device: str = "cpu") -> VGGish:
    """VGGish with the weights of the state-dict file ``path`` (``vggish-10086976.pth``), in eval mode."""
    state = load_state_dict_file(path, "VGGish", f"{VGGISH_FILE} ({VGGISH_SIZE}) from {VGGISH_URL}")
    model = VGGish()
    load_into(model, state, path, "VGGish")
    return model.to(device).eval()


@torch.inference_mode()
def audio_features(model: VGGish, seconds: np.ndarray, device: str = "cpu", batch: int = 64,
                   framer: SegmentFramer | None = None) -> np.ndarray:
    """(N, 16000) consecutive seconds of audio → (N, 128) float32 VGGish embeddings, one per second,
    framed as AVE's extractor did (:class:`SegmentFramer`; a stream passes its own ``framer`` to every
    call, without one the first second starts a 10 s group)."""
    logmel = segment_examples(np.ascontiguousarray(seconds, np.float32), framer)
    out = [model(logmel[i:i + batch].to(device)).cpu() for i in range(0, logmel.shape[0], batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, EMBEDDING), np.float32)
