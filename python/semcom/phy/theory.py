# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Closed forms used as ground truth by the tests and printed beside measurements by the apps."""
from __future__ import annotations

import math


def q_function(x: float) -> float:
    """Gaussian tail Q(x) = ½·erfc(x/√2)."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def qpsk_ber_awgn(snr_db: float) -> float:
    """Gray QPSK bit error rate on AWGN, Es/N0 = SNR: P_b = Q(√(2·Eb/N0)) with Eb = Es/2."""
    ebn0 = 10 ** (snr_db / 10) / 2
    return q_function(math.sqrt(2 * ebn0))


def qpsk_ber_rayleigh(snr_db: float) -> float:
    """Gray QPSK bit error rate on flat Rayleigh (E|h|² = 1): ½(1 − √(γ/(1+γ))), γ = Eb/N0.

    Also the per-stream BER of M×M ZF with perfect CSI (post-ZF SNR is χ² with 2 degrees of freedom).
    """
    gamma = 10 ** (snr_db / 10) / 2
    return 0.5 * (1 - math.sqrt(gamma / (1 + gamma)))


def qpsk_ber_rayleigh_estimated(snr_db: float, estimation_mse: float, users: int) -> float:
    """Per-stream BER of M×M ZF on Rayleigh when Ĥ = H + E, E i.i.d. CN(0, ε²) (LS error).

    Writing H = Ĥ/(1+ε²) + Ẽ with Ẽ independent of Ĥ, ZF with Ĥ sees the effective SNR
    Exp(1)·1/(σ²(1+ε²) + K·ε²): still Rayleigh, with a lower mean SNR.
    """
    noise_var = 10 ** (-snr_db / 10)
    effective = 1.0 / (noise_var * (1 + estimation_mse) + users * estimation_mse)
    return qpsk_ber_rayleigh(10 * math.log10(effective))


def ls_mse(noise_var: float, pilot_energy: float) -> float:
    """LS estimate MSE per channel entry: σ²/Σ|p|² (pilot energy of one user over the steps used)."""
    return noise_var / pilot_energy
