# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The physical-layer link as a GNU Radio top block: K single-antenna users → M-antenna receiver.

Per user: float ±1 vectors (QPSK bits) → euler_mapper → stream_to_vector → pilot_inserter → mimo_channel →
ls_channel_estimator → zf_detector → vector_to_stream → euler_demapper → sign decisions (:mod:`.air`). Used
by ``semcom link`` and the theory tests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pmt
from gnuradio import blocks, gr

from ..blocks import tags
from ..blocks.mimo_channel import seeds
from ..phy.checks import require_int_range
from ..phy.pilots import PilotSettings
from .air import LinkBuilder
from .payloads import SemanticPayload


@dataclass
class LinkConfig:
    channel: str = "rayleigh"
    snr_db: float = 10.0
    antennas: int = 2
    users: int = 2
    bursts: int = 200
    segments_per_burst: int = 10
    d: int = 64                    # floats per segment → d/2 QPSK symbols
    pilots: PilotSettings = PilotSettings()
    estimator: str = "min_residual"
    detector: str = "zf"
    csi: str = "estimated"         # or "perfect"
    rician_k: float = 4.0
    fading: str = "block"
    seed: int = 1


class link_top_block(gr.top_block):
    """The link of :class:`LinkConfig` as drawn in GRC (the separate blocks, :class:`.air.LinkBuilder`);
    ``bits`` (K, bursts·segments, d) are the sent ±1 values."""

    def __init__(self, config: LinkConfig):
        gr.top_block.__init__(self, "semcom_link")
        c = config
        require_int_range("bursts", c.bursts, 1)
        rng = np.random.default_rng(seeds(c.seed, 1)[0])
        segments = c.bursts * c.segments_per_burst
        self.bits = rng.choice(np.array([-1.0, 1.0], np.float32), size=(c.users, segments, c.d))
        self.air = LinkBuilder(self, SemanticPayload(c.d, c.segments_per_burst), c.pilots, channel=c.channel,
                               snr_db=c.snr_db, rician_k=c.rician_k, fading=c.fading, estimator=c.estimator,
                               detector=c.detector, fused=False)
        sources = [self.air.add(blocks.vector_source_f(self.bits[k].ravel(), False, c.d)) for k in range(c.users)]
        received = self.air.channel([self.air.transmit(s, k, c.users) for k, s in enumerate(sources)],
                                    c.antennas, c.seed)
        self.sinks = [self.air.add(blocks.vector_sink_f(c.d)) for _ in range(c.users)]
        for port, sink in zip(self.air.detect(received, c.users, c.csi, c.users), self.sinks):
            self.connect(port, sink)
        (self.estimator,) = self.air.estimators
        self.csi_probe = blocks.tag_debug(gr.sizeof_gr_complex * self.air.payload.payload_len, "csi", "")
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
                      float(symbol_wrong.mean()), mse, config.bursts, tb.estimator.estimation.misfits)


def result_row(config: LinkConfig, result: LinkResult) -> dict:
    """One row of link.csv: the settings (the pilots as pilot_steps, pilot_len, pilot_source, pilot_file)
    and the result."""
    row = {}
    for key, value in asdict(config).items():
        if key == "pilots":
            row.update(pilot_steps=value["steps"], pilot_len=value["length"], pilot_source=value["source"],
                       pilot_file=value["file"])
        else:
            row[key] = value
    row.update(asdict(result))
    return row
