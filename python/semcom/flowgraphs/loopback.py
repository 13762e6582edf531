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

from ..blocks.feature_lookup import feature_lookup
from ..blocks.ota_demodulator import ota_demodulator
from ..blocks.ota_modulator import ota_modulator
from ..phy.ota import OtaSettings
from .radio import Radio, open_radio
from .system import SimulatedSiso, SystemConfig, system_top_block
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


class OverTheAirSiso(SimulatedSiso):
    """The SISO link over the waveform: exactly one of ``impairments`` (channel_model) or ``radio`` (hardware)
    is the radio path. A frame lost on the air (missed preamble, failed header) loses its video: the video
    terminal then encodes the videos it heard (their visual features looked up by position) and the uplink
    lines the users' bursts up by video, waiting ``slot_timeout`` s for the video terminal's."""

    def __init__(self, waveform: Waveform = None, impairments: Impairments = None, radio: Radio = None,
                 slot_timeout: float = 1.0):
        if (impairments is None) == (radio is None):
            raise InputError("give either impairments (channel_model) or a radio")
        if not slot_timeout > 0:
            raise InputError(f"slot_timeout must be > 0 seconds, got {slot_timeout}")
        self.waveform = waveform or Waveform()
        self.waveform.settings()
        self.impairments = impairments.check() if impairments else None
        self.radio = radio
        self.timeout = float(slot_timeout)
        self.modulator = self.demodulator = None

    def check(self, config: SystemConfig, modality: str) -> None:
        if config.digital is not None:
            raise InputError("the over-the-air SISO link carries the semantic system, not the digital baseline")
        if config.csi in ("perfect", "error_free"):
            raise InputError(f"csi {config.csi!r} has no over-the-air meaning: use 'estimated' (or "
                             "'none_retrained', 'none_no_retraining')")
        if modality != "av":
            raise InputError(f"{config.model}: {'an audio' if modality == 'a' else 'a video'}-only model has no "
                             "SISO link (audio terminal to video terminal) to send over the air; the loopback needs a "
                             "multimodal ('av') model")

    def heard_audio(self, system, audio, csi: str, seed: int):
        air, w = system.air, self.waveform
        length = air.burst_len(1)
        self.modulator = air.add(ota_modulator(length, w.sps, w.rolloff, w.preamble_len, w.guard))
        self.demodulator = air.add(ota_demodulator(length, w.sps, w.rolloff, w.preamble_len, w.threshold))
        system.connect(air.transmit(audio, 0, 1), self.modulator)
        if self.radio is not None:
            sink, source = (air.add(b) for b in open_radio(self.radio, "both"))
            system.connect(self.modulator, sink)
            system.connect(source, self.demodulator)
        else:
            self._emulated_path(system, seed)
        return air.detect([(self.demodulator, 0)], 1, csi, 1)[0]

    def _emulated_path(self, system, seed: int) -> None:
        """Start delay → channel_model (no noise of its own: its noise pool repeats) → + CN(0, σ²)."""
        i, add = self.impairments, system.air.add
        delay = add(blocks.delay(gr.sizeof_gr_complex, int(i.delay)))
        channel = add(channels.channel_model(noise_voltage=0.0, frequency_offset=i.cfo, epsilon=i.epsilon,
                                             taps=[complex(t) for t in i.taps], noise_seed=seed, block_tags=False))
        sigma = math.sqrt(10 ** (-system.config.snr_db / 10))       # Es/N0 = SNR with unit-energy pulses
        noise = add(analog.noise_source_c(analog.GR_GAUSSIAN, sigma, seed))
        adder = add(blocks.add_cc())
        system.connect(self.modulator, delay, channel, (adder, 0))
        system.connect(noise, (adder, 1))
        system.connect(adder, self.demodulator)

    def visual_lookup(self, system, heard):
        c = system.config
        lookup = system.air.add(feature_lookup(c.data, c.split, system.d, False))
        system.connect(heard, lookup)
        return (lookup, 0)

    def slot_timeout(self) -> float:
        return self.timeout


class ota_system_top_block(system_top_block):
    """:class:`.system.system_top_block` with the SISO link over the air (:class:`OverTheAirSiso`: the waveform
    through ``impairments`` or a ``radio``; the uplink waits ``slot_timeout`` s for a video terminal's burst)."""

    def __init__(self, config: SystemConfig, waveform: Waveform = None, impairments: Impairments = None,
                 radio: Radio = None, slot_timeout: float = 1.0):
        super().__init__(config, siso=OverTheAirSiso(waveform, impairments, radio, slot_timeout))

    @property
    def demodulator(self):
        """The SISO link's ota_demodulator (frames detected, header failures)."""
        return self.siso.demodulator

    def run_until_done(self, idle_timeout: float = 10.0) -> None:
        """Run; with a radio (whose source never ends) stop when the receiver has the last video,
        or after ``idle_timeout`` s without a new one."""
        if self.siso.radio is None:
            self.run()
            return
        self.start()
        expected, last, count = len(self.source.labels), time.monotonic(), 0
        try:
            while count < expected and time.monotonic() - last < idle_timeout:
                time.sleep(0.1)
                if len(self.receiver.seen) != count:
                    count, last = len(self.receiver.seen), time.monotonic()
                if expected - 1 in self.receiver.seen:
                    break
        finally:
            self.stop()
            self.wait()
