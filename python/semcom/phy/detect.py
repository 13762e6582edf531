# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linear MIMO detection (eq. 7): zero forcing X̂ = (ĤᴴĤ)⁻¹ĤᴴY, or MMSE, never producing NaN/Inf."""
from __future__ import annotations

import numpy as np

from .checks import require_choice, require_finite
from ..errors import InputError

DETECTORS = ("zf", "mmse")


def detect(h: np.ndarray, received: np.ndarray, method: str = "zf", noise_var: float = 0.0,
           max_condition: float = 1e6) -> tuple[np.ndarray, np.ndarray]:
    """Detect K streams from M received streams, one channel matrix per burst.

    ``h`` (B, M, K) channel estimates, ``received`` (B, M, N) → (x̂ (B, K, N) complex64,
    regularised (B,) bool). ``zf`` solves (ĤᴴĤ)x̂ = ĤᴴY (eq. 7); ``mmse`` adds σ²·I (needs
    ``noise_var`` > 0). When ĤᴴĤ (+ σ²I) has a condition number above ``max_condition`` (or Ĥ is
    not finite) a diagonal load δ·I is added that brings it to ``max_condition``, and the burst
    is flagged: the output stays finite whatever Ĥ is.
    """
    require_choice("detector", method, DETECTORS)
    if method == "mmse" and not noise_var > 0:
        raise InputError(f"noise_var must be > 0 for the mmse detector, got {noise_var}")
    if not max_condition > 1:
        raise InputError(f"max_condition must be > 1, got {max_condition}")
    if h.ndim != 3 or received.ndim != 3 or h.shape[:2] != received.shape[:2]:
        raise InputError(f"channel must be (B, M, K) and received (B, M, N) with the same B and M, "
                         f"got {h.shape} and {received.shape}")
    if h.shape[1] < h.shape[2]:
        raise InputError(f"antennas M must be >= users K = {h.shape[2]} for ZF, got M = {h.shape[1]}")
    require_finite("received", received)
    h = h.astype(np.complex128)
    bad = ~np.isfinite(h).all(axis=(1, 2))
    h[bad] = 0.0
    hh = h.conj().transpose(0, 2, 1)
    gram = hh @ h                                                   # (B, K, K)
    users = h.shape[2]
    if method == "mmse":
        gram = gram + noise_var * np.eye(users)
    eig = np.linalg.eigvalsh(gram)                                  # ascending, (B, K)
    load = np.maximum(0.0, (eig[:, -1] - max_condition * eig[:, 0]) / (max_condition - 1))
    load = np.where(eig[:, -1] > 0, load, 1.0)                      # Ĥ = 0: any load gives x̂ = 0
    regularised = bad | (load > 0)
    gram = gram + load[:, None, None] * np.eye(users)
    x_hat = np.linalg.solve(gram, hh @ received.astype(np.complex128))
    return x_hat.astype(np.complex64), regularised
