# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pilot preambles: T_p time steps × L_p symbols per user, orthogonal across the K users (docs/signal-model.md).

A pilot array has shape (T_p, K, L_p): ``pilots[t, k]`` is what user k sends in pilot step t.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .checks import require_choice, require_finite, require_int_range
from ..errors import InputError

PILOT_SOURCES = ("zadoff_chu", "zadoff_chu_shifted", "file")


@dataclass(frozen=True)
class PilotSettings:
    """The pilots both ends of a link agree on (a model directory's manifest field ``pilots``).

    ``source``: a :data:`PILOT_SOURCES` entry; ``steps``: T_p; ``length``: L_p of the K-user uplink (for a
    pilot ``file``, the file's); ``file``: the .npy array of ``source`` 'file'; ``zc_root``: the Zadoff-Chu
    root. The blocks take them as keyword arguments: ``**settings.block_arguments(users)``."""
    source: str = "zadoff_chu"
    steps: int = 10
    length: int = 16
    file: str = ""
    zc_root: int = 1

    def length_for(self, users: int) -> int:
        """L_p on a ``users``-user link: ``length``, except that a (T_p, L) pilot file is time-divided into
        K·L symbols (the SISO link to the video terminal sends L, the 2-user uplink 2L)."""
        if self.source != "file":
            return self.length
        return load_pilots(self.file, users).shape[2]

    def preamble_len(self, users: int) -> int:
        """Pilot symbols before each burst's payload on a ``users``-user link: T_p·L_p."""
        return self.steps * self.length_for(users)

    def block_arguments(self, users: int) -> dict:
        """The pilot keyword arguments of pilot_inserter, burst_mapper, ls_channel_estimator and
        burst_detector on a ``users``-user link."""
        return {"pilot_steps": self.steps, "pilot_len": self.length_for(users), "pilot_source": self.source,
                "zc_root": self.zc_root, "pilot_file": self.file}

    def array(self, users: int) -> np.ndarray:
        """The (T_p, K, L_p) pilot array of a ``users``-user link (:func:`make_pilots`)."""
        return make_pilots(self.source, users, self.steps, self.length_for(users), self.zc_root, self.file)


def zadoff_chu(length: int, root: int = 1) -> np.ndarray:
    """Zadoff-Chu sequence x_u(n) = exp(-jπ·u·n·(n + c)/N), c = N mod 2: unit modulus, zero cyclic autocorrelation."""
    length = require_int_range("pilot sequence length", length, 1)
    if np.gcd(root, length) != 1:
        raise InputError(f"zc_root must be coprime with the sequence length {length}, got {root}")
    n = np.arange(length)
    return np.exp(-1j * np.pi * root * n * (n + length % 2) / length).astype(np.complex64)


def make_pilots(source: str, users: int, steps: int, length: int, root: int = 1,
                path: str | None = None) -> np.ndarray:
    """Pilot array (T_p=steps, K=users, L_p=length), complex64.

    - ``zadoff_chu``: time division; user k sends a ZC sequence of length L_p // K in slot k of each step.
    - ``zadoff_chu_shifted``: every user sends the full-length ZC sequence, user k cyclically shifted
      by k·(L_p // K); orthogonal because ZC sequences have zero cyclic autocorrelation.
    - ``file``: a ``.npy`` array, see :func:`load_pilots` (``steps`` and ``length`` are checked against it).
    """
    require_choice("pilot_source", source, PILOT_SOURCES)
    users = require_int_range("users (K)", users, 1, 4)
    steps = require_int_range("pilot_steps (T_p)", steps, 1)
    if source == "file":
        pilots = load_pilots(path, users)
        if pilots.shape[0] != steps or pilots.shape[2] != length:
            raise InputError(f"pilot file {path}: holds T_p={pilots.shape[0]}, L_p={pilots.shape[2]}; "
                             f"expected pilot_steps={steps}, pilot_len={length}")
        return pilots
    length = require_int_range("pilot_len (L_p)", length, 1)
    if length < users:
        raise InputError(f"pilot_len (L_p) must be >= the number of users K = {users} "
                         f"for orthogonal pilots, got {length}")
    slot = length // users
    pilots = np.zeros((steps, users, length), np.complex64)
    if source == "zadoff_chu":
        sequence = zadoff_chu(slot, root if np.gcd(root, slot) == 1 else 1)
        for k in range(users):
            pilots[:, k, k * slot:(k + 1) * slot] = sequence
    else:
        sequence = zadoff_chu(length, root)
        for k in range(users):
            pilots[:, k, :] = np.roll(sequence, k * slot)
    return pilots


def load_pilots(path: str | None, users: int) -> np.ndarray:
    """Load a pilot array from a ``.npy`` file.

    Shape (T_p, K, L_p) is taken as is; shape (T_p, L) is one sequence shared by all users and is
    made orthogonal by time division: user k sends it in slot k, so L_p = K·L.
    """
    if not path:
        raise InputError("pilot_file must be given when pilot_source is 'file'")
    if not os.path.isfile(path):
        raise InputError(f"pilot_file {path!r} does not exist")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:      # NumPy 2: EOFError for an empty file
        raise InputError(f"pilot_file {path!r} is not a readable .npy array: {exc}") from None
    if not (np.issubdtype(array.dtype, np.complexfloating) or np.issubdtype(array.dtype, np.floating)):
        raise InputError(f"pilot_file {path!r}: expected a complex or float array, got dtype {array.dtype}")
    with np.errstate(over="ignore"):
        array = array.astype(np.complex64)          # what the blocks send: values beyond float32 become Inf
    require_finite(f"pilot_file {path!r} (as complex64)", array)
    if array.ndim == 2:
        steps, length = array.shape
        pilots = np.zeros((steps, users, users * length), np.complex64)
        for k in range(users):
            pilots[:, k, k * length:(k + 1) * length] = array
        array = pilots
    elif array.ndim != 3 or array.shape[1] != users:
        raise InputError(f"pilot_file {path!r}: expected shape (T_p, K={users}, L_p) or (T_p, L), "
                         f"got {array.shape}")
    check_pilots(array)
    return array


def check_pilots(pilots: np.ndarray) -> None:
    """Every pilot step must let LS separate the K users: X_t X_tᴴ invertible (rank K)."""
    steps, users, length = pilots.shape
    if length < users:
        raise InputError(f"pilot_len (L_p) must be >= the number of users K = {users}, got {length}")
    gram = np.einsum("tkl,tjl->tkj", pilots.astype(np.complex128), pilots.conj().astype(np.complex128))
    for t in range(steps):
        eig = np.linalg.eigvalsh(gram[t])
        if eig[0] <= 1e-6 * max(eig[-1], 1e-30):
            raise InputError(f"pilots: step {t} does not separate the K = {users} users "
                             f"(X_t X_tᴴ is singular); pilot rows must be linearly independent")
