# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: i.i.d. block fading, one channel matrix per burst (docs/signal-model.md), without noise."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import complex_noise, draw_channels, noise_variance
from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from ..errors import InputError


class block_fading(gr.sync_block):
    """K input burst streams → M output burst streams, Y = H X with a new H per burst.

    ``channel``: ``awgn`` (H = I), ``rayleigh`` (CN(0,1) entries) or ``rician`` (K-factor
    ``rician_k``, linear). The H applied to each burst is tagged ``semcom_h_true`` on every
    output (the perfect-CSI reference); the inputs' tags are copied to every output.

    ``noise_seeds`` (one per antenna, Python only): also add CN(0, σ²) noise, σ² = 10^(−snr_db/10), to
    each output, drawn as :class:`semcom.blocks.awgn.awgn` with that seed would draw it (the same
    samples), so that :class:`semcom.blocks.mimo_channel.mimo_channel` needs no awgn block (and no
    scheduler hop) after the fading. Empty: no noise.
    """

    def __init__(self, channel: str = "rayleigh", antennas: int = 2, users: int = 2,
                 burst_len: int = 800, rician_k: float = 4.0, seed: int = 0, snr_db: float = 10.0,
                 noise_seeds=()):
        self.channel = channel
        self.antennas = require_int_range("antennas (M)", antennas, 1, 4)
        self.users = require_int_range("users (K)", users, 1, 4)
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.rician_k = rician_k
        self.rng = np.random.default_rng(seed)
        if len(noise_seeds) not in (0, self.antennas):
            raise InputError(f"noise_seeds: one seed per antenna (M = {self.antennas}), got {len(noise_seeds)}")
        self.noise_rngs = [np.random.default_rng(s) for s in noise_seeds]
        self.noise_var = noise_variance(snr_db)
        draw_channels(channel, self.antennas, self.users, 1, np.random.default_rng(0), rician_k)  # checks
        gr.sync_block.__init__(self, name="semcom_block_fading",
                               in_sig=[vector(np.complex64, self.burst_len)] * self.users,
                               out_sig=[vector(np.complex64, self.burst_len)] * self.antennas)
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def set_snr_db(self, snr_db: float) -> None:
        """Runtime SNR change of the added noise."""
        self.noise_var = noise_variance(snr_db)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        h = draw_channels(self.channel, self.antennas, self.users, count, self.rng, self.rician_k)
        x = np.stack([input_items[k][:count] for k in range(self.users)], axis=1)  # (B, K, N)
        y = h @ x                                                                   # (B, M, N)
        for m in range(self.antennas):
            if self.noise_rngs:
                output_items[m][:] = y[:, m, :] + complex_noise((count, self.burst_len), self.noise_var,
                                                                 self.noise_rngs[m])
            else:
                output_items[m][:] = y[:, m, :]
        for k in range(self.users):
            tags.copy_tags(self, k, count, range(self.antennas))
        for b in range(count):
            tags.add_tags(self, range(self.antennas), b, tags.H_TRUE, h[b])
        return count
