# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: inverse Euler map (eq. 8-9), undoing the transmitter's power normalisation."""
from __future__ import annotations


import numpy as np
import pmt
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.euler import euler_unmap, require_feature_length
from . import tags
from .item_types import vector


class euler_demapper(gr.sync_block):
    """Complex vectors of d/2 → float vectors of d: [λ·cos θ ; λ·sin θ] (eq. 8-9), multiplied by
    the ``scale`` of the latest ``semcom_frame`` tag of this ``user`` (1 until one is seen).
    NaN/Inf symbols come out as zeros with a ``semcom_error`` tag. ``segments_per_burst`` > 1 makes
    every call a whole number of bursts, so that the next block (a terminal network) gets whole videos
    in one call instead of a video split at the end of GNU Radio's circular buffer.
    """

    def __init__(self, d: int = 128, user: int = 0, segments_per_burst: int = 1):
        self.d = require_feature_length(d)
        self.user = require_int_range("user", user, 0, 3)
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        gr.sync_block.__init__(self, name="semcom_euler_demapper",
                               in_sig=[vector(np.complex64, self.d // 2)], out_sig=[vector(np.float32, self.d)])
        self.set_output_multiple(self.segments)
        self.scale = 1.0

    def work(self, input_items, output_items):
        count = len(output_items[0])
        symbols = input_items[0][:count]
        scale, self.scale = frame_scales(tags.tags_in_window(self, 0, count), count, self.user, self.scale)
        finite = np.isfinite(symbols).all(axis=1)
        if not finite.all():
            first = int(np.argmin(finite))
            message = f"euler_demapper: input item {self.nitems_read(0) + first} holds NaN/Inf; sent as zeros"
            self.logger.error(message)
            tags.add_tag(self, 0, first, tags.ERROR, message)
            symbols = np.where(finite[:, None], symbols, 0)
        output_items[0][:] = euler_unmap(symbols) * scale[:, None]
        return count


_USER, _SCALE = pmt.intern("user"), pmt.intern("scale")


def frame_scales(window: list, count: int, user: int, scale: float) -> tuple[np.ndarray, float]:
    """The power-normalisation scale of ``user`` in force at each of ``count`` items, from the tags of
    :func:`semcom.blocks.tags.tags_in_window` (the ``semcom_frame`` tags of several users may share an
    item) and the ``scale`` in force before them → (scales (count,) float32, the scale in force after)."""
    scales = np.empty(count, np.float32)
    start = 0
    # a PMT dict is a list of (key . value) pairs; only its two fields are read, not the whole dict
    frames = [(item, value) for item, key, value in window
              if key == tags.FRAME and pmt.is_pair(value) and pmt.is_pair(pmt.car(value))]
    for item, frame in sorted(frames, key=lambda f: f[0]):
        if pmt.to_python(pmt.dict_ref(frame, _USER, pmt.PMT_NIL)) == user and pmt.dict_has_key(frame, _SCALE):
            value = tags.frame_scale(pmt.to_python(pmt.dict_ref(frame, _SCALE, pmt.PMT_NIL)))
            if value is not None:                                  # else a peer's bytes: the scale is kept
                scales[start:item] = scale
                scale, start = value, item
    scales[start:] = scale
    return scales, scale
