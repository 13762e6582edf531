# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: complex white Gaussian noise CN(0, σ²) added to a vector stream, seeded."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.channels import complex_noise, noise_variance
from ..phy.checks import require_int_range
from .item_types import vector


class awgn(gr.sync_block):
    """y = x + n, n ~ CN(0, σ²) with σ² = 10^(−snr_db/10) (unit signal power, docs/signal-model.md).

    Noise is drawn on the signal path from NumPy's PCG64 seeded with ``seed``, so a finite
    stream ends with every item delivered (a separate infinite noise source feeding an adder can
    end a GNU Radio flowgraph a few items early) and Monte-Carlo runs never see repeated noise.
    """

    def __init__(self, vlen: int = 1, snr_db: float = 10.0, seed: int = 1):
        self.vlen = require_int_range("vlen", vlen, 1)
        self.noise_var = noise_variance(snr_db)
        self.rng = np.random.default_rng(seed)
        gr.sync_block.__init__(self, name="semcom_awgn", in_sig=[vector(np.complex64, self.vlen)],
                               out_sig=[vector(np.complex64, self.vlen)])

    def set_snr_db(self, snr_db: float) -> None:
        """Runtime SNR change (GRC callback)."""
        self.noise_var = noise_variance(snr_db)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        output_items[0][:] = input_items[0][:count] + complex_noise((count, self.vlen), self.noise_var, self.rng)
        return count
