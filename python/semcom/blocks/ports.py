"""Port signatures of the semcom blocks."""
import numpy as np


def vector(dtype, vlen: int) -> np.dtype:
    """Item type of a vector stream: work() then always sees (items, vlen) arrays, also for vlen = 1."""
    return np.dtype((dtype, (int(vlen),)))
