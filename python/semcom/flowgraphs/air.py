# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The link chain of docs/signal-model.md, built in one place for every flowgraph that has one: `semcom link`,
the one-process system, the loopback and the separate terminal programs.

transmit: the payload's chain (:mod:`.payloads`) + pilot_inserter; the channel: mimo_channel; detection:
ls_channel_estimator → zf_detector (or the raw antenna signals for csi ``none``) → the payload's receive chain.
"""
from __future__ import annotations

from gnuradio import gr

from ..blocks.burst_detector import burst_detector
from ..blocks.buffers import page_aligned_buffers, set_min_output_buffer_quietly
from ..blocks.euler_mapper import burst_mapper
from ..blocks.ls_channel_estimator import ls_channel_estimator
from ..blocks.mimo_channel import mimo_channel
from ..blocks.pilot_inserter import pilot_inserter
from ..blocks.slot_aligner import slot_aligner
from ..blocks.zf_detector import zf_detector
from ..phy.pilots import PilotSettings

BUFFER_BYTES = 1 << 19            # 512 kB: 80 bursts of 640 symbols


class LinkBuilder:
    """Builds link chains into the top block ``top`` and keeps every block it adds (``blocks``), so none is
    garbage-collected.

    ``payload``: a payload strategy of :mod:`.payloads`; ``pilots``: the model's :class:`PilotSettings`;
    ``channel``, ``snr_db``, ``rician_k``, ``fading``: the channel (:class:`mimo_channel`); ``estimator``: the
    LS mode; ``detector``: 'zf' (eq. 7) or 'mmse'.

    ``fused``: with a payload that allows it (``FUSABLE``), each transmit chain (Euler map, stream_to_vector,
    pilots) is one :class:`burst_mapper` and each receive chain (LS, ZF, vector_to_stream, inverse Euler map of
    every user) one :class:`burst_detector`: the same samples and floats with 3 + 2K fewer scheduler hops per
    link (what a video's latency is mostly made of). False: the separate blocks, as drawn in GRC."""

    def __init__(self, top: gr.top_block, payload, pilots: PilotSettings, *, channel: str = "rayleigh",
                 snr_db: float = 10.0, rician_k: float = 4.0, fading: str = "block",
                 estimator: str = "min_residual", detector: str = "zf", fused: bool = True):
        self.top, self.payload, self.pilots = top, payload, pilots
        self.channel_name, self.snr_db, self.rician_k, self.fading = channel, snr_db, rician_k, fading
        self.estimator, self.detector = estimator, detector
        self.fused = fused and payload.FUSABLE
        self.blocks = []
        self.estimators = []           # the blocks that estimate H (ls_channel_estimator, burst_detector)

    def add(self, block):
        """Keep ``block`` (with page-rounded output buffers); returns it."""
        page_aligned_buffers(block)
        self.blocks.append(block)
        return block

    def chain(self, port, chain: list):
        """Connect ``port`` → chain[0] → … → chain[-1]; returns the last block's output 0."""
        for block in chain:
            self.add(block)
        self.top.connect(port, *chain)
        return (chain[-1], 0)

    def burst_len(self, users: int) -> int:
        """Symbols per burst (one video) on a ``users``-user link: T_p·L_p pilot symbols, then the payload."""
        return self.pilots.preamble_len(users) + self.payload.payload_len

    def transmit(self, port, user: int, users: int):
        """A terminal's per-segment floats → its bursts (user ``user`` of ``users``)."""
        p, pilots = self.payload, self.pilots.block_arguments(users)
        if self.fused:
            return self.chain(port, [burst_mapper(p.d, p.segments, user, users, **pilots)])
        return self.chain(port, p.transmit(user) + [pilot_inserter(p.payload_len, user, users, **pilots)])

    def align(self, bursts: list, timeout: float) -> list:
        """The users' bursts → a :class:`slot_aligner` that lines them up by video (silence for a video that
        is missing after ``timeout`` s)."""
        aligner = self.add(slot_aligner(self.burst_len(len(bursts)), len(bursts), timeout, max(10.0, timeout)))
        for k, port in enumerate(bursts):
            self.top.connect(port, (aligner, k))
        return [(aligner, k) for k in range(len(bursts))]

    def channel(self, bursts: list, antennas: int, seed: int) -> list:
        """The users' bursts → Y = H X + N on ``antennas`` receive antennas."""
        users = len(bursts)
        channel = self.add(mimo_channel(self.channel_name, antennas, users, self.burst_len(users), self.snr_db,
                                        self.rician_k, self.fading, seed=seed))
        for k, port in enumerate(bursts):
            self.top.connect(port, (channel, k))
        return [(channel, m) for m in range(antennas)]

    def detect(self, received: list, users: int, csi: str, outputs: int) -> list:
        """Antenna bursts → LS (eq. 5-6) → ZF (eq. 7) with the ``csi`` channel ('estimated', 'perfect') → the
        payload's receive chain; csi 'none': the antennas' payloads, pilots stripped, undetected. Returns the
        first ``outputs`` float streams (users, or antennas for csi 'none')."""
        p, antennas, pilots = self.payload, len(received), self.pilots.block_arguments(users)
        if self.fused and csi != "none":
            detector = self.add(burst_detector(antennas, users, p.d, p.segments, **pilots, mode=self.estimator,
                                               snr_db=self.snr_db, method=self.detector, csi=csi))
            self.estimators.append(detector)
            self._connect_all(received, detector)
            return [(detector, k) for k in range(users)][:outputs]
        estimator = self.add(ls_channel_estimator(antennas, users, p.payload_len, **pilots, mode=self.estimator,
                                                  snr_db=self.snr_db))
        self.estimators.append(estimator)
        self._connect_all(received, estimator)
        if csi == "none":
            streams = [(estimator, m) for m in range(antennas)]
        else:
            detector = self.add(zf_detector(antennas, users, p.payload_len, self.detector, csi, self.snr_db))
            self._connect_all([(estimator, m) for m in range(antennas)], detector)
            streams = [(detector, k) for k in range(users)]
        return [self.chain(port, p.receive(min(i, users - 1))) for i, port in enumerate(streams[:outputs])]

    def link(self, sent: list, outputs: int, csi: str, seed: int, antennas: int | None = None,
             slot_timeout: float | None = None) -> list:
        """The terminals' floats → bursts → channel → detection for the K = len(sent) users; returns the
        ``outputs`` float streams (K users, or the antennas for csi 'none'). csi 'error_free': each payload's
        loopback (no air). ``slot_timeout``: the bursts pass a slot aligner first (a video may be missing)."""
        users = len(sent)
        if csi == "error_free":
            return [self.chain(port, self.payload.loopback(k)) for k, port in enumerate(sent)]
        bursts = [self.transmit(port, k, users) for k, port in enumerate(sent)]
        if slot_timeout is not None:
            bursts = self.align(bursts, slot_timeout)
        return self.detect(self.channel(bursts, antennas or users, seed), users, csi, outputs)

    def _connect_all(self, ports: list, block) -> None:
        for i, port in enumerate(ports):
            self.top.connect(port, (block, i))

    def widen_buffers(self, nbytes: int = BUFFER_BYTES) -> None:
        """Give every block added so far (and the blocks inside a channel) output buffers of at least
        ``nbytes``: a block then takes tens of bursts per call when it has fallen behind, instead of the
        few that GNU Radio's default buffers hold, so fewer Python calls do the same work."""
        found = []
        for block in self.blocks:
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
        """The pilot-fit check of every LS estimation built here: {bursts, misfits, worst_fit}."""
        found = [e.estimation.pilot_fit_summary() for e in self.estimators]
        return {"bursts": sum(f["bursts"] for f in found), "misfits": sum(f["misfits"] for f in found),
                "worst_fit": max((f["worst_fit"] for f in found), default=0.0)}
