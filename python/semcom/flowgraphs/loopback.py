# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system with its SISO link (audio terminal → video terminal) over the over-the-air waveform
(:mod:`..phy.ota`): ota_modulator → radio path → ota_demodulator → LS → ZF, where the radio path is

- gr-channels ``channel_model`` with carrier offset, clock offset, multipath taps, a start delay and
  noise at the configured SNR (no hardware: :class:`Impairments`), or
- a real radio in loopback (:class:`Radio`): a gr-soapy (or gr-uhd) sink, a cable with an attenuator,
  a source on the same or another device.

The 2×2 uplink stays the simulated one of docs/signal-model.md (a two-user waveform would need per-user
preambles and joint synchronisation).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from gnuradio import analog, blocks, channels, gr

from ..blocks.ota_demodulator import ota_demodulator
from ..nn.model_dir import open_model_dir
from ..blocks.ota_modulator import ota_modulator
from ..phy.ota import OtaSettings
from .radio import Radio, open_radio
from .system import SystemConfig, system_top_block
from ..errors import InputError


@dataclass
class Waveform:
    sps: int = 4                   # samples per symbol
    rolloff: float = 0.35          # root-raised-cosine roll-off
    preamble_len: int = 31         # Zadoff-Chu length (the preamble is two copies)
    threshold: float = 0.3         # detection threshold of the Schmidl-Cox metric (0..1)
    guard: int = 32                # zero symbols after each frame

    def settings(self) -> OtaSettings:
        return OtaSettings(sps=self.sps, rolloff=self.rolloff, preamble_len=self.preamble_len,
                           threshold=self.threshold, guard=self.guard).check()


@dataclass
class Impairments:
    cfo: float = 0.0               # carrier offset, cycles per sample
    epsilon: float = 1.0           # receiver/transmitter sample-clock ratio (channel_model's epsilon)
    taps: list = field(default_factory=lambda: [1.0])    # multipath taps at the sample rate
    delay: int = 0                 # start delay, samples

    def check(self) -> "Impairments":
        if not abs(self.cfo) < 0.5:
            raise InputError(f"cfo must be in (-0.5, 0.5) cycles per sample, got {self.cfo}")
        if not 0.99 < self.epsilon < 1.01:
            raise InputError(f"epsilon (clock ratio) must be within 1 % of 1, got {self.epsilon}")
        if self.delay < 0 or not self.taps:
            raise InputError("delay must be >= 0 samples and taps must hold at least one value")
        return self


class ota_system_top_block(system_top_block):
    """:class:`.system.system_top_block` with the SISO link over the waveform; exactly one of
    ``impairments`` (channel_model) or ``radio`` (hardware) is the radio path. A frame lost on the
    air (missed preamble, failed header) makes its video ``lost`` at the receiver."""

    LOSSY_SISO = True

    def __init__(self, config: SystemConfig, waveform: Waveform = None, impairments: Impairments = None,
                 radio: Radio = None):
        if (impairments is None) == (radio is None):
            raise InputError("give either impairments (channel_model) or a radio")
        if config.digital:
            raise InputError("the over-the-air SISO link carries the semantic system, not the digital baseline")
        if config.csi in ("perfect", "error_free"):
            raise InputError(f"csi {config.csi!r} has no over-the-air meaning: use 'estimated' (or "
                             "'none_retrained', 'none_no_retraining')")
        modality = open_model_dir(config.model).modality
        if modality != "av":
            raise InputError(f"{config.model}: {'an audio' if modality == 'a' else 'a video'}-only model has no "
                             "SISO link (audio terminal to video terminal) to send over the air; the loopback needs a "
                             "multimodal ('av') model")
        self.waveform = waveform or Waveform()
        self.waveform.settings()
        self.impairments = impairments.check() if impairments else None
        self.radio = radio
        super().__init__(config)

    def siso_link(self, audio, csi: str, seed: int):
        w, length = self.waveform, self.burst_len(1)
        self.modulator = self.add(ota_modulator(length, w.sps, w.rolloff, w.preamble_len, w.guard))
        self.demodulator = self.add(ota_demodulator(length, w.sps, w.rolloff, w.preamble_len, w.threshold))
        self.connect(self.transmit(audio, 0, 1), self.modulator)
        if self.radio is not None:
            self._radio_path()
        else:
            self._emulated_path(seed)
        return self.detect([(self.demodulator, 0)], 1, csi, 1)[0]

    def _emulated_path(self, seed: int) -> None:
        """Start delay → channel_model (no noise of its own: its noise pool repeats) → + CN(0, σ²)."""
        i = self.impairments
        delay = self.add(blocks.delay(gr.sizeof_gr_complex, int(i.delay)))
        channel = self.add(channels.channel_model(noise_voltage=0.0, frequency_offset=i.cfo, epsilon=i.epsilon,
                                                  taps=[complex(t) for t in i.taps], noise_seed=seed,
                                                  block_tags=False))
        sigma = math.sqrt(10 ** (-self.config.snr_db / 10))       # Es/N0 = SNR with unit-energy pulses
        noise = self.add(analog.noise_source_c(analog.GR_GAUSSIAN, sigma, seed))
        add = self.add(blocks.add_cc())
        self.connect(self.modulator, delay, channel, (add, 0))
        self.connect(noise, (add, 1))
        self.connect(add, self.demodulator)

    def _radio_path(self) -> None:
        self.sink, self.source_radio = (self.add(b) for b in open_radio(self.radio, "both"))
        self.connect(self.modulator, self.sink)
        self.connect(self.source_radio, self.demodulator)

    def run_until_done(self, idle_timeout: float = 10.0) -> None:
        """Run; with a radio (whose source never ends) stop when the receiver has the last video,
        or after ``idle_timeout`` s without a new one."""
        if self.radio is None:
            self.run()
            return
        self.start()
        expected, last, count = len(self.source.labels), time.monotonic(), 0
        try:
            while count < expected and time.monotonic() - last < idle_timeout:
                time.sleep(0.1)
                if len(self.receiver.results) != count:
                    count, last = len(self.receiver.results), time.monotonic()
                if any(r["position"] == expected - 1 for r in self.receiver.results):
                    break
        finally:
            self.stop()
            self.wait()
