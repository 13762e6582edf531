"""The paper's networks: transmitters, the video terminal's AGVA, the receiver with PSP (Fig. 1-5).

Every forward is scriptable (``torch.jit.script``). Terminal networks work in the real domain: a
transmitter outputs the d = 2L real values that the Euler map (eq. 1, a GNU Radio block or
:mod:`semcom.nn.euler`) turns into L complex symbols per segment, and a receiver takes the 2L real
values of the inverse Euler map (eq. 8-9). Shapes: B videos, T = 10 segments.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

NUM_CLASSES = 29


class AudioSemanticEncoder(nn.Module):
    """LSTM (512 units, tanh) over the VGGish features of the T segments: (B, T, 128) → (B, T, 512).

    A layer norm on the input makes training independent of the feature scale (VGGish vs synthetic).
    """

    def __init__(self, in_dim: int = 128, hidden: int = 512):
        super().__init__()
        self.norm = nn.LayerNorm(in_dim)
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.norm(audio))
        return out


class AudioChannelEncoder(nn.Module):
    """Two fully connected layers to the 2L real values of L channel symbols per segment."""

    def __init__(self, in_dim: int, symbols: int, hidden: int = 256):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(in_dim, hidden), nn.Linear(hidden, 2 * symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


class AudioTransmitter(nn.Module):
    """Audio terminal: semantic encoder + channel encoder, (B, T, 128) → (B, T, 2L) (Euler map next)."""

    def __init__(self, symbols: int, audio_dim: int = 128, hidden: int = 512):
        super().__init__()
        self.semantic = AudioSemanticEncoder(audio_dim, hidden)
        self.channel = AudioChannelEncoder(hidden, symbols)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.channel(self.semantic(audio))


class AudioChannelDecoder(nn.Module):
    """Two fully connected layers (256, ReLU) from 2L received reals to ``out_dim`` features."""

    def __init__(self, symbols: int, out_dim: int, hidden: int = 256):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2 * symbols, hidden), nn.Linear(hidden, out_dim)

    def forward(self, received: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(received)))


class AudioGuidedVisualAttention(nn.Module):
    """AGVA (eq. 2-3): v_att_t = Σ_i α_t,i v_t,i with α_t = softmax(W_f tanh(W_v M_v(v_t) + W_a M_a(a*_t))).

    visual (B, T, 49, 512) spatial features, audio (B, T, 128) received audio → (B, T, 512).
    """

    def __init__(self, visual_dim: int = 512, audio_dim: int = 128, shared: int = 256, hidden: int = 256):
        super().__init__()
        self.m_v, self.m_a = nn.Linear(visual_dim, shared), nn.Linear(audio_dim, shared)
        self.w_v, self.w_a = nn.Linear(shared, hidden, bias=False), nn.Linear(shared, hidden, bias=False)
        self.w_f = nn.Linear(hidden, 1, bias=False)

    def forward(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        v = F.relu(self.m_v(visual))                                   # (B, T, 49, d)
        a = F.relu(self.m_a(audio)).unsqueeze(2)                       # (B, T, 1, d)
        alpha = torch.softmax(self.w_f(torch.tanh(self.w_v(v) + self.w_a(a))).squeeze(-1), dim=-1)
        return torch.einsum("btn,btnc->btc", alpha, visual)


class TemporalConvBlocks(nn.Module):
    """Two convolution blocks over the (T × d) feature map of a video: kernel 3 along T, full across d."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, last_relu: bool):
        super().__init__()
        self.conv1 = nn.Conv1d(in_dim, hidden, 3, padding=1)
        self.conv2 = nn.Conv1d(hidden, out_dim, 3, padding=1)
        self.last_relu = last_relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:          # (B, T, in) → (B, T, out)
        y = self.conv2(F.relu(self.conv1(x.transpose(1, 2)))).transpose(1, 2)
        return F.relu(y) if self.last_relu else y


class VideoTransmitter(nn.Module):
    """Video terminal: decode the audio received over the SISO link, AGVA, visual channel encoder.

    visual (B, T, 7, 7, 512), received audio (B, T, 2L) reals → (B, T, 2L) reals (Euler map next).
    """

    def __init__(self, symbols: int, audio_dim: int = 128, visual_dim: int = 512):
        super().__init__()
        self.norm = nn.LayerNorm(visual_dim)                           # per cell, over the 512 channels
        self.audio_decoder = AudioChannelDecoder(symbols, audio_dim)
        self.agva = AudioGuidedVisualAttention(visual_dim, audio_dim)
        self.channel = TemporalConvBlocks(visual_dim, 256, 2 * symbols, last_relu=False)

    def forward(self, visual: torch.Tensor, received_audio: torch.Tensor) -> torch.Tensor:
        b, t = visual.shape[0], visual.shape[1]
        audio = self.audio_decoder(received_audio)                     # a*_t (B, T, 128)
        attended = self.agva(self.norm(visual.reshape(b, t, -1, visual.shape[-1])), audio)
        return self.channel(attended)


class VisualOnlyTransmitter(nn.Module):
    """Video-only system: no audio link, spatial average pooling instead of AGVA."""

    def __init__(self, symbols: int, visual_dim: int = 512):
        super().__init__()
        self.norm = nn.LayerNorm(visual_dim)
        self.channel = TemporalConvBlocks(visual_dim, 256, 2 * symbols, last_relu=False)

    def forward(self, visual: torch.Tensor) -> torch.Tensor:
        return self.channel(self.norm(visual).mean(dim=(2, 3)))


class PositiveSamplePropagation(nn.Module):
    """PSP (eq. 10-15): audio-visual segment affinities, ReLU, ℓ1 rows, threshold τ₁, propagation."""

    def __init__(self, dim: int = 256, tau: float = 0.099):
        super().__init__()
        self.tau = tau
        self.scale = dim ** -0.5
        self.q_v, self.q_a = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)   # W_v², W_a²
        self.p_v, self.p_a = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)   # W₂ᵛ, W₂ᵃ

    def _filter(self, omega: torch.Tensor) -> torch.Tensor:
        w = F.relu(omega)
        w = w / (w.sum(dim=-1, keepdim=True) + 1e-8)                    # eq. 11
        w = w * (w > self.tau).to(w.dtype)
        return w / (w.sum(dim=-1, keepdim=True) + 1e-8)                 # eq. 12-13

    def forward(self, m_a: torch.Tensor, m_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        omega_va = self.q_v(m_v) @ self.q_a(m_a).transpose(1, 2) * self.scale   # eq. 10, (B, T, T)
        eta_va = self._filter(omega_va)
        eta_av = self._filter(omega_va.transpose(1, 2))
        sd_a = eta_av @ self.p_v(m_v) + m_a                              # eq. 14
        sd_v = eta_va @ self.p_a(m_a) + m_v                              # eq. 15
        return sd_a, sd_v


class Receiver(nn.Module):
    """Multimodal receiver (Fig. 5): channel decoders, linear maps to d_l, PSP, averaging fusion, two FC.

    ``modality`` 'av' takes (audio (B, T, 2L), visual (B, T, 2L)); 'a' or 'v' use only their input
    (the other is ignored) and skip PSP. Returns (logits (B, T, 29), audio feature, visual feature).
    """

    def __init__(self, symbols: int, modality: str = "av", dim: int = 256, tau: float = 0.099):
        super().__init__()
        if modality not in ("av", "a", "v"):
            raise ValueError(f"modality must be 'av', 'a' or 'v', got {modality!r}")
        self.use_audio, self.use_visual = modality in ("av", "a"), modality in ("av", "v")
        self.audio_decoder = AudioChannelDecoder(symbols, 256)
        self.visual_decoder = TemporalConvBlocks(2 * symbols, 512, 512, last_relu=True)
        self.map_a, self.map_v = nn.Linear(256, dim), nn.Linear(512, dim)          # Mᵃ, Mᵛ
        self.psp = PositiveSamplePropagation(dim, tau)
        self.fc1, self.fc2 = nn.Linear(dim, dim), nn.Linear(dim, NUM_CLASSES)

    def forward(self, audio: torch.Tensor, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        m_a = self.map_a(F.relu(self.audio_decoder(audio)))
        m_v = self.map_v(self.visual_decoder(visual))
        if self.use_audio and self.use_visual:
            sd_a, sd_v = self.psp(m_a, m_v)
            fused = 0.5 * (sd_a + sd_v)
        elif self.use_audio:
            sd_a, sd_v = m_a, m_a
            fused = m_a
        else:
            sd_a, sd_v = m_v, m_v
            fused = m_v
        return self.fc2(F.relu(self.fc1(fused))), sd_a, sd_v


def semantic_loss(logits: torch.Tensor, labels: torch.Tensor, sd_a: torch.Tensor, sd_v: torch.Tensor,
                  beta: float = 0.1) -> torch.Tensor:
    """Cross-entropy (eq. 16) + β·MSE(cos(SD_a, SD_v), G) with G = 1 on event segments (eq. 17-18)."""
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    events = (labels != NUM_CLASSES - 1).to(logits.dtype)
    cos = F.cosine_similarity(F.normalize(sd_a, p=1.0, dim=-1), F.normalize(sd_v, p=1.0, dim=-1), dim=-1)
    return ce + beta * F.mse_loss(cos, events)
