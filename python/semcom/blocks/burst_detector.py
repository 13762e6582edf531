# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: LS estimation, ZF detection and the inverse Euler map of every user in one block."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import NoiseLevel
from ..phy.checks import require_int_range
from ..phy.euler import euler_unmap, require_feature_length
from . import tags
from .euler_demapper import frame_scales
from .ls_channel_estimator import LsEstimation
from .item_types import vector
from .zf_detector import ZfDetection


class burst_detector(gr.interp_block):
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

    It holds the two blocks' parts, ``estimation`` (:class:`LsEstimation`) and ``detection``
    (:class:`ZfDetection`), and the one ``noise`` (:class:`semcom.phy.channels.NoiseLevel`) that both
    assume: :meth:`set_snr_db` changes it for the lmmse mode, the pilot-fit check and the mmse method.
    """

    def __init__(self, antennas: int = 2, users: int = 2, d: int = 128, segments_per_burst: int = 10,
                 pilot_steps: int = 10, pilot_len: int = 16, pilot_source: str = "zadoff_chu", zc_root: int = 1,
                 pilot_file: str = "", mode: str = "min_residual", snr_db: float = 10.0,
                 fit_threshold: float = 3.0, method: str = "zf", csi: str = "estimated",
                 max_condition: float = 1e6):
        self.d = require_feature_length(d)
        self.segments = require_int_range("segments_per_burst", segments_per_burst, 1)
        payload_len = self.segments * self.d // 2
        self.noise = NoiseLevel(snr_db)
        self.estimation = LsEstimation(self, self.noise, antennas, users, payload_len, pilot_steps, pilot_len,
                                       pilot_source, zc_root, pilot_file, mode, fit_threshold)
        self.detection = ZfDetection(self, self.noise, antennas, users, payload_len, method, csi, max_condition)
        self.antennas, self.users, self.payload_len = self.estimation.antennas, self.estimation.users, payload_len
        self.scales = [1.0] * self.users     # each user's power normalisation (latest semcom_frame)
        gr.interp_block.__init__(self, name="semcom_burst_detector",
                                 in_sig=[vector(np.complex64, self.estimation.burst_len)] * self.antennas,
                                 out_sig=[vector(np.float32, self.d)] * self.users, interp=self.segments)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.message_port_register_out(self.estimation.port)

    def set_snr_db(self, snr_db: float) -> None:
        """Noise variance assumed by the lmmse mode, the pilot-fit check and the mmse method."""
        self.noise.set_snr_db(snr_db)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // self.segments
        received, finite, h, result = self.estimation.estimate(input_items, count)
        window = tags.tags_in_window(self, 0, count)
        csi_tag = self.detection.csi_tag
        if csi_tag == tags.H_EST:
            updates = {b: h[b] for b in range(count)}
        else:
            updates = tags.values_by_item(self, 0, count, csi_tag)
        payload = received[:, :, self.estimation.preamble_len:]
        x_hat, errors, regularised = self.detection.detect_bursts(payload, updates)
        for k in range(self.users):
            scale, self.scales[k] = frame_scales(window, count, k, self.scales[k])
            symbols = x_hat[:, k, :].reshape(count * self.segments, self.d // 2)   # ZF output: always finite
            output_items[k][:count * self.segments] = euler_unmap(symbols) * np.repeat(scale, self.segments)[:, None]
        tags.copy_tags(self, 0, count, range(self.users), interp=self.segments)
        self.estimation.publish(h, result, finite, range(self.users), self.segments)
        self.detection.tag_detection(errors, regularised, self.segments)
        return count * self.segments
