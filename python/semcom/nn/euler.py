# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differentiable Euler map (eq. 1), its inverse (eq. 8-9) and per-burst power normalisation.

The same definitions as :mod:`semcom.phy.euler`, in torch, so that training sees what GNU Radio sends.
"""
from __future__ import annotations

import torch


def euler_map(features: torch.Tensor) -> torch.Tensor:
    """(…, d) real → (…, d/2) complex: first half real parts, second half imaginary parts (eq. 1)."""
    half = features.shape[-1] // 2
    return torch.complex(features[..., :half], features[..., half:])


def euler_unmap(symbols: torch.Tensor) -> torch.Tensor:
    """(…, d/2) complex → (…, d) real: [λ·cos θ ; λ·sin θ] = [Re ; Im] (eq. 8-9)."""
    return torch.cat([symbols.real, symbols.imag], dim=-1)


def unit_modulus(features: torch.Tensor) -> torch.Tensor:
    """(…, 2L) reals → the same with each pair (r_i, s_i) = (x_i, x_{L+i}) scaled to unit norm, so that
    :func:`euler_map` makes unit-modulus symbols (architecture ``envelope='constant'``), in float32."""
    features = features.float()
    half = features.shape[-1] // 2
    modulus = torch.sqrt(features[..., :half].square() + features[..., half:].square() + 1e-12)
    return features / torch.cat([modulus, modulus], dim=-1)


def normalise_power(symbols: torch.Tensor) -> torch.Tensor:
    """Scale each burst (leading axis) to unit average symbol power; all-zero bursts stay zero."""
    power = symbols.abs().pow(2).flatten(1).mean(dim=1)
    scale = torch.where(power > 0, power.sqrt(), torch.ones_like(power))
    return symbols / scale.reshape((-1,) + (1,) * (symbols.dim() - 1))
