# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: received radio samples → detected, synchronised bursts with their metadata tags."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.ota import Demodulator, OtaSettings, frame_samples
from . import tags
from .item_types import vector
from .tags import VIDEO

OTA = "semcom_ota"


class ota_demodulator(gr.basic_block):
    """Complex samples from a radio (or a channel model) → burst vectors of ``burst_len`` symbols for
    the LS estimator. Per frame of :class:`ota_modulator`: RRC matched filter, preamble detection
    (Schmidl-Cox metric above ``threshold``), carrier-offset estimate and correction, symbol timing,
    header (CRC-checked; a frame whose header fails is dropped and counted in ``header_failures``),
    and the tags ``semcom_video``, ``semcom_frame`` (user, burst, scale) and ``semcom_ota``
    {cfo (cycles per sample), metric, start (sample)} on the burst. The channel's gain and phase stay
    in the symbols: the pilots and LS take care of them.

    Bounded: at most ``MAX_READY`` detected bursts wait for output space and the sample buffer holds
    at most ``BUFFERED_FRAMES`` frames; beyond that the block takes no more input, so a slow consumer
    holds the radio stream back (GNU Radio's back-pressure) instead of growing a queue.
    """

    MAX_READY = 8
    BUFFERED_FRAMES = 3

    def __init__(self, burst_len: int = 800, sps: int = 4, rolloff: float = 0.35, preamble_len: int = 31,
                 threshold: float = 0.3):
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.demodulator = Demodulator(self.burst_len, OtaSettings(sps=sps, rolloff=rolloff,
                                                                   preamble_len=preamble_len, threshold=threshold))
        gr.basic_block.__init__(self, name="semcom_ota_demodulator", in_sig=[np.complex64],
                                out_sig=[vector(np.complex64, self.burst_len)])
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.buffer = np.zeros(0, np.complex64)
        self.offset = 0                      # absolute sample index of buffer[0]
        self.ready = []                      # detections waiting for output space (at most MAX_READY)
        self.max_buffer = self.BUFFERED_FRAMES * frame_samples(self.burst_len, self.demodulator.s)
        self.detected = 0
        self.header_failures = 0

    def general_work(self, input_items, output_items):
        room = self.max_buffer - len(self.buffer) if len(self.ready) < self.MAX_READY else 0
        samples = input_items[0][:max(room, 0)]
        self.buffer = np.concatenate([self.buffer, samples])
        self.consume(0, len(samples))
        while len(self.ready) < self.MAX_READY:
            detection, drop = self.demodulator.find(self.buffer)
            if detection is not None:
                detection.start += self.offset
                if detection.header is None:
                    self.header_failures += 1
                else:
                    self.ready.append(detection)
            self.buffer, self.offset = self.buffer[drop:], self.offset + drop
            if detection is None:
                break
        count = min(len(self.ready), len(output_items[0]))
        for b, detection in enumerate(self.ready[:count]):
            header = detection.header
            output_items[0][b] = detection.symbols
            tags.add_tag(self, 0, b, VIDEO, {k: header[k] for k in ("video", "position", "count")})
            tags.add_tag(self, 0, b, tags.FRAME, {"user": header["user"], "burst": self.detected,
                                                  "scale": header["scale"]})
            tags.add_tag(self, 0, b, OTA, {"cfo": detection.cfo, "metric": detection.metric,
                                           "start": detection.start})
            self.detected += 1
        self.ready = self.ready[count:]
        return count
