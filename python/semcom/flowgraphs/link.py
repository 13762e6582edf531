# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The physical-layer link as a GNU Radio top block: K single-antenna users → M-antenna receiver.

Per user: float ±1 vectors (QPSK bits) → euler_mapper → pilot_inserter → mimo_channel →
ls_channel_estimator → zf_detector → euler_demapper → sign decisions. Used by ``semcom link``,
the examples and the theory tests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pmt
from gnuradio import blocks, gr

from ..blocks import tags
from ..blocks.euler_demapper import euler_demapper
from ..blocks.euler_mapper import euler_mapper
from ..blocks.ls_channel_estimator import ls_channel_estimator
from ..blocks.mimo_channel import mimo_channel, seeds
from ..blocks.pilot_inserter import pilot_inserter
from ..blocks.zf_detector import zf_detector
from ..phy.checks import require_int_range


@dataclass
class LinkConfig:
    channel: str = "rayleigh"
    snr_db: float = 10.0
    antennas: int = 2
    users: int = 2
    bursts: int = 200
    segments_per_burst: int = 10
    d: int = 64                    # floats per segment → d/2 QPSK symbols
    pilot_steps: int = 10
    pilot_len: int = 16
    pilot_source: str = "zadoff_chu"
    pilot_file: str = ""
    estimator: str = "min_residual"
    detector: str = "zf"
    csi: str = "estimated"         # or "perfect"
    rician_k: float = 4.0
    fading: str = "block"
    seed: int = 1

    @property
    def payload_len(self) -> int:
        return self.segments_per_burst * self.d // 2


class link_top_block(gr.top_block):
    """The link of :class:`LinkConfig`; ``bits`` (K, bursts·segments, d) are the sent ±1 values."""

    def __init__(self, config: LinkConfig):
        gr.top_block.__init__(self, "semcom_link")
        c = config
        require_int_range("bursts", c.bursts, 1)
        rng = np.random.default_rng(seeds(c.seed, 1)[0])
        segments = c.bursts * c.segments_per_burst
        self.bits = rng.choice(np.array([-1.0, 1.0], np.float32), size=(c.users, segments, c.d))
        symbol_size = gr.sizeof_gr_complex * (c.d // 2)
        self.channel = mimo_channel(c.channel, c.antennas, c.users, c.pilot_steps * c.pilot_len + c.payload_len,
                                    c.snr_db, c.rician_k, c.fading, seed=c.seed)
        self.estimator = ls_channel_estimator(c.antennas, c.users, c.payload_len, c.pilot_steps, c.pilot_len,
                                              c.pilot_source, 1, c.pilot_file, c.estimator, c.snr_db)
        self.detector = zf_detector(c.antennas, c.users, c.payload_len, c.detector, c.csi, c.snr_db)
        self.sources, self.mappers, self.to_bursts, self.inserters = [], [], [], []
        self.to_segments, self.demappers, self.sinks = [], [], []
        for k in range(c.users):
            self.sources.append(blocks.vector_source_f(self.bits[k].ravel(), False, c.d))
            self.mappers.append(euler_mapper(c.d, c.segments_per_burst, k))
            self.to_bursts.append(blocks.stream_to_vector(symbol_size, c.segments_per_burst))
            self.inserters.append(pilot_inserter(c.payload_len, k, c.users, c.pilot_steps, c.pilot_len,
                                                 c.pilot_source, 1, c.pilot_file))
            self.connect(self.sources[k], self.mappers[k], self.to_bursts[k], self.inserters[k],
                         (self.channel, k))
            self.to_segments.append(blocks.vector_to_stream(symbol_size, c.segments_per_burst))
            self.demappers.append(euler_demapper(c.d, k))
            self.sinks.append(blocks.vector_sink_f(c.d))
            self.connect((self.detector, k), self.to_segments[k], self.demappers[k], self.sinks[k])
        for m in range(c.antennas):
            self.connect((self.channel, m), (self.estimator, m), (self.detector, m))
        self.csi_probe = blocks.tag_debug(gr.sizeof_gr_complex * c.payload_len, "csi", "")
        self.csi_probe.set_display(False)
        self.csi_probe.set_save_all(True)
        self.connect((self.estimator, 0), self.csi_probe)

    def channel_matrices(self, key: str) -> np.ndarray:
        """The (bursts, M, K) matrices of tag ``key`` seen after the estimator."""
        found = {t.offset: np.asarray(pmt.to_python(t.value)) for t in self.csi_probe.current_tags()
                 if pmt.symbol_to_string(t.key) == key}
        c = self.estimator
        return np.stack([found[o].reshape(c.antennas, c.users) for o in sorted(found)])

    def received_bits(self) -> np.ndarray:
        return np.stack([np.asarray(s.data(), np.float32).reshape(self.bits.shape[1:]) for s in self.sinks])


@dataclass
class LinkResult:
    snr_db: float
    bits: int
    bit_errors: int
    ber: float
    ser: float
    estimation_mse: float     # mean |Ĥ − H|² per entry (NaN when H is not tagged, continuous fading)
    bursts: int
    pilot_misfits: int = 0    # bursts whose pilots did not fit the LS model (semcom_pilot_misfit)


def run_link(config: LinkConfig) -> LinkResult:
    """Run the link flowgraph to completion and measure BER, SER and the estimation MSE."""
    tb = link_top_block(config)
    tb.run()
    sent, got = tb.bits, tb.received_bits()
    wrong = np.signbit(sent) != np.signbit(got)
    half = config.d // 2
    symbol_wrong = wrong[..., :half] | wrong[..., half:]
    if config.fading == "block":
        mse = float(np.mean(np.abs(tb.channel_matrices(tags.H_EST) - tb.channel_matrices(tags.H_TRUE)) ** 2))
    else:
        mse = float("nan")
    return LinkResult(config.snr_db, int(wrong.size), int(wrong.sum()), float(wrong.mean()),
                      float(symbol_wrong.mean()), mse, config.bursts, tb.estimator.misfits)


def result_row(config: LinkConfig, result: LinkResult) -> dict:
    row = asdict(config)
    row.update(asdict(result))
    return row
