# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Over-the-air waveform for real radios: each burst of docs/signal-model.md (pilots + payload symbols) is sent as

    preamble (a Zadoff-Chu sequence of N symbols, twice) | header (BPSK, repetition-coded, CRC-32) | burst

at ``sps`` samples per symbol with root-raised-cosine pulses. The receiver matched-filters, detects
the preamble with the Schmidl-Cox metric of its two halves (robust to carrier offset), estimates
the carrier-frequency offset from the phase of that correlation, corrects it, finds the symbol
timing by cross-correlation with the known preamble, reads the header (video position, count,
user, power scale: the metadata that stream tags carry inside one flowgraph) and hands the burst
symbols to the usual LS and ZF. Units: sample-rate-normalised CFO (cycles per sample), SNR as
Es/N0 per symbol (complex noise of variance 10^(−SNR/10) per sample with unit-energy pulses).
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .checks import require_int_range
from ..errors import InputError

HEADER_FORMAT = "<IIiBf"           # position, count, video (dataset row, -1: none), user, scale
HEADER_BITS = 8 * (struct.calcsize(HEADER_FORMAT) + 4)     # + CRC-32


@dataclass(frozen=True)
class OtaSettings:
    sps: int = 4                   # samples per symbol
    rolloff: float = 0.35          # RRC roll-off
    span: int = 8                  # RRC length in symbols (each side: span / 2)
    preamble_len: int = 31         # N: Zadoff-Chu length (odd); the preamble is two copies
    zc_root: int = 7
    repetition: int = 4            # header bits sent this many times each
    threshold: float = 0.3         # Schmidl-Cox metric |P|²/(E1·E2) needed for a detection (0..1)
    guard: int = 32                # zero symbols after every burst

    def check(self) -> "OtaSettings":
        require_int_range("sps", self.sps, 2, 64)
        require_int_range("span", self.span, 2, 64)
        require_int_range("preamble_len", self.preamble_len, 7, 4095)
        require_int_range("repetition", self.repetition, 1, 15)
        require_int_range("guard", self.guard, 0)
        if self.preamble_len % 2 == 0 or np.gcd(self.zc_root, self.preamble_len) != 1:
            raise InputError(f"preamble_len must be odd and coprime with zc_root, got {self.preamble_len}, "
                             f"{self.zc_root}")
        if not 0 < self.rolloff <= 1:
            raise InputError(f"rolloff must be in (0, 1], got {self.rolloff}")
        if not 0 < self.threshold < 1:
            raise InputError(f"threshold must be in (0, 1), got {self.threshold}")
        return self

    @property
    def header_symbols(self) -> int:
        return HEADER_BITS * self.repetition


@lru_cache(maxsize=8)
def rrc_taps(settings: OtaSettings) -> np.ndarray:
    """Unit-energy root-raised-cosine taps (gr-filter's firdes), span·sps + 1 long (computed once per settings)."""
    from gnuradio.filter import firdes
    taps = np.array(firdes.root_raised_cosine(1.0, settings.sps, 1.0, settings.rolloff,
                                              settings.span * settings.sps + 1))
    taps = taps / np.sqrt(np.sum(taps ** 2))
    taps.flags.writeable = False            # shared by the cache
    return taps


@lru_cache(maxsize=8)
def preamble(settings: OtaSettings) -> np.ndarray:
    """The N-symbol Zadoff-Chu sequence twice (unit modulus; computed once per settings)."""
    n = np.arange(settings.preamble_len)
    zc = np.exp(-1j * np.pi * settings.zc_root * n * (n + 1) / settings.preamble_len)
    sequence = np.tile(zc, 2).astype(np.complex64)
    sequence.flags.writeable = False        # shared by the cache
    return sequence


def header_bits(position: int, count: int, video: int, user: int, scale: float) -> np.ndarray:
    body = struct.pack(HEADER_FORMAT, position, count, video, user, scale)
    return np.unpackbits(np.frombuffer(body + struct.pack("<I", zlib.crc32(body)), np.uint8))


def parse_header(bits: np.ndarray):
    """{position, count, video, user, scale}, or None when the bits are not HEADER_BITS long, the CRC fails,
    or a field is out of range (user 0..3, video >= -1, a finite scale > 0): a header that passes its CRC
    by chance or by a forger's hand still never puts NaN or a user that is not there downstream."""
    bits = np.asarray(bits)
    if bits.size != HEADER_BITS:
        return None
    raw = np.packbits(bits.astype(np.uint8)).tobytes()
    body, crc = raw[:-4], struct.unpack("<I", raw[-4:])[0]
    if zlib.crc32(body) != crc:
        return None
    position, count, video, user, scale = struct.unpack(HEADER_FORMAT, body)
    if not (user <= 3 and video >= -1 and math.isfinite(scale) and scale > 0):
        return None
    return {"position": position, "count": count, "video": video, "user": user, "scale": scale}


def header_symbols(bits: np.ndarray, repetition: int) -> np.ndarray:
    """Header bits → BPSK symbols: each bit ``repetition`` times, scrambled by a fixed ±1 sequence
    (so the header never repeats with the preamble's period)."""
    chips = 1.0 - 2.0 * np.repeat(bits, repetition)
    return (chips * scrambler(chips.size)).astype(np.complex64)


def scrambler(length: int) -> np.ndarray:
    return 1.0 - 2.0 * np.random.default_rng(0x5EC0).integers(0, 2, length)


def modulate(symbols: np.ndarray, header: dict, settings: OtaSettings) -> np.ndarray:
    """One burst's symbols → preamble + header + burst + guard, RRC-shaped at sps samples per symbol."""
    frame = np.concatenate([preamble(settings), header_symbols(header_bits(**header), settings.repetition),
                            np.asarray(symbols, np.complex64), np.zeros(settings.guard, np.complex64)])
    upsampled = np.zeros(frame.size * settings.sps, np.complex64)
    upsampled[::settings.sps] = frame
    return np.convolve(upsampled, rrc_taps(settings)).astype(np.complex64)


def frame_samples(burst_len: int, settings: OtaSettings) -> int:
    """Samples that ``modulate`` returns for a burst of ``burst_len`` symbols."""
    symbols = 2 * settings.preamble_len + settings.header_symbols + burst_len + settings.guard
    return symbols * settings.sps + settings.span * settings.sps


@dataclass
class Detection:
    start: int                    # sample of the first preamble symbol (after matched filtering)
    cfo: float                    # cycles per sample
    metric: float                 # Schmidl-Cox metric at the detection
    gain: complex                 # channel gain seen on the preamble
    header: dict | None           # None: the header's CRC failed
    symbols: np.ndarray           # the burst symbols (CFO-corrected, timing-aligned; gain not removed)


class Demodulator:
    """Finds and demodulates bursts of ``burst_len`` symbols in a buffer of received samples."""

    SEARCH = 16                    # fine timing search, ± symbols around the metric's peak (< preamble_len)

    def __init__(self, burst_len: int, settings: OtaSettings):
        self.s = settings.check()
        self.search = min(self.SEARCH, self.s.preamble_len // 2)
        self.burst_len = require_int_range("burst_len", burst_len, 1)
        self.taps = rrc_taps(self.s)
        self.lag = self.s.preamble_len * self.s.sps
        shaped = np.zeros(2 * self.lag, np.complex64)
        shaped[::self.s.sps] = preamble(self.s)
        # the preamble as the receiver sees it after TX and RX filters (a raised-cosine pulse per symbol)
        full = np.convolve(shaped, np.convolve(self.taps, self.taps))
        self.reference = full[self.s.span * self.s.sps:][:2 * self.lag]
        self.needed = (2 * self.s.preamble_len + self.s.header_symbols + self.burst_len + 2) * self.s.sps
        self.half = (self.taps.size - 1) // 2

    def matched_filter(self, samples: np.ndarray) -> np.ndarray:
        """RRC matched filter, delay-compensated (output k lines up with input k); the last
        ``half`` outputs wait for more input and are left out."""
        full = np.convolve(samples, self.taps)
        return full[self.half:samples.size]

    def metric(self, r: np.ndarray):
        """Schmidl-Cox correlation P(d) = Σ r*(d+n) r(d+n+L) over n < L, and |P|²/(E1·E2)."""
        lag = self.lag
        if r.size < 2 * lag + 1:
            return np.zeros(0, complex), np.zeros(0)
        c_prod = np.concatenate([[0], np.cumsum(np.conj(r[:-lag]) * r[lag:])])
        c_energy = np.concatenate([[0], np.cumsum(np.abs(r) ** 2)])
        d = np.arange(r.size - 2 * lag + 1)
        p = c_prod[d + lag] - c_prod[d]
        e1 = c_energy[d + lag] - c_energy[d]
        e2 = c_energy[d + 2 * lag] - c_energy[d + lag]
        return p, np.abs(p) ** 2 / np.maximum(e1 * e2, 1e-30)

    def find(self, raw: np.ndarray):
        """Search a buffer of received samples for the first burst.

        Returns (Detection or None, samples the caller may drop from the front of ``raw``). None
        with a partial drop means: call again with more samples appended.
        """
        s, lag = self.s, self.lag
        if raw.size == 0:
            return None, 0
        r = self.matched_filter(raw)
        p, m = self.metric(r)
        above = np.flatnonzero(m > s.threshold)
        if above.size == 0:
            return None, max(0, r.size - 2 * lag - self.half)
        first = int(above[0])
        if first + lag > m.size:                                   # the peak may still be ahead
            return None, max(0, first - self.half - s.sps)
        peak = first + int(np.argmax(m[first:first + lag]))
        if peak + self.needed + (self.search + 2) * s.sps > r.size:  # wait for the whole burst
            return None, max(0, peak - self.half - (self.search + 2) * s.sps)
        cfo = float(np.angle(p[peak]) / (2 * np.pi * lag))
        # fine timing: cross-correlation with the known preamble within ±SEARCH symbols of the metric's
        # peak (the metric is flat near its top: at 6 dB its peak can wander by several symbols; the
        # search stays inside ±N symbols, where the two-copy preamble's correlation has no side peak)
        origin = max(0, peak - self.search * s.sps)
        seg = r[origin:] * np.exp(-2j * np.pi * cfo * np.arange(r.size - origin)).astype(np.complex64)
        corr = np.array([np.vdot(self.reference, seg[k:k + self.reference.size])
                         for k in range(2 * self.search * s.sps + 1)])
        mag = np.abs(corr)
        best = int(np.clip(np.argmax(mag), 1, mag.size - 2))
        a, b, c = mag[best - 1:best + 2]
        mu = float(np.clip(0.5 * (a - c) / (a - 2 * b + c), -0.5, 0.5)) if a - 2 * b + c < 0 else 0.0
        gain = corr[best] / np.vdot(self.reference, self.reference)
        at = best + mu + s.sps * np.arange((seg.size - best - 2) // s.sps)      # fractional symbol timing
        symbols = np.interp(at, np.arange(seg.size), seg.real) + 1j * np.interp(at, np.arange(seg.size), seg.imag)
        n_pre, n_head = 2 * s.preamble_len, s.header_symbols
        received = symbols[n_pre:n_pre + n_head] * np.conj(gain)
        # the preamble's CFO estimate drifts by up to about a radian over a long header at low SNR:
        # squaring the BPSK chips removes the data, and the phase step of the square over D chips
        # gives twice the residual offset; the ramp starts at the preamble's centre (its phase reference)
        # (lags growing by 4: each stage is unambiguous within the previous one's error)
        k = np.arange(n_head) + s.preamble_len
        residual_total = 0.0                                       # cycles per symbol
        for lag in (16, 64, 256):
            if lag < n_head // 2:
                square = received ** 2
                residual = float(np.angle(np.vdot(square[:-lag], square[lag:])) / (4 * np.pi * lag))
                received = received * np.exp(-2j * np.pi * residual * k)
                residual_total += residual
        chips = np.real(received) * scrambler(n_head)
        bits = (chips.reshape(-1, s.repetition).sum(axis=1) < 0).astype(np.uint8)
        header = parse_header(bits)
        if header is not None:       # data-aided: preamble + header as known symbols refine CFO and gain
            symbols = symbols * np.exp(-2j * np.pi * residual_total * np.arange(symbols.size))
            known = np.concatenate([preamble(s), header_symbols(bits, s.repetition)])
            z = symbols[:known.size] * np.conj(known)
            half = known.size // 2
            drift = float(np.angle(np.vdot(z[:half], z[half:2 * half])) / (2 * np.pi * half * s.sps))
            cfo += residual_total / s.sps + drift
            symbols = symbols * np.exp(-2j * np.pi * drift * s.sps * np.arange(symbols.size))
            gain = np.vdot(known, symbols[:known.size]) / known.size
        burst = symbols[n_pre + n_head:n_pre + n_head + self.burst_len].astype(np.complex64)
        start = origin + best
        detection = Detection(start, cfo, float(m[peak]), complex(gain), header, burst)
        return detection, start + (n_pre + n_head + self.burst_len) * s.sps - self.half
