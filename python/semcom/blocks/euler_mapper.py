# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: Euler map (eq. 1) of feature vectors to complex symbols, unit power per burst."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.euler import map_bursts, require_feature_length
from . import tags
from .pilot_inserter import pilot_preamble
from .item_types import vector


class euler_mapper(gr.sync_block):
    """Float vectors of even length d → complex vectors of d/2 (eq. 1: first half real part,
    second half imaginary part), each burst of ``segments_per_burst`` vectors scaled to unit
    average symbol power. The scale is sent in the ``semcom_frame`` tag on the burst's first
    vector so that :class:`euler_demapper` can undo it. A burst holding NaN/Inf is sent as
    zeros with a ``semcom_error`` tag.
    """

    def __init__(self, d: int = 128, segments_per_burst: int = 10, user: int = 0):
        self.d = require_feature_length(d)
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        self.user = require_int_range("user", user, 0, 3)
        gr.sync_block.__init__(self, name="semcom_euler_mapper",
                               in_sig=[vector(np.float32, self.d)], out_sig=[vector(np.complex64, self.d // 2)])
        self.set_output_multiple(self.segments)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.segments * self.segments
        symbols, scale, finite = map_bursts(input_items[0][:count].reshape(-1, self.segments, self.d))
        output_items[0][:count] = symbols.reshape(count, self.d // 2)
        tag_frames(self, self.nitems_written(0) // self.segments, scale, finite, self.segments, self.user)
        return count


def tag_frames(block, first: int, scale: np.ndarray, finite: np.ndarray, unit: int, user: int,
               layout: dict | None = None) -> None:
    """The ``semcom_frame`` tag {user, burst, segments, scale (+ the pilot ``layout``)} of each burst
    (``unit`` output items apart, the first being burst number ``first``) and a ``semcom_error`` tag on
    the bursts mapped from zeros (not ``finite``)."""
    segments = block.segments
    for b in range(len(scale)):
        frame = {"user": user, "burst": first + b, "segments": segments, "scale": float(scale[b])}
        if layout is not None:
            frame.update(layout, user=user)
        tags.add_tag(block, 0, b * unit, tags.FRAME, frame)
        if not finite[b]:
            message = f"euler_mapper: input burst {first + b} holds NaN/Inf features; sent as zeros"
            block.logger.error(message)
            tags.add_tag(block, 0, b * unit, tags.ERROR, message)


class burst_mapper(gr.decim_block):
    """:class:`euler_mapper` → ``stream_to_vector`` → :class:`semcom.blocks.pilot_inserter.pilot_inserter`
    in one block (Python only; the system flowgraph's transmit chain, one scheduler hop instead of
    three): float vectors of d per segment → bursts of ``segments_per_burst`` segments, each the user's
    pilot preamble followed by the unit-power Euler-mapped payload. The same symbols and the same
    ``semcom_frame`` tag (scale and pilot layout) as the three blocks; the inputs' tags move to the
    burst of their segment.
    """

    def __init__(self, d: int = 128, segments_per_burst: int = 10, user: int = 0, users: int = 2,
                 pilot_steps: int = 10, pilot_len: int = 16, pilot_source: str = "zadoff_chu", zc_root: int = 1,
                 pilot_file: str = ""):
        self.d = require_feature_length(d)
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        self.payload_len = self.segments * self.d // 2
        self.preamble, self.layout = pilot_preamble(self.payload_len, user, users, pilot_steps, pilot_len,
                                                    pilot_source, zc_root, pilot_file)   # checks user, users
        self.user = int(user)
        gr.decim_block.__init__(self, name="semcom_burst_mapper", in_sig=[vector(np.float32, self.d)],
                                out_sig=[vector(np.complex64, self.preamble.size + self.payload_len)],
                                decim=self.segments)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        symbols, scale, finite = map_bursts(input_items[0][:count * self.segments].reshape(-1, self.segments,
                                                                                           self.d))
        out = output_items[0]
        out[:, :self.preamble.size] = self.preamble
        out[:, self.preamble.size:] = symbols.reshape(count, self.payload_len)
        tag_frames(self, self.nitems_written(0), scale, finite, 1, self.user, self.layout)
        return count
