"""GNU Radio block: i.i.d. block fading, one channel matrix per burst (docs/signal-model.md), without noise."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import draw_channels
from ..phy.checks import require_int_range
from . import tags
from .ports import vector


class block_fading(gr.sync_block):
    """K input burst streams → M output burst streams, Y = H X with a new H per burst.

    ``channel``: ``awgn`` (H = I), ``rayleigh`` (CN(0,1) entries) or ``rician`` (K-factor
    ``rician_k``, linear). The H applied to each burst is tagged ``semcom_h_true`` on every
    output (the perfect-CSI reference); the inputs' tags are copied to every output.
    """

    def __init__(self, channel: str = "rayleigh", antennas: int = 2, users: int = 2,
                 burst_len: int = 800, rician_k: float = 4.0, seed: int = 0):
        self.channel = channel
        self.antennas = require_int_range("antennas (M)", antennas, 1, 4)
        self.users = require_int_range("users (K)", users, 1, 4)
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.rician_k = rician_k
        self.rng = np.random.default_rng(seed)
        draw_channels(channel, self.antennas, self.users, 1, np.random.default_rng(0), rician_k)  # checks
        gr.sync_block.__init__(self, name="semcom_block_fading",
                               in_sig=[vector(np.complex64, self.burst_len)] * self.users,
                               out_sig=[vector(np.complex64, self.burst_len)] * self.antennas)
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        h = draw_channels(self.channel, self.antennas, self.users, count, self.rng, self.rician_k)
        x = np.stack([input_items[k][:count] for k in range(self.users)], axis=1)  # (B, K, N)
        y = h @ x                                                                   # (B, M, N)
        for m in range(self.antennas):
            output_items[m][:] = y[:, m, :]
        for k in range(self.users):
            tags.copy_tags(self, k, count, range(self.antennas))
        for b in range(count):
            for m in range(self.antennas):
                tags.add_tag(self, m, b, tags.H_TRUE, h[b])
        return count
