# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differentiable twin of the physical layer: pilots, channel, LS (eq. 5-6) and ZF (eq. 7).

Same definitions as :mod:`semcom.phy` (SNR with unit power per user, block fading per burst,
Rician LOS phase uniform, time-division Zadoff-Chu pilots, LS modes, ZF with the same diagonal
loading of ill-conditioned channels), in torch, so that gradients reach the transmitters.

``fading='segment'`` is an experiment of the twin only (the GNU Radio blocks fade per burst): one
channel draw per one-second segment, pilot step t seeing segment t's channel, and each segment
detected with its own step's LS estimate (docs/signal-model.md).
"""
from __future__ import annotations

import numpy as np
import torch

from ..modes import CSI_MODES, FADING_MODES, NO_ESTIMATION
from ..phy.pilots import make_pilots
from ..errors import InputError



def draw_channels(kind: str, batch: int, antennas: int, users: int, rician_k: float,
                  generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """(B, M, K) complex64 block-fading matrices, unit average power per entry."""
    if kind == "awgn":
        return torch.eye(antennas, users, dtype=torch.complex64, device=device).expand(batch, -1, -1)
    draws = torch.randn((batch, antennas, users, 4), generator=generator, device=device)
    scatter = torch.complex(draws[..., 0], draws[..., 1]) / np.sqrt(2.0)
    if kind == "rayleigh":
        return scatter
    if kind != "rician":
        raise InputError(f"channel must be one of 'awgn', 'rayleigh', 'rician', got {kind!r}")
    direction = torch.complex(draws[..., 2], draws[..., 3])
    los = direction / direction.abs().clamp_min(1e-12)
    return np.sqrt(rician_k / (rician_k + 1)) * los + np.sqrt(1 / (rician_k + 1)) * scatter


def complex_noise(shape, noise_var: torch.Tensor, generator, device) -> torch.Tensor:
    """CN(0, σ²) with σ² of shape (B,) broadcast over the remaining axes."""
    draws = torch.randn(tuple(shape) + (2,), generator=generator, device=device)
    scale = (noise_var / 2).sqrt().reshape((-1,) + (1,) * (len(shape) - 1))
    return torch.complex(draws[..., 0], draws[..., 1]) * scale


def ls_per_step(pilots: torch.Tensor, received: torch.Tensor) -> torch.Tensor:
    """Ĥ_t = Y_t X_tᴴ (X_t X_tᴴ)⁻¹ (eq. 5) for every step: pilots (T_p, K, L), Y (B, T_p, M, L) → (B, T_p, M, K)."""
    gram = pilots @ pilots.conj().transpose(-1, -2)                       # (T_p, K, K)
    cross = received @ pilots.conj().transpose(-1, -2)                    # (B, T_p, M, K)
    return torch.linalg.solve(gram, cross.conj().transpose(-1, -2)).conj().transpose(-1, -2)


def ls_estimate(pilots: torch.Tensor, received: torch.Tensor, mode: str, noise_var: torch.Tensor) -> torch.Tensor:
    """Per-timestep LS from pilots X (T_p, K, L) and received Y (B, T_p, M, L) → Ĥ (B, M, K)."""
    if mode == "min_residual":
        h_steps = ls_per_step(pilots, received)
        residual = (received - h_steps @ pilots).abs().pow(2).sum(dim=(-1, -2))   # (B, T_p)
        t_min = residual.argmin(dim=1)
        return h_steps[torch.arange(received.shape[0], device=received.device), t_min]
    users = pilots.shape[1]
    loaded = (pilots @ pilots.conj().transpose(-1, -2)).sum(dim=0).expand(received.shape[0], -1, -1)
    cross = received @ pilots.conj().transpose(-1, -2)                    # (B, T_p, M, K)
    if mode == "lmmse":
        loaded = loaded + noise_var.reshape(-1, 1, 1) * torch.eye(users, device=received.device)
    elif mode != "joint":
        raise InputError(f"mode must be one of 'min_residual', 'joint', 'lmmse', got {mode!r}")
    return torch.linalg.solve(loaded, cross.sum(dim=1).conj().transpose(-1, -2)).conj().transpose(-1, -2)


def zero_forcing(h: torch.Tensor, received: torch.Tensor, max_condition: float = 1e6) -> torch.Tensor:
    """X̂ = (ĤᴴĤ + δI)⁻¹ĤᴴY with δ = 0 unless cond(ĤᴴĤ) > max_condition (as :func:`semcom.phy.detect.detect`)."""
    hh = h.conj().transpose(-1, -2)
    gram = hh @ h
    eig = torch.linalg.eigvalsh(gram.detach())
    load = ((eig[:, -1] - max_condition * eig[:, 0]) / (max_condition - 1)).clamp_min(0)
    load = torch.where(eig[:, -1] > 0, load, torch.ones_like(load))
    eye = torch.eye(h.shape[-1], device=h.device)
    return torch.linalg.solve(gram + load.reshape(-1, 1, 1) * eye, hh @ received)


class ChannelTwin:
    """K users → M antennas for a batch of bursts: symbols (B, K, N) complex → what the receiver gets.

    csi ``estimated``/``perfect``: ZF output (B, K, N) with Ĥ from LS (``mode``) or the true H;
    ``none_retrained`` and ``none_no_retraining`` (:data:`NO_ESTIMATION`): the raw antenna signals (B, M, N), Y = HX + N
    (antenna m goes where the detector's user m went); ``error_free``: the symbols themselves.
    ``fading``: ``burst`` (one H per burst, the GNU Radio blocks' model) or ``segment`` (one H per each of
    ``pilot_steps`` equal parts of the payload, the one-second segments, each estimated from its own
    pilot step whatever ``mode`` says).
    """

    def __init__(self, channel: str = "rayleigh", antennas: int = 2, users: int = 2, csi: str = "estimated",
                 mode: str = "min_residual", pilot_steps: int = 10, pilot_len: int = 16, rician_k: float = 4.0,
                 fading: str = "burst"):
        if csi not in CSI_MODES:
            raise InputError(f"csi must be one of {', '.join(map(repr, CSI_MODES))}, got {csi!r}")
        if fading not in FADING_MODES:
            raise InputError(f"fading must be one of {', '.join(map(repr, FADING_MODES))}, got {fading!r}")
        self.channel, self.antennas, self.users = channel, antennas, users
        self.csi, self.mode, self.rician_k, self.fading = csi, mode, rician_k, fading
        self.pilots = torch.from_numpy(make_pilots("zadoff_chu", users, pilot_steps, pilot_len))

    def __call__(self, symbols: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None = None,
                 pilots: torch.Tensor | None = None) -> torch.Tensor:
        """``pilots`` (T_p, K, L_p) replaces the Zadoff-Chu pilots (a trained neural pilot)."""
        if self.csi == "error_free":
            return symbols
        batch, device = symbols.shape[0], symbols.device
        pilots = (self.pilots if pilots is None else pilots).to(device)
        noise_var = torch.pow(10.0, -snr_db.to(device).float() / 10)
        if self.fading == "segment":
            return self._per_segment(symbols, noise_var, generator, pilots)
        h = draw_channels(self.channel, batch, self.antennas, self.users, self.rician_k, generator, device)
        received = h @ symbols + complex_noise((batch, self.antennas, symbols.shape[-1]), noise_var, generator, device)
        if self.csi in NO_ESTIMATION:
            return received
        if self.csi == "perfect":
            h_hat = h
        else:
            steps, _, length = pilots.shape
            clean = torch.einsum("bmk,tkl->btml", h, pilots)
            noisy = clean + complex_noise((batch, steps, self.antennas, length), noise_var, generator, device)
            h_hat = ls_estimate(pilots, noisy, self.mode, noise_var)
        return zero_forcing(h_hat, received)

    def _per_segment(self, symbols: torch.Tensor, noise_var: torch.Tensor, generator, pilots: torch.Tensor):
        """One channel per segment s (the payload cut into T_p equal parts), pilot step s sent through it."""
        batch, users, length = symbols.shape
        steps, antennas, device = pilots.shape[0], self.antennas, symbols.device
        if length % steps:
            raise InputError(f"fading 'segment': {length} payload symbols do not split into {steps} segments "
                             "(one pilot step per segment)")
        h = draw_channels(self.channel, batch * steps, antennas, users, self.rician_k, generator, device)
        h = h.reshape(batch, steps, antennas, users)                                     # (B, S, M, K)
        x = symbols.reshape(batch, users, steps, length // steps).transpose(1, 2)        # (B, S, K, L)
        received = h @ x + complex_noise((batch, steps, antennas, length // steps), noise_var, generator, device)
        if self.csi in NO_ESTIMATION:
            return received.transpose(1, 2).reshape(batch, antennas, length)
        if self.csi == "perfect":
            h_hat = h
        else:
            clean = torch.einsum("bsmk,skl->bsml", h, pilots)
            noisy = clean + complex_noise(clean.shape, noise_var, generator, device)
            h_hat = ls_per_step(pilots, noisy)
        detected = zero_forcing(h_hat.reshape(-1, antennas, users), received.reshape(batch * steps, antennas, -1))
        return detected.reshape(batch, steps, users, -1).transpose(1, 2).reshape(batch, users, length)
