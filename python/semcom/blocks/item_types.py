# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Item types of the semcom blocks' ports (their in_sig and out_sig)."""
import numpy as np


def vector(dtype, vlen: int) -> np.dtype:
    """Item type of a vector stream: work() then always sees (items, vlen) arrays, also for vlen = 1."""
    return np.dtype((dtype, (int(vlen),)))
