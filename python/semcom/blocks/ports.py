# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Port signatures of the semcom blocks."""
import numpy as np


def vector(dtype, vlen: int) -> np.dtype:
    """Item type of a vector stream: work() then always sees (items, vlen) arrays, also for vlen = 1."""
    return np.dtype((dtype, (int(vlen),)))
