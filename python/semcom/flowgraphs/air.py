# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The air interface of docs/signal-model.md as block chains, shared by the one-process system and the
separate terminal processes: transmit (the phy's chain + pilot inserter), the channel
(mimo_channel) and detection (LS → ZF, or raw antenna signals for csi ``none``, then the phy's
receive chain).
"""
from __future__ import annotations

from gnuradio import gr

from ..blocks.burst_detector import burst_detector
from ..blocks.euler_mapper import burst_mapper
from ..blocks.ls_channel_estimator import LsEstimation, ls_channel_estimator
from ..blocks.mimo_channel import mimo_channel
from ..blocks.pilot_inserter import pilot_inserter
from ..blocks.buffers import page_aligned_buffers, set_min_output_buffer_quietly
from ..blocks.zf_detector import zf_detector
from ..phy.pilots import load_pilots
from .links import SemanticPhy

BUFFER_BYTES = 1 << 19            # 512 kB: 80 bursts of 640 symbols
class AirBuilder:
    """Mixin for a ``gr.top_block`` that sets ``config`` (channel, snr_db, rician_k, estimator),
    ``phy`` (:class:`.links.SemanticPhy` or :class:`.links.DigitalPhy`), ``pilots`` (the model
    directory's pilot settings) and ``keep`` (a list holding every block of the flowgraph).

    ``FUSED``: with the semantic phy, each terminal's transmit chain (Euler map, stream_to_vector,
    pilots) is one :class:`burst_mapper` and each receive chain (LS, ZF, vector_to_stream, inverse
    Euler map of every user) one :class:`burst_detector`: the same samples and predictions with 3 + 2K
    fewer scheduler hops per link (what a video's latency is mostly made of); False: the separate
    blocks, as drawn in GRC."""

    FUSED = True

    def add(self, block):
        page_aligned_buffers(block)
        self.keep.append(block)
        return block

    def widen_buffers(self, nbytes: int = BUFFER_BYTES) -> None:
        """Give every block added so far (and the blocks inside a channel) output buffers of at least
        ``nbytes``: a block then takes tens of bursts per call when it has fallen behind, instead of the
        few that GNU Radio's default buffers hold, so fewer Python calls do the same work."""
        found = []
        for block in self.keep:
            found += block.parts() if isinstance(block, mimo_channel) else [block]
        for block in found:
            if isinstance(block, gr.hier_block2):
                continue
            signature = block.output_signature()
            streams = signature.max_streams()             # -1: any number, all of the last size
            if streams != 0:
                size = max(signature.sizeof_stream_item(i) for i in range(max(streams, 1)))
                set_min_output_buffer_quietly(block, max(1, nbytes // size, block.min_output_buffer(0)))

    def pilot_fit_summary(self) -> dict:
        """The pilot-fit check of every LS estimator in the flowgraph: {bursts, misfits, worst_fit}."""
        estimators = [b for b in self.keep if isinstance(b, LsEstimation)]
        found = [e.pilot_fit_summary() for e in estimators]
        return {"bursts": sum(f["bursts"] for f in found), "misfits": sum(f["misfits"] for f in found),
                "worst_fit": max((f["worst_fit"] for f in found), default=0.0)}

    def chain(self, port, chain: list):
        """Connect ``port`` → chain[0] → … → chain[-1]; returns the last block's output 0."""
        for block in chain:
            self.add(block)
        self.connect(port, *chain)
        return (chain[-1], 0)

    def fused(self) -> bool:
        """Whether the transmit and receive chains are the fused blocks (``FUSED`` and the semantic phy)."""
        return self.FUSED and isinstance(self.phy, SemanticPhy)

    def pilot_len(self, users: int) -> int:
        """Pilot symbols per step for ``users``: a (T_p, L) pilot file is time-divided into K·L."""
        if self.pilots["pilot_source"] != "file":
            return self.pilots["pilot_len"]
        return load_pilots(self.pilots["pilot_file"], users).shape[2]

    def burst_len(self, users: int) -> int:
        """Symbols per burst (one video): T_p pilot steps of L_p symbols, then the payload."""
        return self.pilots["pilot_steps"] * self.pilot_len(users) + self.phy.payload_len

    def transmit(self, port, user: int, users: int):
        """A terminal's per-segment floats → its bursts (user ``user`` of ``users``)."""
        if self.fused():
            return self.chain(port, [burst_mapper(self.phy.d, self.phy.segments, user, users,
                                                  self.pilots["pilot_steps"], self.pilot_len(users),
                                                  self.pilots["pilot_source"], 1, self.pilots["pilot_file"])])
        inserter = pilot_inserter(self.phy.payload_len, user, users, self.pilots["pilot_steps"],
                                  self.pilot_len(users), self.pilots["pilot_source"], 1, self.pilots["pilot_file"])
        return self.chain(port, self.phy.transmit(user) + [inserter])

    def air(self, bursts: list, antennas: int, seed: int) -> list:
        """The users' bursts → Y = H X + N on ``antennas`` receive antennas (block fading)."""
        c, users = self.config, len(bursts)
        channel = self.add(mimo_channel(c.channel, antennas, users, self.burst_len(users), c.snr_db, c.rician_k,
                                        "block", seed=seed))
        for k, port in enumerate(bursts):
            self.connect(port, (channel, k))
        return [(channel, m) for m in range(antennas)]

    def detect(self, received: list, users: int, csi: str, outputs: int) -> list:
        """Antenna bursts → LS (eq. 5-6) → ZF (eq. 7) with the ``csi`` channel → the phy's receive
        chain; returns the first ``outputs`` float streams (users, or antennas for csi ``none``)."""
        c, antennas = self.config, len(received)
        if self.fused() and csi != "none":
            detector = self.add(burst_detector(antennas, users, self.phy.d, self.phy.segments,
                                               self.pilots["pilot_steps"], self.pilot_len(users),
                                               self.pilots["pilot_source"], 1, self.pilots["pilot_file"],
                                               c.estimator, c.snr_db, csi=csi))
            for m, port in enumerate(received):
                self.connect(port, (detector, m))
            return [(detector, k) for k in range(users)][:outputs]
        estimator = self.add(ls_channel_estimator(antennas, users, self.phy.payload_len, self.pilots["pilot_steps"],
                                                  self.pilot_len(users), self.pilots["pilot_source"], 1,
                                                  self.pilots["pilot_file"], c.estimator, c.snr_db))
        for m, port in enumerate(received):
            self.connect(port, (estimator, m))
        if csi == "none":
            streams = [(estimator, m) for m in range(antennas)]
        else:
            detector = self.add(zf_detector(antennas, users, self.phy.payload_len, "zf", csi, c.snr_db))
            for m in range(antennas):
                self.connect((estimator, m), (detector, m))
            streams = [(detector, k) for k in range(users)]
        return [self.chain(port, self.phy.receive(min(i, users - 1))) for i, port in enumerate(streams[:outputs])]
