# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument checks shared by the physical layer: each error names the parameter and what was expected."""
from __future__ import annotations

import numpy as np
from ..errors import InputError


def require_int_range(name: str, value, lo: int, hi: int | None = None) -> int:
    """Return ``value`` as int if ``lo <= value <= hi``; otherwise raise InputError naming ``name``."""
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise InputError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        expected = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise InputError(f"{name} must be {expected}, got {value}")
    return value


def require_choice(name: str, value: str, choices) -> str:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def require_finite(name: str, array: np.ndarray) -> None:
    """Raise ValueError if ``array`` holds NaN or Inf, naming ``name`` and the first bad index."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{name} contains NaN or Inf (first at index {first}); expected finite values")

