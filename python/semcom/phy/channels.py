# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel draws and noise with the SNR definition of docs/signal-model.md (P = 1 per user, σ² per antenna)."""
from __future__ import annotations

import numpy as np

from .checks import require_choice, require_int_range
from ..errors import InputError

CHANNELS = ("awgn", "rayleigh", "rician")


def noise_variance(snr_db: float) -> float:
    """σ² = 10^(−SNR/10): complex noise CN(0, σ²) per receive antenna for unit signal power."""
    snr_db = float(snr_db)
    if not np.isfinite(snr_db):
        raise InputError(f"snr_db must be a finite number of dB, got {snr_db}")
    return 10.0 ** (-snr_db / 10.0)


class NoiseLevel:
    """The SNR a receiver assumes and its σ² (:func:`noise_variance`): one object that a block shares
    between the parts that use σ², so that :meth:`set_snr_db` reaches them all."""

    def __init__(self, snr_db: float):
        self.set_snr_db(snr_db)

    def set_snr_db(self, snr_db: float) -> None:
        """Assume ``snr_db`` from now on (InputError, and no change, if it is not finite)."""
        self.variance = noise_variance(snr_db)
        self.snr_db = float(snr_db)

    def __repr__(self) -> str:
        return f"NoiseLevel(snr_db={self.snr_db!r})"


def check_rician_k(rician_k: float) -> float:
    rician_k = float(rician_k)
    if not (np.isfinite(rician_k) and rician_k >= 0):
        raise InputError(f"rician_k must be a finite linear K-factor >= 0, got {rician_k}")
    return rician_k


def draw_channels(kind: str, antennas: int, users: int, count: int, rng: np.random.Generator,
                  rician_k: float = 4.0) -> np.ndarray:
    """``count`` i.i.d. block-fading channel matrices (count, M, K), unit average power per entry.

    awgn: H = I (M = K required, or the first K antennas); rayleigh: CN(0, 1) entries;
    rician: √(K/(K+1))·e^{jφ} + √(1/(K+1))·CN(0, 1), φ uniform per entry (the angle of a
    CN(0, 1) draw). Draws are made matrix by matrix, so splitting ``count`` over several calls
    gives the same sequence: a flowgraph's output does not depend on how work() calls fall.
    """
    require_choice("channel", kind, CHANNELS)
    antennas = require_int_range("antennas (M)", antennas, 1, 4)
    users = require_int_range("users (K)", users, 1, 4)
    shape = (count, antennas, users)
    if kind == "awgn":
        return np.broadcast_to(np.eye(antennas, users, dtype=np.complex64), shape).copy()
    k = check_rician_k(rician_k) if kind == "rician" else 0.0
    draws = rng.standard_normal(shape + ((4,) if kind == "rician" else (2,)))
    scatter = (draws[..., 0] + 1j * draws[..., 1]) / np.sqrt(2.0)
    if kind == "rayleigh":
        return scatter.astype(np.complex64)
    direction = draws[..., 2] + 1j * draws[..., 3]
    magnitude = np.abs(direction)
    los = np.where(magnitude > 0, direction / np.where(magnitude > 0, magnitude, 1.0), 1.0)
    return (np.sqrt(k / (k + 1)) * los + np.sqrt(1 / (k + 1)) * scatter).astype(np.complex64)


def complex_noise(shape: tuple, noise_var: float, rng: np.random.Generator) -> np.ndarray:
    """CN(0, noise_var) samples, drawn element by element (same sequence however ``shape[0]`` is split)."""
    draws = rng.standard_normal(tuple(shape) + (2,))
    return (np.sqrt(noise_var / 2.0) * (draws[..., 0] + 1j * draws[..., 1])).astype(np.complex64)
