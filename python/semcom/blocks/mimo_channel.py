# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hier block: the M×K (or SISO) radio channel of docs/signal-model.md, Y = H X + N, built from GNU Radio blocks."""
from __future__ import annotations

import numpy as np
from gnuradio import blocks, channels, gr

from ..phy.channels import check_rician_k
from ..phy.checks import require_choice, require_int_range
from .awgn import awgn
from .block_fading import block_fading
from ..errors import InputError

FADING_MODELS = ("block", "continuous")


def seeds(seed: int, count: int) -> list:
    """``count`` distinct positive 31-bit seeds derived from ``seed`` (GNU Radio treats 0 as 'from the clock')."""
    state = np.random.SeedSequence(int(seed)).generate_state(count, np.uint32)
    return [int(s % (2**31 - 2)) + 1 for s in state]


class mimo_channel(gr.hier_block2):
    """K burst-vector inputs (one per user) → M burst-vector outputs (one per receive antenna).

    - ``channel``: ``awgn`` (H = I), ``rayleigh``, ``rician`` (K-factor ``rician_k``, linear).
    - ``fading``: ``block`` draws an i.i.d. H per burst (docs/signal-model.md; tagged ``semcom_h_true``, so
      perfect CSI is available), ``continuous`` uses gr-channels ``fading_model`` per antenna pair
      (sum of ``sinusoids`` sinusoids, normalised Doppler ``doppler`` = f_D·T_s; no H tag).
    - noise: CN(0, σ²) per antenna with σ² = 10^(−snr_db/10) (unit power per user), added by the
      block fading block itself (block fading) or by an :class:`awgn` block per antenna (continuous),
      from the same per-antenna seeds either way. ``seed`` makes channel and noise repeatable.
    """

    def __init__(self, channel: str = "rayleigh", antennas: int = 2, users: int = 2,
                 burst_len: int = 800, snr_db: float = 10.0, rician_k: float = 4.0,
                 fading: str = "block", doppler: float = 0.001, sinusoids: int = 32, seed: int = 1):
        require_choice("fading", fading, FADING_MODELS)
        self.antennas = require_int_range("antennas (M)", antennas, 1, 4)
        self.users = require_int_range("users (K)", users, 1, 4)
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        check_rician_k(rician_k)
        item = gr.sizeof_gr_complex * self.burst_len
        gr.hier_block2.__init__(self, "semcom_mimo_channel",
                                gr.io_signature(self.users, self.users, item),
                                gr.io_signature(self.antennas, self.antennas, item))
        noise_seeds = seeds(seed, self.antennas + 1 + self.antennas * self.users)
        if fading == "block" or channel == "awgn":
            # the noise is added inside the fading block (the same samples as an awgn block per antenna
            # with these seeds would add): one Python block, one scheduler hop
            self.noise = []
            self.fading = block_fading(channel, self.antennas, self.users, self.burst_len, rician_k,
                                       noise_seeds[self.antennas], snr_db, noise_seeds[:self.antennas])
            for k in range(self.users):
                self.connect((self, k), (self.fading, k))
            for m in range(self.antennas):
                self.connect((self.fading, m), (self, m))
            self.noise_adders = [self.fading]
        else:
            self.noise = [awgn(self.burst_len, snr_db, s) for s in noise_seeds[:self.antennas]]
            for m in range(self.antennas):
                self.connect(self.noise[m], (self, m))
            self.noise_adders = self.noise
            require_choice("channel", channel, ("rayleigh", "rician"))
            self._build_continuous(channel == "rician", rician_k, doppler, sinusoids,
                                   noise_seeds[self.antennas + 1:])

    def _build_continuous(self, los: bool, rician_k: float, doppler: float, sinusoids: int,
                          path_seeds: list) -> None:
        if not 0 < doppler < 0.5:
            raise InputError(f"doppler (f_D·T_s) must be in (0, 0.5), got {doppler}")
        sinusoids = require_int_range("sinusoids", sinusoids, 1)
        size = gr.sizeof_gr_complex
        self.streams = [blocks.vector_to_stream(size, self.burst_len) for _ in range(self.users)]
        self.paths = [[channels.fading_model(sinusoids, doppler, los, rician_k,
                                             path_seeds[m * self.users + k])
                       for k in range(self.users)] for m in range(self.antennas)]
        self.sums = [blocks.add_cc() for _ in range(self.antennas)]
        self.vectors = [blocks.stream_to_vector(size, self.burst_len) for _ in range(self.antennas)]
        for k in range(self.users):
            self.connect((self, k), self.streams[k])
        for m in range(self.antennas):
            for k in range(self.users):
                self.connect(self.streams[k], self.paths[m][k], (self.sums[m], k))
            self.connect(self.sums[m], self.vectors[m], self.noise[m])

    def parts(self) -> list:
        """The blocks inside (fading, per-path and noise blocks)."""
        found = list(self.noise)
        for name in ("fading", "streams", "sums", "vectors"):
            value = getattr(self, name, None)
            if value is not None:
                found += value if isinstance(value, list) else [value]
        for row in getattr(self, "paths", []):
            found += row
        return found

    def set_snr_db(self, snr_db: float) -> None:
        """Runtime SNR change (GRC callback)."""
        for block in self.noise_adders:
            block.set_snr_db(snr_db)
