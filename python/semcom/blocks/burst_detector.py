# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: LS estimation, ZF detection and the inverse Euler map of every user in one block."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.euler import euler_unmap, require_feature_length
from . import tags
from .euler_demapper import frame_scales
from .ls_channel_estimator import LsEstimation
from .ports import vector
from .zf_detector import ZfDetection


class burst_detector(LsEstimation, ZfDetection, gr.interp_block):
    """:class:`semcom.blocks.ls_channel_estimator.ls_channel_estimator` → :class:`semcom.blocks.zf_detector.zf_detector`
    → ``vector_to_stream`` → one :class:`semcom.blocks.euler_demapper.euler_demapper` per user, in one
    block (Python only; the system flowgraph's receive chain, one scheduler hop instead of 2 + 2K, and
    the estimate goes to the detector without a tag round trip): M received burst streams → K streams
    of d = 2L floats per segment, ``segments_per_burst`` segments per burst.

    The same estimates, detections and floats as those blocks with the same settings, the same
    ``h_est`` messages and pilot-fit counts; each user output carries the tags that the chain puts on
    its segments (the tags of input 0, ``semcom_h_est``, ``semcom_ls``, ``semcom_pilot_misfit``,
    ``semcom_zf_regularised``, ``semcom_error``) on the burst's first segment. ``csi``: ``estimated``
    detects with the LS estimate, ``perfect`` with the ``semcom_h_true`` tags of input 0.
    """

    def __init__(self, antennas: int = 2, users: int = 2, d: int = 128, segments_per_burst: int = 10,
                 pilot_steps: int = 10, pilot_len: int = 16, pilot_source: str = "zadoff_chu", zc_root: int = 1,
                 pilot_file: str = "", mode: str = "min_residual", snr_db: float = 10.0,
                 fit_threshold: float = 3.0, method: str = "zf", csi: str = "estimated",
                 max_condition: float = 1e6):
        self.d = require_feature_length(d)
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        payload_len = self.segments * self.d // 2
        burst_len = self.init_estimation(antennas, users, payload_len, pilot_steps, pilot_len, pilot_source,
                                         zc_root, pilot_file, mode, snr_db, fit_threshold)
        self.init_detection(antennas, users, payload_len, method, csi, snr_db, max_condition)
        self.scales = [1.0] * self.users     # each user's power normalisation (latest semcom_frame)
        gr.interp_block.__init__(self, name="semcom_burst_detector",
                                 in_sig=[vector(np.complex64, burst_len)] * self.antennas,
                                 out_sig=[vector(np.float32, self.d)] * self.users, interp=self.segments)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.message_port_register_out(self._h_est_port)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.segments
        received, finite, h, result = self.estimate(input_items, count)
        window = tags.tags_in_window(self, 0, count)
        if self.csi_tag == tags.H_EST:
            updates = {b: h[b] for b in range(count)}
        else:
            updates = tags.values_by_item(self, 0, count, self.csi_tag)
        x_hat, errors, regularised = self.detect_bursts(received[:, :, self.preamble_len:], updates)
        for k in range(self.users):
            scale, self.scales[k] = frame_scales(window, count, k, self.scales[k])
            symbols = x_hat[:, k, :].reshape(count * self.segments, self.d // 2)   # ZF output: always finite
            output_items[k][:count * self.segments] = euler_unmap(symbols) * np.repeat(scale, self.segments)[:, None]
        tags.copy_tags(self, 0, count, range(self.users), interp=self.segments)
        self.publish(h, result, finite, range(self.users), self.segments)
        self.tag_detection(errors, regularised, self.segments)
        return count * self.segments
