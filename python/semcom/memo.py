# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a process that runs many flowgraphs loads once: the dataset split, the TorchScript networks
and the digital baseline's PCM range, kept per process after :func:`keep_loads` (a sweep worker's
runs differ in channel, SNR and CSI only, so they read the same files and get the same objects).

A kept value is used again only while the files it was loaded from keep their size and
modification time; a process that never calls :func:`keep_loads` loads everything afresh.
"""
from __future__ import annotations

import os

_kept: dict | None = None


def keep_loads() -> None:
    """From now on this process keeps what :func:`kept` loads (idempotent)."""
    global _kept
    if _kept is None:
        _kept = {}


def keeping() -> bool:
    """Whether this process keeps its loads."""
    return _kept is not None


def forget_loads() -> None:
    """Drop everything kept and load afresh from now on."""
    global _kept
    _kept = None


def kept(key: tuple, files, load):
    """``load()``; after :func:`keep_loads`, the value kept for ``key`` if none of ``files`` changed
    since it was loaded (path, size and modification time), else ``load()`` kept for next time."""
    if _kept is None:
        return load()
    stamp = []
    for path in files:
        try:
            info = os.stat(path)
            stamp.append((os.path.realpath(path), info.st_size, info.st_mtime_ns))
        except OSError:
            return load()              # a missing file: let the loader report it
    entry = _kept.get(key)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    value = load()
    _kept[key] = (stamp, value)
    return value
