# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Euler transformation of the paper (eq. 1) and its inverse (eq. 8-9), with per-burst power normalisation."""
from __future__ import annotations

import numpy as np

from .checks import require_finite, require_int_range
from ..errors import InputError


def require_feature_length(d) -> int:
    """The per-segment feature length d of a block's parameters: a whole number >= 2, even (the Euler
    map splits it into real and imaginary halves)."""
    d = require_int_range("d", d, 2)
    if d % 2:
        raise InputError(f"d must be even (the Euler map splits it into real and imaginary halves), got {d}")
    return d


def euler_map(features: np.ndarray) -> np.ndarray:
    """F(a) = r + i·s = λ·exp(iθ) with r = a[:d/2], s = a[d/2:] (eq. 1).

    ``features`` has shape (..., d) with d even; returns complex64 of shape (..., d/2).
    """
    features = np.asarray(features)
    d = features.shape[-1]
    if d % 2:
        raise InputError(f"feature length d must be even for the Euler map, got d = {d}")
    half = d // 2
    return (features[..., :half] + 1j * features[..., half:]).astype(np.complex64)


def euler_unmap(symbols: np.ndarray) -> np.ndarray:
    """F⁻¹(λ·exp(iθ)) = [λ·cos θ ; λ·sin θ] (eq. 8-9): complex (..., d/2) -> float32 (..., d)."""
    symbols = np.asarray(symbols)
    magnitude, angle = np.abs(symbols), np.angle(symbols)
    return np.concatenate([magnitude * np.cos(angle), magnitude * np.sin(angle)], axis=-1).astype(np.float32)


def normalise_power(symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale each burst (leading axis) to unit average symbol power.

    ``symbols`` has shape (B, ...); returns (normalised symbols, scale of shape (B,)) such that
    ``normalised * scale`` gives the input back. An all-zero burst keeps scale 1 (nothing to scale).
    """
    require_finite("symbols", symbols)
    power = np.mean(np.abs(symbols.reshape(symbols.shape[0], -1)) ** 2, axis=1)
    scale = np.where(power > 0, np.sqrt(power), 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (symbols.ndim - 1)
    return (symbols / scale.reshape(shape)).astype(np.complex64), scale


def map_bursts(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bursts of feature vectors (B, segments, d) → (unit-power symbols (B, segments, d/2) complex64,
    scale (B,), finite (B,) bool): a burst holding NaN/Inf is mapped from zeros (and marked not finite)."""
    finite = np.isfinite(features).all(axis=(1, 2))
    features = np.where(finite[:, None, None], features, 0.0)
    symbols, scale = normalise_power(euler_map(features))
    return symbols, scale, finite
