# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stream-tag names and helpers shared by the semcom blocks (docs/signal-model.md, "Tags").

Every tag sits on the first item of a frame (a burst vector, or a segment vector):
- ``semcom_frame``: dict with at least ``user`` and ``burst``; the Euler mapper adds ``scale``
  (the power normalisation to undo), the pilot inserter adds the pilot layout;
- ``semcom_h_true``: the channel matrix that the channel applied to this burst (M×K, row-major);
- ``semcom_h_est``: the receiver's estimate of it, same layout;
- ``semcom_video``: a video's first segment (feature source): {video: dataset row, position, count};
- ``semcom_ls``: the estimator's diagnostics (mode, t_min, per-step residuals, pilot fit);
- ``semcom_zf_regularised``: the detector had to regularise an ill-conditioned channel;
- ``semcom_error``: a burst whose input was unusable; the block zeroed it and says why;
- ``semcom_pilot_misfit``: the estimator found this burst's pilots far from where it expects them
  (residual far above the noise's): {burst, ratio};
- ``semcom_lost``: a user's burst that never reached the channel (its terminal was gone), so its
  slot carried silence: {user, position}.
"""
from __future__ import annotations

import math

import numpy as np
import pmt
from ..errors import InputError

VIDEO = "semcom_video"   # a video's first segment: {"video": dataset row, "position": i, "count": n}
FRAME = "semcom_frame"
H_TRUE = "semcom_h_true"
H_EST = "semcom_h_est"
LS_INFO = "semcom_ls"
ZF_REGULARISED = "semcom_zf_regularised"
ERROR = "semcom_error"
LOST = "semcom_lost"
PILOT_MISFIT = "semcom_pilot_misfit"


def tags_in_window(block, port: int, count: int) -> list:
    """Tags on the first ``count`` items of input ``port``, as (relative item, key, python value)."""
    start = block.nitems_read(port)
    return [(t.offset - start, pmt.symbol_to_string(t.key), t.value)
            for t in block.get_tags_in_window(port, 0, count)]


def values_by_item(block, port: int, count: int, key: str) -> dict:
    """{relative item: python value} of the tags named ``key`` on input ``port``."""
    return {item: pmt.to_python(value) for item, name, value in tags_in_window(block, port, count)
            if name == key}


def copy_tags(block, port: int, count: int, outputs, skip=(), interp: int = 1) -> None:
    """Copy the tags of input ``port`` onto the same items of every output in ``outputs`` (on item
    ``interp``·i of the outputs, for a block that makes ``interp`` output items of each input item)."""
    start_in = block.nitems_read(port)
    for tag in block.get_tags_in_window(port, 0, count):
        if pmt.symbol_to_string(tag.key) in skip:
            continue
        for out in outputs:
            offset = block.nitems_written(out) + (tag.offset - start_in) * interp
            block.add_item_tag(out, offset, tag.key, tag.value)


def add_tag(block, output: int, item: int, key: str, value) -> None:
    """Tag relative output ``item`` with ``key``; numpy complex arrays become c32vectors."""
    add_tags(block, (output,), item, key, value)


def add_tags(block, outputs, item: int, key: str, value) -> None:
    """The same tag on relative ``item`` of every output in ``outputs`` (the value converted once)."""
    if isinstance(value, np.ndarray):
        value = pmt.init_c32vector(value.size, value.astype(np.complex64).ravel())
    else:
        value = pmt.to_pmt(value)
    name = pmt.intern(key)
    for output in outputs:
        block.add_item_tag(output, block.nitems_written(output) + item, name, value)


MAX_INDEX = 2**31 - 1      # the largest video position, dataset row or count a video tag may hold


def video_info(value) -> dict | None:
    """A ``semcom_video`` tag's value as {position, video, count}, whole numbers with position and video in
    -1..MAX_INDEX (-1: unknown) and count in 0..MAX_INDEX; None for a value that is not one (a peer's
    bytes): the readers then treat the video as untagged."""
    if not isinstance(value, dict):
        return None
    found = {}
    for key, default, low in (("position", -1, -1), ("video", -1, -1), ("count", 0, 0)):
        number = value.get(key, default)
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or not low <= number <= MAX_INDEX:
            return None
        found[key] = int(number)
    return found


def frame_scale(value) -> float | None:
    """A ``semcom_frame`` tag's ``scale`` if it is one (a finite float > 0), else None (a peer's bytes)."""
    return value if isinstance(value, float) and math.isfinite(value) and value > 0 else None


def matrix_from_tag(value, rows: int, cols: int, name: str) -> np.ndarray:
    """A channel matrix tag (c32vector, row-major) as (rows, cols); ValueError if its size is wrong."""
    array = np.asarray(value, dtype=np.complex64)
    if array.size != rows * cols:
        raise InputError(f"tag {name} holds {array.size} values; expected M×K = {rows}×{cols}")
    return array.reshape(rows, cols)
