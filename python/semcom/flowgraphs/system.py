# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole semantic system as a GNU Radio top block (Fig. 1).

feature_source → audio_transmitter → [SISO link] → video_transmitter (AGVA on the received audio);
both terminals → Euler map → pilots → 2×2 uplink (mimo_channel) → LS → ZF → inverse Euler →
multimodal_receiver. A link is ``euler_mapper → stream_to_vector → pilot_inserter → mimo_channel
→ ls_channel_estimator → zf_detector → vector_to_stream → euler_demapper`` per user; CSI mode
``perfect`` detects with the channel's true H, ``none_retrained`` and ``none_no_retraining`` give the
receiver the raw antenna signals (pilots stripped, no detection; ``none_retrained``, Table I as the
paper ran it, needs a model whose receiver was retrained for these signals; ``none_no_retraining``, a
diagnostic, runs a model trained with channel estimation as it is), ``error_free`` connects each
Euler mapper straight to its demapper. Audio-only and video-only models send one user to the two
receive antennas.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from gnuradio import blocks, gr

from ..blocks.audio_transmitter import audio_transmitter
from ..blocks.feature_lookup import feature_lookup
from ..blocks.feature_source import feature_source
from ..blocks.mimo_channel import seeds
from ..blocks.multimodal_receiver import multimodal_receiver
from ..blocks.slot_aligner import slot_aligner
from ..blocks.video_transmitter import video_transmitter
from ..data.ave import split_files
from ..memo import kept
from ..modes import CSI_MODES, NO_ESTIMATION, check_snr_db
from ..nn.model_dir import check_data_matches, open_model_dir
from ..phy.channels import CHANNELS
from ..phy.checks import require_choice
from .air import AirBuilder
from .links import DigitalPhy, SemanticPhy, transmitter_range
from ..errors import InputError

ANTENNAS = 2


@dataclass
class SystemConfig:
    model: str                     # model directory (manifest.json + TorchScript files)
    data: str                      # AVE-format dataset folder
    split: str = "test"
    videos: int = 0                # first N videos of the split; 0 = all
    channel: str = "rayleigh"
    snr_db: float = 10.0
    csi: str = "estimated"
    estimator: str = "min_residual"
    rician_k: float = 4.0
    seed: int = 1
    torch_threads: int = 0
    results_file: str = ""
    split_video_transmitter: bool = False   # streaming: the visual part before the audio (video_transmitter)
    pad_lone_video: bool = True          # the receiver decodes a lone video beside a zero video (batch-exact floats)
    slot_timeout: float = 1.0            # over-the-air SISO: how long an uplink slot waits for the video terminal
    check_data: bool = True
    # separate source/channel coding baseline (RQ1): PCM + LDPC + 16-QAM in place of the Euler map,
    # with the same channel uses per segment as the semantic system; the model is trained error-free
    digital: bool = False
    digital_channel_uses: int = 64
    pcm_bits: int = 3
    pcm_clip: float = 0.0          # > 0: PCM range ±pcm_clip; 0: the model's output range on the videos sent
    ldpc: str = "n_0500_k_0202_gap_11.alist"
    ldpc_gap: int = 11
    decoding: str = "soft"
    ldpc_backend: str = "numpy"    # LDPC encoder and soft decoder: phy/ldpc.py over whole bursts, or 'gr-fec'
    #                                frame by frame

    def validate(self) -> None:
        require_choice("channel", self.channel, CHANNELS)
        require_choice("csi", self.csi, CSI_MODES)
        check_snr_db(self.snr_db)


class system_top_block(gr.top_block, AirBuilder):
    """The system of :class:`SystemConfig`; after ``run()``, :meth:`result` scores it."""

    LOSSY_SISO = False     # True where the SISO link can lose videos (:mod:`.loopback`): then the video
    #                        terminal looks up the visual features of the videos it heard, and the
    #                        uplink lines the users' bursts up by video (silence for a missing one)

    def __init__(self, config: SystemConfig):
        gr.top_block.__init__(self, "semcom_system")
        config.validate()
        self.config = c = config
        self.model = m = open_model_dir(c.model)
        if (m.trained_csi == "none_retrained") != (c.csi == "none_retrained"):
            raise InputError(f"{c.model}: csi 'none_retrained' needs a model whose receiver was retrained for the raw "
                             f"antenna signals (semcom train --csi none_retrained), and such a model runs only "
                             f"that mode; this model is trained for {m.trained_csi!r}, the run asks for {c.csi!r}")
        self.source = feature_source(c.data, c.split, c.videos, 0.0, c.check_data)
        check_data_matches(m, self.source.split.audio.shape[1:], self.source.split.visual.shape[1:], c.data)
        self.d = 2 * m.symbols
        self.pilots = m.pilot_settings()
        if c.digital:
            if c.csi in NO_ESTIMATION:
                raise InputError("the digital baseline needs channel estimation: csi 'estimated', 'perfect' or "
                                 "'error_free'")
            clip = c.pcm_clip if c.pcm_clip > 0 else kept(
                ("pcm_range", os.path.realpath(c.model), os.path.realpath(c.data), c.split, c.videos),
                [m.path(n) for n in m.manifest["files"]] + split_files(c.data, c.split),
                lambda: transmitter_range(m, self.source.split))
            self.phy = DigitalPhy(self.d, m.segments, c.digital_channel_uses, c.snr_db, c.pcm_bits, clip,
                                  c.ldpc, c.ldpc_gap, c.decoding, ldpc_backend=c.ldpc_backend)
        else:
            self.phy = SemanticPhy(self.d, m.segments)
        self.keep = []                                  # every block, so none is garbage-collected
        siso_seed, uplink_seed = seeds(c.seed, 2)
        sent = []
        if m.modality in ("av", "a"):
            self.audio_tx = audio_transmitter(c.model, torch_threads=c.torch_threads)
            self.connect((self.source, 0), self.audio_tx)
            sent.append((self.audio_tx, 0))
        else:
            self.connect((self.source, 0), self.add(blocks.null_sink(gr.sizeof_float * self.source.audio_dim)))
        if m.modality == "a":
            self.connect((self.source, 1), self.add(blocks.null_sink(gr.sizeof_float * self.source.visual_size)))
        if m.modality in ("av", "v"):
            # the split needs the visual features before the audio: not where they are looked up from it
            self.video_tx = video_transmitter(c.model, torch_threads=c.torch_threads,
                                           split=c.split_video_transmitter and not self.LOSSY_SISO)
            heard = None
            if m.modality == "av":
                siso_csi = "estimated" if c.csi in NO_ESTIMATION else c.csi
                heard = self.siso_link((self.audio_tx, 0), siso_csi, siso_seed)
                self.connect(heard, (self.video_tx, 1))
            if heard is not None and self.LOSSY_SISO:     # the video terminal sends the videos it heard
                lookup = self.add(feature_lookup(c.data, c.split, self.d, False))
                self.connect(heard, lookup, (self.video_tx, 0))
                self.connect((self.source, 1), self.add(blocks.null_sink(gr.sizeof_float * self.source.visual_size)))
            else:
                self.connect((self.source, 1), (self.video_tx, 0))
            sent.append((self.video_tx, 0))
        air_csi = "none" if c.csi in NO_ESTIMATION else c.csi
        received = self.link(sent, ANTENNAS if air_csi == "none" else len(sent), air_csi, uplink_seed,
                             antennas=ANTENNAS, align=self.LOSSY_SISO and len(sent) > 1)
        if len(received) > 1 and m.modality != "av":             # one user on two antennas, no estimation
            combine = self.add(blocks.add_vff(self.d))
            for i, port in enumerate(received):
                self.connect(port, (combine, i))
            received = [(combine, 0)]
        self.receiver = multimodal_receiver(c.model, results_file=c.results_file, torch_threads=c.torch_threads,
                                            pad_lone_video=c.pad_lone_video)
        for i, port in enumerate(received):
            self.connect(port, (self.receiver, i))
        if not self.LOSSY_SISO:
            # not where a slot_aligner waits for the video terminal with a timeout: wide buffers let the
            # audio uplink run tens of bursts ahead, and its slots then time out (videos lost)
            self.widen_buffers()

    def siso_link(self, audio, csi: str, seed: int):
        """The audio terminal → video terminal link; returns the received a*_t stream. Subclasses
        replace it (:mod:`.loopback`: over a radio waveform)."""
        return self.link([audio], 1, csi, seed)[0]

    def link(self, sent: list, outputs: int, csi: str, seed: int, antennas: int | None = None,
             align: bool = False) -> list:
        """The terminals' features → air → receiver for the K = len(sent) users (:mod:`.air`);
        returns the ``outputs`` float streams (K detected users, or M antennas for csi ``none``).
        ``align``: the users' bursts pass a :class:`slot_aligner` (a video may be missing)."""
        users = len(sent)
        if csi == "error_free":
            return [self.chain(port, self.phy.loopback(k)) for k, port in enumerate(sent)]
        bursts = [self.transmit(port, k, users) for k, port in enumerate(sent)]
        if align:
            aligner = self.add(slot_aligner(self.burst_len(users), users, self.config.slot_timeout,
                                            max(10.0, self.config.slot_timeout)))
            for k, port in enumerate(bursts):
                self.connect(port, (aligner, k))
            bursts = [(aligner, k) for k in range(users)]
        received = self.air(bursts, antennas or users, seed)
        return self.detect(received, users, csi, outputs)

    def result(self) -> "SystemResult":
        labels = self.source.labels
        predictions = self.receiver.predictions()
        summary = self.receiver.summary()
        correct = sum(int((predictions[p] == labels[p]).sum()) for p in predictions if 0 <= p < len(labels))
        segments = labels.size
        return SystemResult(accuracy=correct / segments, segments=segments, correct=correct,
                            videos=len(labels), received=summary["received"], lost=summary["lost"],
                            errors=summary["errors"], seconds=float("nan"),
                            pilot_misfits=self.pilot_fit_summary()["misfits"])


@dataclass
class SystemResult:
    accuracy: float        # correct segments / all segments sent (a lost segment counts as wrong)
    segments: int
    correct: int
    videos: int
    received: int
    lost: list
    errors: int
    seconds: float
    pilot_misfits: int = 0  # bursts whose pilots did not fit the LS model (semcom_pilot_misfit)


def run_system(config: SystemConfig) -> SystemResult:
    """Build, run to completion and score the system of ``config``."""
    tb = system_top_block(config)
    start = time.perf_counter()
    tb.run()
    result = tb.result()
    result.seconds = time.perf_counter() - start
    return result

