# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: bursts → the over-the-air waveform (preamble, header, RRC pulses) for a radio sink."""
from __future__ import annotations


import numpy as np
import pmt
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.ota import OtaSettings, frame_samples, modulate
from . import tags
from .item_types import vector
from .tags import VIDEO


class ota_modulator(gr.interp_block):
    """Burst vectors of ``burst_len`` symbols (pilots + payload, as the pilot inserter makes them) →
    complex samples at ``sps`` per symbol: a Zadoff-Chu preamble (two copies of ``preamble_len``
    symbols), a BPSK header that carries what the stream tags carry inside one flowgraph (video
    position, count and row from ``semcom_video``; user and power scale from ``semcom_frame``), the
    burst, ``guard`` zero symbols, all shaped by a root-raised-cosine pulse (``rolloff``).
    Every frame's first sample gets ``tx_sob`` and a ``length_tag`` (frame length, for gr-soapy or
    gr-uhd burst transmission), its last sample ``tx_eob``.
    """

    def __init__(self, burst_len: int = 800, sps: int = 4, rolloff: float = 0.35, preamble_len: int = 31,
                 guard: int = 32, length_tag: str = "packet_len"):
        self.settings = OtaSettings(sps=sps, rolloff=rolloff, preamble_len=preamble_len, guard=guard).check()
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.frame_len = frame_samples(self.burst_len, self.settings)
        gr.interp_block.__init__(self, name="semcom_ota_modulator", in_sig=[vector(np.complex64, self.burst_len)],
                                 out_sig=[np.complex64], interp=self.frame_len)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.length_tag = length_tag
        self.sent = 0

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.frame_len
        videos = tags.values_by_item(self, 0, count, VIDEO)
        frames = tags.values_by_item(self, 0, count, tags.FRAME)
        out = output_items[0]
        for b in range(count):
            video = tags.video_info(videos.get(b)) or {"position": -1, "count": 0, "video": -1}
            frame = frames.get(b) if isinstance(frames.get(b), dict) else {}
            user, scale = frame.get("user", 0), frame.get("scale", 1.0)
            header = {"position": video["position"] if video["position"] >= 0 else self.sent,
                      "count": video["count"], "video": video["video"],
                      "user": user if isinstance(user, int) and 0 <= user <= 3 else 0,
                      "scale": tags.frame_scale(scale) or 1.0}
            first = b * self.frame_len
            out[first:first + self.frame_len] = modulate(input_items[0][b], header, self.settings)
            start = self.nitems_written(0) + first
            self.add_item_tag(0, start, pmt.intern("tx_sob"), pmt.PMT_T)
            if self.length_tag:
                self.add_item_tag(0, start, pmt.intern(self.length_tag), pmt.from_long(self.frame_len))
            self.add_item_tag(0, start + self.frame_len - 1, pmt.intern("tx_eob"), pmt.PMT_T)
            self.sent += 1
        return len(output_items[0])
