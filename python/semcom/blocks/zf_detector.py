# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: zero-forcing (eq. 7) or MMSE detection with the tagged channel matrix."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import NoiseLevel
from ..phy.checks import require_choice, require_int_range
from ..phy.detect import DETECTORS, detect
from . import tags
from .item_types import vector
from ..errors import InputError

CSI_TAGS = {"estimated": tags.H_EST, "perfect": tags.H_TRUE}


class ZfDetection:
    """What :class:`zf_detector` does to a batch of payload bursts, held by it and by
    :class:`semcom.blocks.burst_detector.burst_detector`: the channel of each burst (from tags, or
    given), the detection and its tags.

    ``block``: the GNU Radio block that holds it (its logger and stream tags); ``noise``: the
    :class:`semcom.phy.channels.NoiseLevel` that the mmse method assumes, shared with the block's other
    users of σ²."""

    def __init__(self, block, noise: NoiseLevel, antennas: int, users: int, payload_len: int, method: str,
                 csi: str, max_condition: float):
        self.block, self.noise = block, noise
        self.method = require_choice("method", method, DETECTORS)
        self.csi_tag = CSI_TAGS[require_choice("csi", csi, tuple(CSI_TAGS))]
        self.antennas = require_int_range("antennas (M)", antennas, 1, 4)
        self.users = require_int_range("users (K)", users, 1, 4)
        if self.antennas < self.users:
            raise InputError(f"antennas (M) must be >= users (K) = {self.users} for ZF, got {self.antennas}")
        self.payload_len = require_int_range("payload_len", payload_len, 1)
        if not max_condition > 1:
            raise InputError(f"max_condition must be > 1, got {max_condition}")
        self.max_condition = float(max_condition)
        self.h = None          # channel of the burst in progress (from the latest tag)
        self.regularised = 0   # bursts regularised so far

    def detect_bursts(self, received: np.ndarray, updates: dict) -> tuple[np.ndarray, dict, np.ndarray]:
        """Payload bursts ``received`` (count, M, N) and ``updates`` {burst: channel (tag value, or an
        (M, K) array)} → (x̂ (count, K, N), zeros for an unusable burst; {burst: error message};
        regularised bursts (count,) bool). A burst without an update keeps the latest channel."""
        count = len(received)
        h = np.zeros((count, self.antennas, self.users), np.complex64)
        usable = np.ones(count, bool)
        errors = {}
        for b in range(count):
            if b in updates:
                try:
                    self.h = tags.matrix_from_tag(updates[b], self.antennas, self.users, self.csi_tag)
                except ValueError as exc:
                    self.h, errors[b] = None, f"zf_detector: {exc}"
            if self.h is None:
                usable[b] = False
                errors.setdefault(b, f"zf_detector: no '{self.csi_tag}' tag before this burst "
                                     f"(csi='{'perfect' if self.csi_tag == tags.H_TRUE else 'estimated'}'); "
                                     f"sent as zeros")
            else:
                h[b] = self.h
        finite = np.isfinite(received).all(axis=(1, 2))
        for b in np.flatnonzero(~finite):
            errors.setdefault(int(b), "zf_detector: received burst holds NaN/Inf; sent as zeros")
        usable &= finite
        x_hat, regularised = detect(h, np.where(usable[:, None, None], received, 0), self.method,
                                    self.noise.variance, self.max_condition)
        x_hat[~usable] = 0
        return x_hat, errors, regularised & usable

    def tag_detection(self, errors: dict, regularised: np.ndarray, unit: int = 1) -> None:
        """``semcom_zf_regularised`` and ``semcom_error`` tags on every user output (item ``unit``·b for
        burst b), with the log lines."""
        block = self.block
        for b in np.flatnonzero(regularised):
            self.regularised += 1
            if self.regularised == 1 or self.regularised % 1000 == 0:
                block.logger.warn(f"ill-conditioned channel regularised ({self.regularised} bursts so far)")
            tags.add_tags(block, range(self.users), int(b) * unit, tags.ZF_REGULARISED, True)
        for b, message in errors.items():
            block.logger.error(message)
            tags.add_tags(block, range(self.users), b * unit, tags.ERROR, message)


class zf_detector(gr.sync_block):
    """M payload streams → K user streams, X̂ = (ĤᴴĤ)⁻¹ĤᴴY per burst (eq. 7), or MMSE
    (ĤᴴĤ + σ²I)⁻¹ĤᴴY with σ² from ``snr_db``.

    ``csi``: ``estimated`` uses the ``semcom_h_est`` tags of an :class:`ls_channel_estimator`,
    ``perfect`` the ``semcom_h_true`` tags of the channel. A burst whose channel is
    ill-conditioned (condition number of ĤᴴĤ above ``max_condition``) is regularised and tagged
    ``semcom_zf_regularised``; a burst with no channel tag yet, or with NaN/Inf samples, comes out
    as zeros with a ``semcom_error`` tag. The output never holds NaN or Inf.
    """

    def __init__(self, antennas: int = 2, users: int = 2, payload_len: int = 640, method: str = "zf",
                 csi: str = "estimated", snr_db: float = 10.0, max_condition: float = 1e6):
        self.noise = NoiseLevel(snr_db)
        self.detection = ZfDetection(self, self.noise, antennas, users, payload_len, method, csi, max_condition)
        self.antennas, self.users = self.detection.antennas, self.detection.users
        self.payload_len = self.detection.payload_len
        gr.sync_block.__init__(self, name="semcom_zf_detector",
                               in_sig=[vector(np.complex64, self.payload_len)] * self.antennas,
                               out_sig=[vector(np.complex64, self.payload_len)] * self.users)
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def set_snr_db(self, snr_db: float) -> None:
        """Noise variance assumed by the mmse method (GRC callback)."""
        self.noise.set_snr_db(snr_db)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        received = np.stack([input_items[m][:count] for m in range(self.antennas)], axis=1)
        updates = tags.values_by_item(self, 0, count, self.detection.csi_tag)
        x_hat, errors, regularised = self.detection.detect_bursts(received, updates)
        for k in range(self.users):
            output_items[k][:] = x_hat[:, k, :]
        tags.copy_tags(self, 0, count, range(self.users))
        self.detection.tag_detection(errors, regularised)
        return count
