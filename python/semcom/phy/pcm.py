# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Uniform PCM of feature values for the separate source/channel coding baseline (the paper's RQ1)."""
from __future__ import annotations

import numpy as np

from .checks import require_int_range
from ..errors import InputError


def check_pcm(bits: int, clip: float) -> None:
    require_int_range("pcm_bits", bits, 1, 16)
    if not (np.isfinite(clip) and clip > 0):
        raise InputError(f"pcm_clip must be a finite number > 0, got {clip}")


def quantize(values: np.ndarray, bits: int, clip: float) -> np.ndarray:
    """Values (..., n) → bits (..., n·bits) as uint8 0/1, most significant first: 2^bits uniform
    cells over [−clip, clip] (values outside are clipped)."""
    check_pcm(bits, clip)
    levels = 2 ** bits
    index = np.clip(np.floor((np.asarray(values, np.float64) + clip) / (2 * clip) * levels), 0, levels - 1)
    index = index.astype(np.int64)
    shifts = np.arange(bits - 1, -1, -1)
    return ((index[..., None] >> shifts) & 1).astype(np.uint8).reshape(*index.shape[:-1], -1)


def dequantize(bit_array: np.ndarray, bits: int, clip: float) -> np.ndarray:
    """Inverse of :func:`quantize`: (..., n·bits) bits → (..., n) cell centres, float32."""
    check_pcm(bits, clip)
    grouped = np.asarray(bit_array, np.int64).reshape(*np.shape(bit_array)[:-1], -1, bits)
    index = grouped @ (1 << np.arange(bits - 1, -1, -1))
    return (-clip + (index + 0.5) * (2 * clip / 2 ** bits)).astype(np.float32)
