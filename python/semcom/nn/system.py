# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole semantic system for training: terminals, SISO link, 2×2 uplink twin, receiver (Fig. 1)."""
from __future__ import annotations

import torch
from torch import nn

from .architecture import PUBLISHED, Architecture
from ..modes import NO_ESTIMATION
from .channel import ChannelTwin
from .euler import euler_map, euler_unmap
from .models import AudioTransmitter, Receiver, VideoTransmitter, VisualOnlyTransmitter
from .pilot import PilotEncoder, pilot_sequence, sinusoid, time_division
from ..errors import InputError

MODALITIES = ("av", "a", "v")
PILOTS = ("zadoff_chu", "neural")


def to_symbols(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, 2L) transmitter output → unit-power burst (B, T·L) complex and its scale (B,) (eq. 1)."""
    symbols = euler_map(features).reshape(features.shape[0], -1)
    power = symbols.abs().pow(2).mean(dim=1)
    scale = torch.where(power > 0, power.sqrt(), torch.ones_like(power))
    return symbols / scale[:, None], scale


def to_features(symbols: torch.Tensor, scale: torch.Tensor, segments: int) -> torch.Tensor:
    """Received burst (B, T·L) complex and the sender's scale → (B, T, 2L) reals (eq. 8-9)."""
    return euler_unmap((symbols * scale[:, None]).reshape(symbols.shape[0], segments, -1))


class SemanticSystem(nn.Module):
    """Audio terminal → SISO link → video terminal; both → uplink → receiver, for one modality setting."""

    """``pilot`` 'neural' trains the pilot encoder (Fig. 4) on a sinusoid with the rest of the system; its
    (T_p, pilot_len / K) sequence is shared by time division, as a pilot file in GNU Radio."""

    def __init__(self, symbols: int = 64, modality: str = "av", pilot: str = "zadoff_chu", pilot_steps: int = 10,
                 pilot_len: int = 16, architecture: Architecture = PUBLISHED):
        super().__init__()
        if modality not in MODALITIES:
            raise InputError(f"modality must be one of 'av', 'a', 'v', got {modality!r}")
        if pilot not in PILOTS:
            raise InputError(f"pilot must be one of 'zadoff_chu', 'neural', got {pilot!r}")
        self.symbols, self.modality, self.architecture = symbols, modality, architecture
        self.uplink_users = 2 if modality == "av" else 1
        self.pilot_encoder = None
        self.fixed_pilot: torch.Tensor | None = None     # (T_p, L) pilot file of an exported model
        if pilot == "neural":
            if pilot_len % self.uplink_users:
                raise InputError(f"pilot_len {pilot_len} must be a multiple of the {self.uplink_users} users "
                                 "for a time-division neural pilot")
            self.pilot_encoder = PilotEncoder(pilot_len // self.uplink_users, pilot_steps)
            self.register_buffer("pilot_audio", sinusoid(float(pilot_steps)), persistent=False)
        self.audio_tx = AudioTransmitter(symbols, architecture=architecture) if modality in ("av", "a") else None
        if modality == "av":
            self.video_tx = VideoTransmitter(symbols, architecture=architecture)
        elif modality == "v":
            self.video_tx = VisualOnlyTransmitter(symbols, architecture=architecture)
        else:
            self.video_tx = None
        self.receiver = Receiver(symbols, modality, architecture=architecture)
        self.precision = "float32"          # one of PRECISIONS; the exported networks are float32 either way

    def _network(self, network, *inputs):
        """``network(*inputs)``, under bfloat16 autocast with float32 results where :attr:`precision` says so."""
        if self.precision == "float32":
            return network(*inputs)
        with torch.autocast(inputs[0].device.type, dtype=torch.bfloat16):
            out = network(*inputs)
        return tuple(o.float() for o in out) if isinstance(out, tuple) else out.float()

    def encode_visual(self, visual: torch.Tensor) -> tuple | None:
        """The video terminal's work that needs neither the audio nor the channel (AGVA's visual scores,
        most of the multimodal system's arithmetic), for :meth:`forward`'s ``visual_encoding``: evaluations
        that send the same videos through several channels compute it once. None where there is none."""
        if self.modality != "av" or not hasattr(self.video_tx, "encode_visual"):
            return None
        return self._network(self.video_tx.encode_visual, visual)

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, siso: ChannelTwin, uplink: ChannelTwin,
                snr_db: torch.Tensor, generator: torch.Generator | None = None, visual_encoding: tuple | None = None):
        """Logits (B, T, 29) and the receiver's two streams; ``visual_encoding``: :meth:`encode_visual` of
        ``visual`` (the same weights), else computed here."""
        segments = audio.shape[1]
        siso_pilots = uplink_pilots = None
        sequence = self.fixed_pilot
        if self.pilot_encoder is not None:
            sequence = pilot_sequence(self.pilot_encoder, self.pilot_audio)
        if sequence is not None:
            siso_pilots, uplink_pilots = time_division(sequence, 1), time_division(sequence, self.uplink_users)
        sent, scales = [], []
        if self.audio_tx is not None:
            a_symbols, a_scale = to_symbols(self._network(self.audio_tx, audio))
            sent.append(a_symbols)
            scales.append(a_scale)
        if self.modality == "av":
            heard = siso(a_symbols[:, None, :], snr_db, generator, siso_pilots)[:, 0]    # the video terminal's copy
            encoding = self.encode_visual(visual) if visual_encoding is None else visual_encoding
            received_audio = to_features(heard, a_scale, segments)
            v_features = (self._network(self.video_tx, visual, received_audio) if encoding is None
                          else self._network(self.video_tx.encode_with_audio, encoding[0], encoding[1], received_audio))
        elif self.modality == "v":
            v_features = self._network(self.video_tx, visual)
        if self.video_tx is not None:
            v_symbols, v_scale = to_symbols(v_features)
            sent.append(v_symbols)
            scales.append(v_scale)
        received = uplink(torch.stack(sent, dim=1), snr_db, generator, uplink_pilots)         # (B, K or M, N)
        streams = [to_features(received[:, k], scales[min(k, len(scales) - 1)], segments)
                   for k in range(received.shape[1])]
        audio_rx = streams[0] if self.modality in ("av", "a") else torch.zeros_like(streams[0])
        visual_rx = streams[-1] if self.modality in ("av", "v") else torch.zeros_like(streams[0])
        if self.modality != "av" and len(streams) > 1:   # 1 user, 2 antennas, no estimation: give it both
            audio_rx = visual_rx = streams[0] + streams[1]
        return self._network(self.receiver, audio_rx, visual_rx)

    def twins(self, channel: str, csi: str, estimator: str = "min_residual", pilot_steps: int = 10,
              pilot_len: int = 16, fading: str = "burst") -> tuple[ChannelTwin, ChannelTwin]:
        """(SISO link, uplink) twins; the SISO link to the video terminal estimates its channel also when the
        receiver's uplink has none (csi 'none' or 'none_retrained': Table I removes the receiver's estimation)."""
        siso = ChannelTwin(channel, 1, 1, "estimated" if csi in NO_ESTIMATION else csi, estimator, pilot_steps,
                           pilot_len, fading=fading)
        return siso, ChannelTwin(channel, 2, self.uplink_users, csi, estimator, pilot_steps, pilot_len, fading=fading)

    @classmethod
    def from_model_dir(cls, folder: str, device="cpu") -> "SemanticSystem":
        """The exported system of a model directory: its TorchScript networks and its pilots, on ``device``."""
        import numpy as np
        from .model_dir import open_model_dir
        model = open_model_dir(folder)
        system = cls(model.symbols, model.modality, architecture=model.architecture)
        system.audio_tx = model.load("audio_transmitter", device) if model.modality in ("av", "a") else None
        system.video_tx = model.load("video_transmitter", device) if model.modality in ("av", "v") else None
        system.receiver = model.load("receiver", device)
        pilots = model.pilot_settings()
        if pilots.source == "file":
            system.fixed_pilot = torch.from_numpy(np.load(pilots.file).astype(np.complex64))
        return system.eval()
