"""VGGish (Hershey et al., ICASSP 2017) in PyTorch: the log-mel front end and the network.

Front end, as published with the model (tensorflow/models research/audioset/vggish): 16 kHz mono;
25 ms periodic-Hann windows (400 samples) every 10 ms (160), no padding; magnitude of a 512-point
FFT (the next power of two); 64 mel bands from 125 to 7500 Hz on the HTK mel scale
(1127·ln(1 + f/700)) with triangular weights and the DC bin dropped; log(mel + 0.01); framed into
0.96 s examples of 96 frames × 64 bands, hop 0.96 s. Here one example per one-second segment is
used: the first 96 frames of each second (frames 100·s … 100·s + 95), as AVE's features did.

Network: conv3×3 64 / pool / 128 / pool / 256, 256 / pool / 512, 512 / pool (ReLU after each conv,
2×2 max pools), flattened channels-last (6·4·512 = 12288) → fc 4096 → 4096 → 128, ReLU after each
(as in the PyTorch port harritaylor/torchvggish, whose state dict ``vggish-10086976.pth`` loads
unchanged: keys ``features.{0,3,6,8,11,13}`` and ``embeddings.{0,2,4}``).

The output is the raw 128-d embedding. AVE's released audio features went through VGGish's PCA
whitening and 8-bit quantisation as well (``vggish_pca_params``); that step is not applied here, so
features of real media are on a different scale than AVE's and a model trained on AVE needs
retraining (or fine-tuning) on them.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .weights import VGGISH_FILE, VGGISH_SIZE, VGGISH_URL, load_into, load_state_dict_file

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
        raise ValueError(f"audio needs at least {WINDOW} samples (25 ms at 16 kHz), got {x.shape[-1]}")
    frames = x.unfold(-1, WINDOW, HOP) * periodic_hann().to(x.device)       # (..., frames, 400)
    magnitude = torch.fft.rfft(frames, n=FFT).abs()                           # (..., frames, 257)
    return torch.log(magnitude @ mel_matrix().to(x.device) + LOG_OFFSET).to(torch.float32)


def examples(audio: torch.Tensor) -> torch.Tensor:
    """VGGish's framing of a whole clip: (samples,) → (E, 96, 64), examples every 0.96 s, no padding."""
    spectrogram = log_mel(audio)
    count = (spectrogram.shape[0] - EXAMPLE_FRAMES) // EXAMPLE_FRAMES + 1
    if count < 1:
        raise ValueError(f"audio shorter than one 0.96 s example ({spectrogram.shape[0]} of {EXAMPLE_FRAMES} frames)")
    return spectrogram[:count * EXAMPLE_FRAMES].reshape(count, EXAMPLE_FRAMES, MEL_BANDS)


def second_examples(seconds: torch.Tensor) -> torch.Tensor:
    """(N, 16000) audio per second → (N, 96, 64): the example starting at each second."""
    seconds = torch.as_tensor(seconds)
    if seconds.ndim != 2 or seconds.shape[1] != SAMPLE_RATE:
        raise ValueError(f"expected (N, {SAMPLE_RATE}) audio, one row per second, got {tuple(seconds.shape)}")
    return log_mel(seconds)[:, :EXAMPLE_FRAMES]


class VGGish(nn.Module):
    """(B, 96, 64) log-mel examples → (B, 128) embeddings (post-ReLU, no PCA)."""

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
def audio_features(model: VGGish, seconds: np.ndarray, device: str = "cpu", batch: int = 64) -> np.ndarray:
    """(N, 16000) audio per second → (N, 128) float32 VGGish embeddings, one per second."""
    logmel = second_examples(torch.from_numpy(np.ascontiguousarray(seconds, np.float32)))
    out = [model(logmel[i:i + batch].to(device)).cpu() for i in range(0, logmel.shape[0], batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, EMBEDDING), np.float32)
