"""Channel draws and noise with the SNR definition of DESIGN §2 (P = 1 per user, σ² per antenna)."""
from __future__ import annotations

import numpy as np

from .checks import require_choice, require_int_range

CHANNELS = ("awgn", "rayleigh", "rician")


def noise_variance(snr_db: float) -> float:
    """σ² = 10^(−SNR/10): complex noise CN(0, σ²) per receive antenna for unit signal power."""
    snr_db = float(snr_db)
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number of dB, got {snr_db}")
    return 10.0 ** (-snr_db / 10.0)


def check_rician_k(rician_k: float) -> float:
    rician_k = float(rician_k)
    if not (np.isfinite(rician_k) and rician_k >= 0):
        raise ValueError(f"rician_k must be a finite linear K-factor >= 0, got {rician_k}")
    return rician_k


def draw_channels(kind: str, antennas: int, users: int, count: int, rng: np.random.Generator,
                  rician_k: float = 4.0) -> np.ndarray:
    """``count`` i.i.d. block-fading channel matrices (count, M, K), unit average power per entry.

    awgn: H = I (M = K required, or the first K antennas); rayleigh: CN(0, 1) entries;
    rician: √(K/(K+1))·e^{jφ} + √(1/(K+1))·CN(0, 1), φ uniform per entry.
    """
    require_choice("channel", kind, CHANNELS)
    antennas = require_int_range("antennas (M)", antennas, 1, 4)
    users = require_int_range("users (K)", users, 1, 4)
    shape = (count, antennas, users)
    if kind == "awgn":
        return np.broadcast_to(np.eye(antennas, users, dtype=np.complex64), shape).copy()
    scatter = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
    if kind == "rayleigh":
        return scatter.astype(np.complex64)
    k = check_rician_k(rician_k)
    los = np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, shape))
    return (np.sqrt(k / (k + 1)) * los + np.sqrt(1 / (k + 1)) * scatter).astype(np.complex64)


def complex_noise(shape: tuple, noise_var: float, rng: np.random.Generator) -> np.ndarray:
    """CN(0, noise_var) samples."""
    scale = np.sqrt(noise_var / 2.0)
    return (scale * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))).astype(np.complex64)
