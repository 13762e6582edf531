# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
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

from .architecture import PUBLISHED, Architecture
from .euler import unit_modulus
from .runtime import cpu_autocast_enabled, native_bfloat16
from ..errors import InputError

NUM_CLASSES = 29
DROPOUT = 0.1               # PSP's dropout rate


def flat_linear_relu(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """ReLU(x Wᵀ + b) for x (..., in): one matrix product with the bias added in it (PyTorch adds the bias
    of a Linear on more than 3 dimensions in a second pass), the ReLU in place. The largest layer of
    training (M_v of AGVA, on every one of the 49 cells) takes about a fifth less time this way."""
    out = F.relu(F.linear(x.reshape(-1, x.shape[-1]), weight, bias), inplace=True)
    return out.reshape(list(x.shape[:-1]) + [out.shape[-1]])


class PreciseLayerNorm(nn.LayerNorm):
    """LayerNorm computed in its weights' precision: under mixed precision (torch.autocast) PyTorch 1.13
    passes it the bfloat16 output of the layer before on the CPU, which it cannot take; later PyTorch
    casts the input to float32 itself. Same parameters as nn.LayerNorm."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x.to(self.weight.dtype), self.normalized_shape, self.weight, self.bias, self.eps)


class AudioSemanticEncoder(nn.Module):
    """LSTM (512 units, tanh) over the VGGish features of the T segments: (B, T, 128) → (B, T, 512).

    A layer norm on the input makes training independent of the feature scale (VGGish vs synthetic).
    """

    def __init__(self, in_dim: int = 128, hidden: int = 512):
        super().__init__()
        self.norm = nn.LayerNorm(in_dim)
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        features = self.norm(audio)
        if not torch.jit.is_scripting():
            if features.device.type == "cpu" and cpu_autocast_enabled() and not native_bfloat16(features.device):
                # Under mixed precision on a CPU without bfloat16 arithmetic, PyTorch 2's oneDNN has no
                # bfloat16 LSTM ("could not create a primitive descriptor"): this layer stays float32 there.
                with torch.autocast("cpu", enabled=False):
                    return self.lstm(features.float())[0]
        out, _ = self.lstm(features)
        return out


class AudioChannelEncoder(nn.Module):
    """Two fully connected layers to the 2L real values of L channel symbols per segment."""

    def __init__(self, in_dim: int, symbols: int, hidden: int = 256):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(in_dim, hidden), nn.Linear(hidden, 2 * symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


class AudioTransmitter(nn.Module):
    """Audio terminal: semantic encoder + channel encoder, (B, T, 128) → (B, T, 2L) (Euler map next);
    ``architecture.envelope`` 'constant' scales each symbol to unit modulus (:func:`unit_modulus`)."""

    def __init__(self, symbols: int, audio_dim: int = 128, hidden: int = 512,
                 architecture: Architecture = PUBLISHED):
        super().__init__()
        self.semantic = AudioSemanticEncoder(audio_dim, hidden)
        self.channel = AudioChannelEncoder(hidden, symbols)
        self.constant_envelope = architecture.envelope == "constant"

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        out = self.channel(self.semantic(audio))
        return unit_modulus(out) if self.constant_envelope else out


class AudioChannelDecoder(nn.Module):
    """Two fully connected layers (256, ReLU) from 2L received reals to ``out_dim`` features."""

    def __init__(self, symbols: int, out_dim: int, hidden: int = 256):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2 * symbols, hidden), nn.Linear(hidden, out_dim)

    def forward(self, received: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(received)))


class AudioGuidedVisualAttention(nn.Module):
    """AGVA (eq. 2-3) as in AVEL and PSP (architecture ``agva='per_cell'``): v_att_t = Σ_i α_t,i v_t,i with
    α_t = softmax_i(W_f tanh(W_v¹ M_v(v_t,i) + [W_a¹ M_a(a*_t)]_i)); M_v, M_a: Linear + ReLU to d = 512,
    W_v¹, W_a¹: d → k = 49 (the number of cells) without bias, so the audio term [·]_i is added per
    spatial cell i; W_f: k → 1 without bias.

    visual (B, T, 49, 512) spatial features, audio (B, T, 128) received audio → (B, T, 512).
    """

    def __init__(self, visual_dim: int = 512, audio_dim: int = 128, shared: int = 512, cells: int = 49):
        super().__init__()
        self.m_v, self.m_a = nn.Linear(visual_dim, shared), nn.Linear(audio_dim, shared)
        self.w_v, self.w_a = nn.Linear(shared, cells, bias=False), nn.Linear(shared, cells, bias=False)
        self.w_f = nn.Linear(cells, 1, bias=False)
        for layer in (self.m_v, self.m_a, self.w_v, self.w_a, self.w_f):
            nn.init.xavier_uniform_(layer.weight)

    def visual_scores(self, visual: torch.Tensor) -> torch.Tensor:
        """W_v¹ M_v(v_t,i), the part of eq. 3 that needs no audio: (B, T, 49, 512) → (B, T, 49, k)."""
        return self.w_v(flat_linear_relu(visual, self.m_v.weight, self.m_v.bias))

    def attend(self, visual: torch.Tensor, scores: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Eq. 2-3 given :meth:`visual_scores`: (B, T, 49, 512), (B, T, 49, k), (B, T, 128) → (B, T, 512)."""
        a = F.relu(self.m_a(audio))                                    # (B, T, d)
        content = scores + self.w_a(a).unsqueeze(-1)                   # (B, T, 49, k) + (B, T, 49, 1)
        alpha = torch.softmax(self.w_f(torch.tanh(content)).squeeze(-1), dim=-1)
        return torch.einsum("btn,btnc->btc", alpha, visual)

    def forward(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        return self.attend(visual, self.visual_scores(visual), audio)


class FeatureWiseAudioGuidedAttention(nn.Module):
    """AGVA with the audio term added per hidden feature (architecture ``agva='per_feature'``, the
    LEGACY layout; one reading of eq. 3): α_t = softmax_i(W_f tanh(W_v M_v(v_t,i) +
    W_a M_a(a*_t))) with the audio term broadcast over the cells, d = k = 256.
    """

    def __init__(self, visual_dim: int = 512, audio_dim: int = 128, shared: int = 256, hidden: int = 256):
        super().__init__()
        self.m_v, self.m_a = nn.Linear(visual_dim, shared), nn.Linear(audio_dim, shared)
        self.w_v, self.w_a = nn.Linear(shared, hidden, bias=False), nn.Linear(shared, hidden, bias=False)
        self.w_f = nn.Linear(hidden, 1, bias=False)

    def visual_scores(self, visual: torch.Tensor) -> torch.Tensor:
        """W_v M_v(v_t,i), the part that needs no audio: (B, T, 49, 512) → (B, T, 49, 256)."""
        return self.w_v(flat_linear_relu(visual, self.m_v.weight, self.m_v.bias))

    def attend(self, visual: torch.Tensor, scores: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """The attention given :meth:`visual_scores` → (B, T, 512)."""
        a = F.relu(self.m_a(audio)).unsqueeze(2)                       # (B, T, 1, d)
        alpha = torch.softmax(self.w_f(torch.tanh(scores + self.w_a(a))).squeeze(-1), dim=-1)
        return torch.einsum("btn,btnc->btc", alpha, visual)

    def forward(self, visual: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        return self.attend(visual, self.visual_scores(visual), audio)


class TemporalConvBlocks(nn.Module):
    """Two convolution blocks over the (T × d) feature map of a video: kernel 3 along T, full across d.

    ``batch_norm``: the first block is Conv1d (no bias) + BatchNorm1d + ReLU (architecture
    ``visual_encoder='conv_bn'``, for the non-negative visual features; see
    :data:`semcom.nn.architecture.CHOICES`), else Conv1d + ReLU.
    """

    def __init__(self, in_dim: int, hidden: int, out_dim: int, last_relu: bool, batch_norm: bool = False):
        super().__init__()
        self.conv1 = nn.Conv1d(in_dim, hidden, 3, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm1d(hidden) if batch_norm else nn.Identity()
        self.conv2 = nn.Conv1d(hidden, out_dim, 3, padding=1)
        self.last_relu = last_relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:          # (B, T, in) → (B, T, out)
        # contiguous: a Linear after this one takes a transposed input as B separate products (and a sum
        # for its weight gradient), several times slower than one product on the contiguous copy
        y = self.conv2(F.relu(self.bn1(self.conv1(x.transpose(1, 2))))).transpose(1, 2).contiguous()
        return F.relu(y) if self.last_relu else y


class VideoTransmitter(nn.Module):
    """Video terminal: decode the audio received over the SISO link, AGVA, visual channel encoder.

    visual (B, T, 7, 7, 512), received audio (B, T, 2L) reals → (B, T, 2L) reals (Euler map next).
    ``architecture`` (:class:`semcom.nn.architecture.Architecture`) picks the AGVA variant, the
    optional LayerNorm of the visual cells, the first block of the visual channel encoder and the envelope.
    """

    def __init__(self, symbols: int, audio_dim: int = 128, visual_dim: int = 512,
                 architecture: Architecture = PUBLISHED, cells: int = 49):
        super().__init__()
        self.norm = nn.LayerNorm(visual_dim) if architecture.visual_norm else nn.Identity()
        self.audio_decoder = AudioChannelDecoder(symbols, audio_dim)
        if architecture.agva == "per_cell":
            self.agva = AudioGuidedVisualAttention(visual_dim, audio_dim, cells=cells)
        else:
            self.agva = FeatureWiseAudioGuidedAttention(visual_dim, audio_dim)
        self.channel = TemporalConvBlocks(visual_dim, 256, 2 * symbols, last_relu=False,
                                          batch_norm=architecture.visual_encoder == "conv_bn")
        self.constant_envelope = architecture.envelope == "constant"

    @torch.jit.export
    def encode_visual(self, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The work that needs no audio (most of it): (normalised cells (B, T, 49, 512), their AGVA
        scores); a streaming video terminal runs it while the audio is still on the SISO link."""
        b, t = visual.shape[0], visual.shape[1]
        cells = self.norm(visual.reshape(b, t, -1, visual.shape[-1]))
        return cells, self.agva.visual_scores(cells)

    @torch.jit.export
    def encode_with_audio(self, cells: torch.Tensor, scores: torch.Tensor,
                          received_audio: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward` once the audio is received: a*_t, AGVA, channel encoder."""
        audio = self.audio_decoder(received_audio)                     # a*_t (B, T, 128)
        out = self.channel(self.agva.attend(cells, scores, audio))
        return unit_modulus(out) if self.constant_envelope else out

    def forward(self, visual: torch.Tensor, received_audio: torch.Tensor) -> torch.Tensor:
        cells, scores = self.encode_visual(visual)
        return self.encode_with_audio(cells, scores, received_audio)


class VisualOnlyTransmitter(nn.Module):
    """Video-only system: no audio link, spatial average pooling instead of AGVA."""

    def __init__(self, symbols: int, visual_dim: int = 512, architecture: Architecture = PUBLISHED):
        super().__init__()
        self.norm = nn.LayerNorm(visual_dim) if architecture.visual_norm else nn.Identity()
        self.channel = TemporalConvBlocks(visual_dim, 256, 2 * symbols, last_relu=False,
                                          batch_norm=architecture.visual_encoder == "conv_bn")
        self.constant_envelope = architecture.envelope == "constant"

    def forward(self, visual: torch.Tensor) -> torch.Tensor:
        out = self.channel(self.norm(visual).mean(dim=(2, 3)))
        return unit_modulus(out) if self.constant_envelope else out


class PositiveSamplePropagation(nn.Module):
    """PSP (eq. 10-15) as published (Zhou et al., CVPR 2021).

    Projections (``psp_projection``): q_v = W_v², q_a = W_a² score the segment pairs, p_v = W₂ᵛ,
    p_a = W₂ᵃ carry the propagated features; each is Linear (no bias) + ReLU + Dropout
    ('relu_dropout') or the plain linear map ('linear'). ω^va = q_v q_aᵀ/√d_l (eq. 10), ω^av = (ω^va)ᵀ;
    ReLU and row ℓ1 (eq. 11); entries ≤ τ₁ dropped and rows ℓ1-normalised again (eq. 12-13);
    SD_a = η^av p_v + M^a, SD_v = η^va p_a + M^v (eq. 14-15). With ``psp_output='fc_layernorm'``
    each stream then passes its own Linear (no bias) + ReLU + Dropout and one LayerNorm shared by
    both streams (eps 1e-6), as published, before the receiver averages them.
    """

    def __init__(self, dim: int = 256, tau: float = 0.099, projection: str = "relu_dropout",
                 output: str = "fc_layernorm", dropout: float = DROPOUT):
        super().__init__()
        self.tau = tau
        self.scale = dim ** -0.5
        self.relu_projection = projection == "relu_dropout"
        self.output_layers = output == "fc_layernorm"
        self.q_v, self.q_a = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)   # W_v², W_a²
        self.p_v, self.p_a = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)   # W₂ᵛ, W₂ᵃ
        self.dropout = nn.Dropout(dropout)
        if self.output_layers:
            self.fc_v, self.fc_a = nn.Linear(dim, dim, bias=False), nn.Linear(dim, dim, bias=False)
            self.norm = PreciseLayerNorm(dim, eps=1e-6)
        else:
            self.fc_v, self.fc_a, self.norm = nn.Identity(), nn.Identity(), nn.Identity()
        if self.relu_projection:
            for layer in (self.q_v, self.q_a, self.p_v, self.p_a):
                nn.init.xavier_uniform_(layer.weight)
        if self.output_layers:
            nn.init.xavier_uniform_(self.fc_v.weight)
            nn.init.xavier_uniform_(self.fc_a.weight)

    def _filter(self, omega: torch.Tensor) -> torch.Tensor:
        w = F.relu(omega)
        w = w / (w.sum(dim=-1, keepdim=True) + 1e-8)                    # eq. 11
        w = w * (w > self.tau).to(w.dtype)
        return w / (w.sum(dim=-1, keepdim=True) + 1e-8)                 # eq. 12-13

    def forward(self, m_a: torch.Tensor, m_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q_v, q_a, p_v, p_a = self.q_v(m_v), self.q_a(m_a), self.p_v(m_v), self.p_a(m_a)
        if self.relu_projection:
            q_v, q_a = self.dropout(F.relu(q_v)), self.dropout(F.relu(q_a))
            p_v, p_a = self.dropout(F.relu(p_v)), self.dropout(F.relu(p_a))
        omega_va = q_v @ q_a.transpose(1, 2) * self.scale               # eq. 10, (B, T, T)
        eta_va = self._filter(omega_va)
        eta_av = self._filter(omega_va.transpose(1, 2))
        sd_a = eta_av @ p_v + m_a                                        # eq. 14
        sd_v = eta_va @ p_a + m_v                                        # eq. 15
        if self.output_layers:
            sd_a = self.norm(self.dropout(F.relu(self.fc_a(sd_a))))
            sd_v = self.norm(self.dropout(F.relu(self.fc_v(sd_v))))
        return sd_a, sd_v


class Receiver(nn.Module):
    """Multimodal receiver (Fig. 5): channel decoders, linear maps to d_l, PSP, averaging fusion, two FC.

    ``modality`` 'av' takes (audio (B, T, 2L), visual (B, T, 2L)); 'a' or 'v' use only their input
    (the other is ignored) and skip PSP. Returns (logits (B, T, 29), audio feature, visual feature).
    The classifier is 256 → 64 → 29 without biases (``classifier='psp'``, as published) or
    256 → 256 → 29 with biases ('wide'); ``architecture.tau`` is PSP's τ₁. ``architecture.receiver_span``
    'segment' decodes every segment on its own (a batch of B·T one-segment videos), 'burst' all T together.
    """

    def __init__(self, symbols: int, modality: str = "av", dim: int = 256, architecture: Architecture = PUBLISHED):
        super().__init__()
        if modality not in ("av", "a", "v"):
            raise InputError(f"modality must be 'av', 'a' or 'v', got {modality!r}")
        self.use_audio, self.use_visual = modality in ("av", "a"), modality in ("av", "v")
        self.audio_decoder = AudioChannelDecoder(symbols, 256)
        self.visual_decoder = TemporalConvBlocks(2 * symbols, 512, 512, last_relu=True)
        self.map_a, self.map_v = nn.Linear(256, dim), nn.Linear(512, dim)          # Mᵃ, Mᵛ
        self.psp = PositiveSamplePropagation(dim, architecture.tau, architecture.psp_projection,
                                             architecture.psp_output)
        if architecture.classifier == "psp":
            self.fc1, self.fc2 = nn.Linear(dim, 64, bias=False), nn.Linear(64, NUM_CLASSES, bias=False)
            nn.init.xavier_uniform_(self.fc1.weight)
            nn.init.xavier_uniform_(self.fc2.weight)
        else:
            self.fc1, self.fc2 = nn.Linear(dim, dim), nn.Linear(dim, NUM_CLASSES)
        self.per_segment = architecture.receiver_span == "segment"

    def forward(self, audio: torch.Tensor, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not self.per_segment:
            return self.decode(audio, visual)
        b, t = audio.shape[0], audio.shape[1]
        logits, sd_a, sd_v = self.decode(audio.reshape(b * t, 1, audio.shape[2]),
                                         visual.reshape(b * t, 1, visual.shape[2]))
        return logits.reshape(b, t, -1), sd_a.reshape(b, t, -1), sd_v.reshape(b, t, -1)

    def decode(self, audio: torch.Tensor, visual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fig. 5 on (B, T, 2L) inputs, all T segments together."""
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


SIMILARITY_LOSSES = ("psp", "paper")


def similarity_target(labels: torch.Tensor, similarity: str = "psp") -> torch.Tensor:
    """G of eq. 17 for (B, T) labels. 'paper': g_t = 1 on event segments, 0 on background.
    'psp' (published code): g_t = 1/n on the n segments labelled with the video's event class (its
    lowest class index; a video with no event targets its background segments), 0 elsewhere."""
    if similarity == "paper":
        return (labels != NUM_CLASSES - 1).to(torch.float32)
    if similarity != "psp":
        raise InputError(f"similarity must be one of 'psp', 'paper', got {similarity!r}")
    same = (labels == labels.min(dim=1, keepdim=True).values).to(torch.float32)
    return same / same.sum(dim=1, keepdim=True)


def semantic_loss(logits: torch.Tensor, labels: torch.Tensor, sd_a: torch.Tensor, sd_v: torch.Tensor,
                  weight: float = 100.0, similarity: str = "psp") -> torch.Tensor:
    """L_total = L_cls + λ·L_avs (eq. 18; the paper's λ = 100, written β in eq. 18).

    L_cls (eq. 16): cross-entropy averaged over all segments of the batch, as in the published PSP code
    that λ = 100 comes from (eq. 16's further 1/C would only rescale λ). L_avs (eq. 17): mean squared
    error between S and G over the segments, S_t = cos(SD_a,t, SD_v,t) (cosine is unchanged by the ℓ1
    normalisation the paper names). ``similarity`` 'psp' (published): S = ReLU(cos) normalised to sum
    1 over the T segments, G of :func:`similarity_target`; 'paper': S = cos and G ∈ {0, 1}.
    """
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    target = similarity_target(labels, similarity).to(logits.dtype)
    cos = F.cosine_similarity(sd_a, sd_v, dim=-1, eps=1e-8)
    if similarity == "psp":
        cos = F.relu(cos)
        cos = cos / (cos.sum(dim=1, keepdim=True) + 1e-8)
    return ce + weight * F.mse_loss(cos, target)
