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

import gc
import os
import time
from dataclasses import dataclass, field

from gnuradio import blocks, gr

from ..blocks.audio_transmitter import audio_transmitter
from ..blocks.feature_source import feature_source
from ..blocks.mimo_channel import seeds
from ..blocks.multimodal_receiver import multimodal_receiver
from ..blocks.video_transmitter import video_transmitter
from ..data.ave import split_files
from ..memo import kept
from ..modes import CSI_MODES, NO_ESTIMATION, check_snr_db
from ..nn.model_dir import check_data_matches, open_model_dir
from ..phy.channels import CHANNELS
from ..phy.checks import require_choice
from .air import LinkBuilder
from .payloads import DigitalBaseline, DigitalPayload, SemanticPayload
from ..errors import InputError

ANTENNAS = 2


@dataclass
class BlockOptions:
    """How the neural blocks run (not what they compute): the streaming benchmarks' knobs."""
    torch_threads: int = 0                  # 0: PyTorch's default
    device: str = "auto"                    # the neural blocks' PyTorch device: auto (GPU if any), cpu, cuda
    split_video_transmitter: bool = False   # the visual part before the audio (video_transmitter(split=True))
    pad_lone_video: bool = True             # the receiver decodes a lone video beside a zero video (batch-exact)


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
    results_file: str = ""
    check_data: bool = True
    blocks: BlockOptions = field(default_factory=BlockOptions)
    digital: DigitalBaseline | None = None   # the separate source/channel coding baseline (RQ1) in place of the
    #                                          Euler map; its model is trained error-free

    def validate(self) -> None:
        require_choice("channel", self.channel, CHANNELS)
        require_choice("csi", self.csi, CSI_MODES)
        check_snr_db(self.snr_db)


class SimulatedSiso:
    """The SISO link from the audio terminal to the video terminal as the simulated channel (:mod:`.air`):
    it loses no video, so the video transmitter takes the visual features of the source in step."""

    def check(self, config: SystemConfig, modality: str) -> None:
        """Nothing to refuse: every configuration has a simulated SISO link."""

    def heard_audio(self, system: "system_top_block", audio, csi: str, seed: int):
        """The audio terminal's floats → the received a*_t stream at the video terminal."""
        return system.air.link([audio], 1, csi, seed)[0]

    def visual_lookup(self, system: "system_top_block", heard):
        """Where the video transmitter's visual features come from, if not from the source in step with the
        audio: None, the simulated link loses no video."""
        return None

    def slot_timeout(self) -> float | None:
        """How long the uplink waits for a missing video's burst; None: no video goes missing (no aligner)."""
        return None


class system_top_block(gr.top_block):
    """The system of :class:`SystemConfig`; after ``run()``, :meth:`result` scores it. ``siso``: the SISO
    link (:class:`SimulatedSiso`, or :class:`.loopback.OverTheAirSiso`). ``fused``: the link chains as the
    fused blocks (:class:`.air.LinkBuilder`; False: the separate blocks, as drawn in GRC)."""

    def __init__(self, config: SystemConfig, siso=None, fused: bool = True):
        gr.top_block.__init__(self, "semcom_system")
        config.validate()
        self.config = c = config
        self.siso = siso = siso or SimulatedSiso()
        self.model = m = open_model_dir(c.model)
        if (m.trained_csi == "none_retrained") != (c.csi == "none_retrained"):
            raise InputError(f"{c.model}: csi 'none_retrained' needs a model whose receiver was retrained for the raw "
                             f"antenna signals (semcom train --csi none_retrained), and such a model runs only "
                             f"that mode; this model is trained for {m.trained_csi!r}, the run asks for {c.csi!r}")
        siso.check(c, m.modality)
        self.source = feature_source(c.data, c.split, c.videos, 0.0, c.check_data)
        check_data_matches(m, self.source.split.audio.shape[1:], self.source.split.visual.shape[1:], c.data)
        self.d = 2 * m.symbols
        self.air = LinkBuilder(self, self.payload(), m.pilot_settings(), channel=c.channel, snr_db=c.snr_db,
                               rician_k=c.rician_k, estimator=c.estimator, fused=fused)
        add, options = self.air.add, c.blocks
        siso_seed, uplink_seed = seeds(c.seed, 2)
        sent = []
        if m.modality in ("av", "a"):
            self.audio_tx = audio_transmitter(c.model, torch_threads=options.torch_threads, device=options.device)
            self.connect((self.source, 0), self.audio_tx)
            sent.append((self.audio_tx, 0))
        else:
            self.connect((self.source, 0), add(blocks.null_sink(gr.sizeof_float * self.source.audio_dim)))
        looked_up = None             # the video transmitter's visual features where not the source's in step
        if m.modality in ("av", "v"):
            heard = None
            if m.modality == "av":
                siso_csi = "estimated" if c.csi in NO_ESTIMATION else c.csi
                heard = siso.heard_audio(self, (self.audio_tx, 0), siso_csi, siso_seed)
                looked_up = siso.visual_lookup(self, heard)
            # the split needs the visual features before the audio: not where they are looked up from it
            self.video_tx = video_transmitter(c.model, torch_threads=options.torch_threads,
                                              split=options.split_video_transmitter and looked_up is None,
                                              device=options.device)
            self.connect(looked_up or (self.source, 1), (self.video_tx, 0))
            if heard is not None:
                self.connect(heard, (self.video_tx, 1))
            sent.append((self.video_tx, 0))
        if m.modality == "a" or looked_up is not None:
            self.connect((self.source, 1), add(blocks.null_sink(gr.sizeof_float * self.source.visual_size)))
        air_csi = "none" if c.csi in NO_ESTIMATION else c.csi
        received = self.air.link(sent, ANTENNAS if air_csi == "none" else len(sent), air_csi, uplink_seed,
                                 antennas=ANTENNAS, slot_timeout=siso.slot_timeout() if len(sent) > 1 else None)
        if len(received) > 1 and m.modality != "av":             # one user on two antennas, no estimation
            combine = add(blocks.add_vff(self.d))
            for i, port in enumerate(received):
                self.connect(port, (combine, i))
            received = [(combine, 0)]
        self.receiver = multimodal_receiver(c.model, results_file=c.results_file, torch_threads=options.torch_threads,
                                            pad_lone_video=options.pad_lone_video, device=options.device)
        for i, port in enumerate(received):
            self.connect(port, (self.receiver, i))
        if siso.slot_timeout() is None:
            # not where a slot_aligner waits for the video terminal with a timeout: wide buffers let the
            # audio uplink run tens of bursts ahead, and its slots then time out (videos lost)
            self.air.widen_buffers()

    def payload(self):
        """The payload strategy: the Euler map, or the digital baseline's PCM + LDPC + 16-QAM."""
        c, m = self.config, self.model
        if c.digital is None:
            return SemanticPayload(self.d, m.segments)
        if c.csi in NO_ESTIMATION:
            raise InputError("the digital baseline needs channel estimation: csi 'estimated', 'perfect' or "
                             "'error_free'")
        g = c.digital
        clip = g.pcm_clip
        if clip <= 0:
            from ..nn.statistics import transmitter_range
            clip = kept(("pcm_range", os.path.realpath(c.model), os.path.realpath(c.data), c.split, c.videos),
                        [m.path(n) for n in m.manifest["files"]] + split_files(c.data, c.split),
                        lambda: transmitter_range(m, self.source.split))
        return DigitalPayload(self.d, m.segments, g.channel_uses, c.snr_db, g.pcm_bits, clip, g.ldpc, g.ldpc_gap,
                              g.decoding, ldpc_backend=g.ldpc_backend)

    def result(self) -> "SystemResult":
        labels = self.source.labels
        predictions = self.receiver.predictions()
        summary = self.receiver.summary()
        correct = sum(int((predictions[p] == labels[p]).sum()) for p in predictions if 0 <= p < len(labels))
        segments = labels.size
        return SystemResult(accuracy=correct / segments, segments=segments, correct=correct,
                            videos=len(labels), received=summary["received"], lost=summary["lost"],
                            errors=summary["errors"], seconds=float("nan"),
                            pilot_misfits=self.air.pilot_fit_summary()["misfits"])


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
    if tb.receiver.failure:
        raise InputError(tb.receiver.failure)
    result = tb.result()
    result.seconds = time.perf_counter() - start
    del tb
    gc.collect()    # the top block and its buffers sit in reference cycles: freed now, not at a later collection
    return result

