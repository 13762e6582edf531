# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-timestep least-squares channel estimation from pilots (eq. 5-6) and its estimator modes.

Shapes: pilots X (T, K, L) or (T_p, K, L) shared by every group of T_p steps; received Y (T, M, L);
one estimate Ĥ_t = Y_t X_tᴴ (X_t X_tᴴ)⁻¹ of shape (M, K) per step, residual r_t = ‖Y_t − Ĥ_t X_t‖².
Steps come in groups (one group = the T_p pilot steps of one burst): ``t_min`` (eq. 6), the summed
Gram/cross matrices and the joint solution are per group. The C++ kernel does the work when built;
:func:`ls_reference` is the NumPy reference the tests compare it with.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import require_choice, require_finite
from ..errors import InputError

ESTIMATOR_MODES = ("min_residual", "joint", "lmmse")


@dataclass
class LsResult:
    h_steps: np.ndarray   # (T, M, K) complex: Ĥ_t per pilot step (eq. 5)
    residual: np.ndarray  # (T,) float: r_t = ‖Y_t − Ĥ_t X_t‖²
    t_min: np.ndarray     # (G,) int: argmin of r_t within each group (eq. 6)
    gram: np.ndarray      # (G, K, K) complex128: Σ_t X_t X_tᴴ over the group
    cross: np.ndarray     # (G, M, K) complex128: Σ_t Y_t X_tᴴ over the group
    h_joint: np.ndarray   # (G, M, K) complex: LS over all steps of the group at once


def check_ls_shapes(pilots: np.ndarray, received: np.ndarray, group: int | None) -> int:
    """Validate shapes; return the group length."""
    if pilots.ndim != 3:
        raise InputError(f"pilots must have shape (T, K, L), got {pilots.shape}")
    if received.ndim != 3:
        raise InputError(f"received must have shape (T, M, L), got {received.shape}")
    steps, antennas, length = received.shape
    pilot_steps, users, pilot_len = pilots.shape
    if pilot_len != length:
        raise InputError(f"received has L = {length} symbols per step but pilots have L_p = {pilot_len}")
    if antennas < users:
        raise InputError(f"antennas M must be >= users K = {users} for LS and ZF, got M = {antennas}")
    if length < users:
        raise InputError(f"pilot_len (L_p) must be >= users K = {users}, got {length}")
    group = pilot_steps if group is None else group
    if group < 1 or steps % group:
        raise InputError(f"received has T = {steps} steps, not a whole number of groups of {group}")
    if pilot_steps not in (steps, group):
        raise InputError(f"pilots have T = {pilot_steps} steps; expected {steps} (one per received step) "
                         f"or {group} (one group, shared)")
    return group


def require_finite_inputs(pilots: np.ndarray, received: np.ndarray) -> None:
    require_finite("pilots", pilots)
    require_finite("received", received)


def ls_reference(pilots: np.ndarray, received: np.ndarray, group: int | None = None) -> LsResult:
    """NumPy reference of the kernel, vectorised and in double precision."""
    group = check_ls_shapes(pilots, received, group)
    require_finite_inputs(pilots, received)
    steps, antennas, _ = received.shape
    x = np.asarray(pilots, np.complex128)
    if x.shape[0] != steps:
        x = np.tile(x, (steps // group, 1, 1))
    y = np.asarray(received, np.complex128)
    gram_t = x @ x.conj().transpose(0, 2, 1)                    # (T, K, K)
    cross_t = y @ x.conj().transpose(0, 2, 1)                   # (T, M, K)
    h = np.linalg.solve(gram_t, cross_t.conj().transpose(0, 2, 1)).conj().transpose(0, 2, 1)
    residual = np.sum(np.abs(y - h @ x) ** 2, axis=(1, 2))
    groups = steps // group
    gram = gram_t.reshape(groups, group, *gram_t.shape[1:]).sum(axis=1)
    cross = cross_t.reshape(groups, group, *cross_t.shape[1:]).sum(axis=1)
    h_joint = np.linalg.solve(gram, cross.conj().transpose(0, 2, 1)).conj().transpose(0, 2, 1)
    t_min = residual.reshape(groups, group).argmin(axis=1)
    return LsResult(h, residual, t_min, gram, cross, h_joint)


def ls_loop(pilots: np.ndarray, received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 5 as written, one time step at a time (the benchmark's naive baseline)."""
    steps = received.shape[0]
    h = np.empty((steps, received.shape[1], pilots.shape[1]), np.complex64)
    residual = np.empty(steps, np.float32)
    for t in range(steps):
        x, y = pilots[t], received[t]
        h[t] = y @ x.conj().T @ np.linalg.inv(x @ x.conj().T)
        residual[t] = np.linalg.norm(y - h[t] @ x) ** 2
    return h, residual


def ls_per_timestep(pilots: np.ndarray, received: np.ndarray, group: int | None = None) -> LsResult:
    """Per-timestep LS through the C++ kernel (complex64 in, same result as :func:`ls_reference`).

    NaN/Inf anywhere in the inputs reaches the summed Gram or cross matrices, so the inputs are
    scanned (to name the first bad index) only when those come out non-finite.
    """
    from ..semcom_python import ls_per_timestep as kernel

    group = check_ls_shapes(pilots, received, group)
    result = LsResult(*kernel(np.ascontiguousarray(pilots, np.complex64),
                              np.ascontiguousarray(received, np.complex64), group))
    if not (np.isfinite(result.gram).all() and np.isfinite(result.cross).all()):
        require_finite_inputs(pilots, received)
    return result


def estimate_channel(pilots: np.ndarray, received: np.ndarray, mode: str = "min_residual",
                     noise_var: float | None = None, prior_power: float = 1.0,
                     group: int | None = None) -> tuple[np.ndarray, LsResult]:
    """One channel estimate (M, K) per group of pilot steps, by ``mode``:

    - ``min_residual``: Ĥ at t_min = argmin_t r_t (eq. 6, the paper);
    - ``joint``: LS over all steps of the group, Ĥ = (Σ Y_t X_tᴴ)(Σ X_t X_tᴴ)⁻¹;
    - ``lmmse``: Ĥ = (Σ Y_t X_tᴴ)(Σ X_t X_tᴴ + σ²/ρ·I)⁻¹ for i.i.d. CN(0, ρ) entries (needs ``noise_var``).
    Returns (estimates of shape (G, M, K), the full LS result).
    """
    require_choice("mode", mode, ESTIMATOR_MODES)
    result = ls_per_timestep(pilots, received, group)
    if mode == "min_residual":
        group = result.h_steps.shape[0] // result.t_min.shape[0]
        h = result.h_steps[np.arange(result.t_min.shape[0]) * group + result.t_min]
    elif mode == "joint":
        h = result.h_joint
    else:
        if noise_var is None or not noise_var > 0:
            raise InputError(f"noise_var must be > 0 for the lmmse estimator, got {noise_var}")
        users = result.gram.shape[-1]
        loaded = result.gram + (noise_var / prior_power) * np.eye(users)
        h = np.linalg.solve(loaded, result.cross.conj().transpose(0, 2, 1)).conj().transpose(0, 2, 1)
    return h.astype(np.complex64), result


def pilot_fit(residual: np.ndarray, noise_var: float, antennas: int, users: int, length: int) -> np.ndarray:
    """How well each burst's pilots fit the LS model: the mean residual r_t over its pilot steps divided
    by what noise alone leaves, E r_t = σ²·M·(L_p − K) (LS fits K of the L_p pilot dimensions per antenna).

    ``residual``: (bursts, T_p). About 1 when the pilots are where the estimator expects them, with a
    standard deviation of 1/√(T_p·M·(L_p − K)) (0.06 for T_p = 10, M = K = 2, L_p = 16); far above 1 when
    the stream is shifted, the pilot settings differ from the transmitter's, or the noise is stronger
    than ``noise_var`` says. NaN where L_p = K (LS then fits the pilots exactly: nothing to check).
    """
    dof = antennas * (length - users)
    residual = np.asarray(residual, np.float64)
    if dof <= 0:
        return np.full(residual.shape[0], np.nan)
    usable = np.where(np.isfinite(residual), residual, np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(usable, axis=1) / (noise_var * dof)
