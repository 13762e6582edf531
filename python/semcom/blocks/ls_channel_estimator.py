# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: LS channel estimation from the pilot preamble (eq. 5-6), pilots stripped."""
from __future__ import annotations

import time

import numpy as np
import pmt
from gnuradio import gr

from ..phy.channels import NoiseLevel
from ..phy.checks import require_choice, require_int_range
from ..phy.ls import ESTIMATOR_MODES, estimate_channel, pilot_fit
from ..phy.pilots import make_pilots
from . import tags
from .item_types import vector
from ..errors import InputError


class LsEstimation:
    """What :class:`ls_channel_estimator` does to a batch of received bursts, held by it and by
    :class:`semcom.blocks.burst_detector.burst_detector`: the estimate, the pilot-fit check and the tags.

    ``block``: the GNU Radio block that holds it (its logger, stream tags, item counts and ``h_est``
    port); ``noise``: the :class:`semcom.phy.channels.NoiseLevel` that the lmmse mode and the pilot-fit
    check assume, shared with the block's other users of σ². The block registers :attr:`port`."""

    WARN_EVERY_S = 10.0

    def __init__(self, block, noise: NoiseLevel, antennas: int, users: int, payload_len: int, pilot_steps: int,
                 pilot_len: int, pilot_source: str, zc_root: int, pilot_file: str, mode: str, fit_threshold: float):
        self.block, self.noise = block, noise
        self.mode = require_choice("mode", mode, ESTIMATOR_MODES)
        self.antennas = require_int_range("antennas (M)", antennas, 1, 4)
        self.users = require_int_range("users (K)", users, 1, 4)
        if self.antennas < self.users:
            raise InputError(f"antennas (M) must be >= users (K) = {self.users} for LS and ZF, "
                             f"got {self.antennas}")
        self.payload_len = require_int_range("payload_len", payload_len, 1)
        self.pilots = make_pilots(pilot_source, self.users, pilot_steps, pilot_len, zc_root, pilot_file)
        self.steps, _, self.pilot_len = self.pilots.shape
        self.preamble_len = self.steps * self.pilot_len
        self.burst_len = self.preamble_len + self.payload_len
        if not (np.isfinite(fit_threshold) and (fit_threshold == 0 or fit_threshold > 1)):
            raise InputError(f"fit_threshold must be 0 (off) or > 1 (residual over the noise's), got {fit_threshold}")
        self.fit_threshold = float(fit_threshold)
        self.bursts = 0             # bursts estimated
        self.misfits = 0            # bursts whose pilots did not fit (semcom_pilot_misfit)
        self.worst_fit = 0.0        # the largest residual ratio seen
        self._warned_at = None
        self.port = pmt.intern("h_est")

    def pilot_fit_summary(self) -> dict:
        """{bursts, misfits, worst_fit}: what the summaries of the commands report."""
        return {"bursts": self.bursts, "misfits": self.misfits, "worst_fit": round(self.worst_fit, 3)}

    def check_fit(self, residual: np.ndarray, finite: np.ndarray, unit: int = 1) -> np.ndarray:
        """Residual ratio per burst; tags (on output item ``unit``·b for burst b), counts and
        (rate-limited) warns the bursts above the threshold."""
        ratio = pilot_fit(residual, self.noise.variance, self.antennas, self.users, self.pilot_len)
        self.bursts += len(ratio)
        if self.fit_threshold == 0:
            return ratio
        bad = np.flatnonzero(finite & (ratio > self.fit_threshold))
        if np.isfinite(ratio).any():
            self.worst_fit = max(self.worst_fit, float(np.nanmax(ratio)))
        self.misfits += len(bad)
        block = self.block
        first = block.nitems_read(0)
        for b in bad:
            tags.add_tag(block, 0, b * unit, tags.PILOT_MISFIT, {"burst": int(first + b), "ratio": float(ratio[b])})
        now = time.monotonic()
        if len(bad) and (self._warned_at is None or now - self._warned_at >= self.WARN_EVERY_S):
            self._warned_at = now
            block.logger.warn(
                f"pilots of burst {first + bad[0]} do not fit: residual {ratio[bad[0]]:.1f}x what the noise at the "
                f"set SNR leaves ({self.misfits} of {self.bursts} bursts so far). Likely causes: a block between "
                "pilot_inserter and this estimator shifts the stream (gr-channels' channel_model resampler shifts "
                "it by 3 samples), the pilot settings differ from the transmitter's, or snr_db is set above the "
                "real SNR")
        return ratio

    def estimate(self, input_items: list, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first ``count`` bursts of the M inputs → (received (count, M, burst_len), NaN/Inf bursts
        zeroed; finite (count,); Ĥ (count, M, K), 0 where not finite; the LS result). :meth:`publish`
        then checks the pilot fit and tags the estimates."""
        received = np.stack([input_items[m][:count] for m in range(self.antennas)], axis=1)
        finite = np.isfinite(received).all(axis=(1, 2))
        if not finite.all():
            received = np.where(finite[:, None, None], received, 0)
        pilot_part = received[:, :, :self.preamble_len].reshape(
            count, self.antennas, self.steps, self.pilot_len).transpose(0, 2, 1, 3)
        h, result = estimate_channel(self.pilots, pilot_part.reshape(-1, self.antennas, self.pilot_len),
                                     self.mode, self.noise.variance, group=self.steps)
        h[~finite] = 0
        return received, finite, h, result

    def publish(self, h: np.ndarray, result, finite: np.ndarray, outputs, unit: int = 1) -> None:
        """Pilot-fit check, then the ``semcom_h_est`` and ``semcom_ls`` tags of each burst on
        ``outputs`` (item ``unit``·b for burst b), a ``semcom_error`` tag on output 0 for a burst that
        held NaN/Inf, and each estimate on the ``h_est`` message port with its pilot fit (the residual over
        the noise's, -1 where not finite) and the threshold."""
        block = self.block
        count = len(finite)
        residual = result.residual.reshape(count, self.steps)
        fit = self.check_fit(residual, finite, unit)
        fit = np.where(np.isfinite(fit), fit, -1.0)          # -1: no fit for a burst that was not finite
        first = block.nitems_read(0)
        for b in range(count):
            info = {"mode": self.mode, "t_min": int(result.t_min[b]),
                    "residual": [float(r) for r in residual[b]],
                    "fit": float(fit[b]), "fit_threshold": self.fit_threshold}
            tags.add_tags(block, outputs, b * unit, tags.H_EST, h[b])
            tags.add_tags(block, outputs, b * unit, tags.LS_INFO, info)
            if not finite[b]:
                message = f"ls_channel_estimator: burst {first + b} holds NaN/Inf samples; Ĥ set to 0"
                block.logger.error(message)
                tags.add_tag(block, 0, b * unit, tags.ERROR, message)
            block.message_port_pub(self.port, pmt.to_pmt(
                {"burst": first + b, "h": h[b].ravel(), "t_min": int(result.t_min[b]),
                 "fit": float(fit[b]), "fit_threshold": self.fit_threshold}))


class ls_channel_estimator(gr.sync_block):
    """M received burst streams → M payload streams, with the channel estimate Ĥ (M×K) of each
    burst in a ``semcom_h_est`` tag (and on the ``h_est`` message port as a dict).

    The pilot parameters must equal the transmitters' (:class:`pilot_inserter`). ``mode``:
    ``min_residual`` (the paper: Ĥ_t at t_min = argmin_t ‖Y_t − Ĥ_t X_t‖², eq. 6), ``joint`` (LS over
    all pilot steps), ``lmmse`` (prior CN(0,1) entries; noise variance from ``snr_db``). A burst
    holding NaN/Inf gets Ĥ = 0 and a ``semcom_error`` tag.

    Pilot-fit check: a burst whose mean pilot residual exceeds ``fit_threshold`` times what the noise of
    ``snr_db`` leaves (:func:`semcom.phy.ls.pilot_fit`) gets a ``semcom_pilot_misfit`` tag
    {burst, ratio} and is counted (``estimation.misfits``); a warning naming the likely causes (a block that shifts
    the stream, pilot settings unlike the transmitter's, an SNR setting above the real one) is logged
    at most every ``WARN_EVERY_S`` seconds. ``fit_threshold`` 0 turns the check off.
    """

    def __init__(self, antennas: int = 2, users: int = 2, payload_len: int = 640, pilot_steps: int = 10,
                 pilot_len: int = 16, pilot_source: str = "zadoff_chu", zc_root: int = 1,
                 pilot_file: str = "", mode: str = "min_residual", snr_db: float = 10.0,
                 fit_threshold: float = 3.0):
        self.noise = NoiseLevel(snr_db)
        self.estimation = LsEstimation(self, self.noise, antennas, users, payload_len, pilot_steps, pilot_len,
                                       pilot_source, zc_root, pilot_file, mode, fit_threshold)
        self.antennas, self.users = self.estimation.antennas, self.estimation.users
        self.payload_len = self.estimation.payload_len
        gr.sync_block.__init__(self, name="semcom_ls_channel_estimator",
                               in_sig=[vector(np.complex64, self.estimation.burst_len)] * self.antennas,
                               out_sig=[vector(np.complex64, self.payload_len)] * self.antennas)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.message_port_register_out(self.estimation.port)

    def set_snr_db(self, snr_db: float) -> None:
        """Noise variance assumed by the lmmse mode and the pilot-fit check (GRC callback)."""
        self.noise.set_snr_db(snr_db)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        received, finite, h, result = self.estimation.estimate(input_items, count)
        preamble_len = self.estimation.preamble_len
        for m in range(self.antennas):
            output_items[m][:] = received[:, m, preamble_len:]
        tags.copy_tags(self, 0, count, range(self.antennas), skip=(tags.H_EST, tags.LS_INFO))
        self.estimation.publish(h, result, finite, range(self.antennas))
        return count
