# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The payload strategies: what a terminal's features become on the air, and back. Each is the block chain
before the pilot inserter and the one after the ZF detector, for the semantic system and for the separate
source/channel coding baseline; :class:`semcom.flowgraphs.air.LinkBuilder` puts them around the air.

- :class:`SemanticPayload`: Euler map (eq. 1) of the transmitter's 2L reals to L symbols per segment.
- :class:`DigitalPayload` (the paper's "traditional" system, RQ1): PCM of the error-free-trained
  transmitter's 2L_s reals, an LDPC code of gr-fec, 16-QAM of gr-digital, zero padding to the same
  channel uses per segment as the semantic system; at the receiver soft (sum-product) or hard
  (bit-flipping) LDPC decoding and PCM reconstruction. The LDPC encoder and the soft decoder
  (gr-fec's sum-product algorithm) run either vectorised over the frames of all bursts at hand
  (:mod:`semcom.phy.ldpc`, ``ldpc_backend`` 'numpy': the same codewords and decoded bits) or frame
  by frame in gr-fec's blocks ('gr-fec', slower).
Each ``transmit`` chain ends in burst vectors of ``payload_len`` symbols; each ``receive`` chain
starts from them and ends in the receiver's 2L float vectors per segment.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from gnuradio import blocks, gr

from ..blocks.euler_demapper import euler_demapper
from ..blocks.euler_mapper import euler_mapper
from ..blocks.pcm_codec import burst_resize, pcm_decoder, pcm_encoder
from ..blocks.buffers import set_min_output_buffer_quietly
from ..blocks.ldpc_codec import grfec_ldpc_decoder, ldpc_decoder, ldpc_encoder
from ..memo import kept
from ..phy.channels import noise_variance
from ..phy.checks import require_choice
from ..phy.pcm import check_pcm
from ..errors import InputError

LDPC_DIR = "/usr/share/gnuradio/fec/ldpc"
DECODINGS = ("soft", "hard")
LDPC_BACKENDS = ("numpy", "gr-fec")
DECODER_BURSTS = 64              # bursts the soft decoder's input buffer holds (frames decoded together)
LLR_NOISE_FLOOR = 0.05           # noise power of 13 dB
LUT_PRECISION = 8                # soft-decision table of 2^8 × 2^8 points


@dataclass
class DigitalBaseline:
    """The settings of the separate source/channel coding baseline (:class:`DigitalPayload`) in a system run."""
    channel_uses: int = 64         # symbols per segment, as many as the semantic system's
    pcm_bits: int = 3
    pcm_clip: float = 0.0          # > 0: PCM range ±pcm_clip; 0: the model's output range on the videos sent
    ldpc: str = "n_0500_k_0202_gap_11.alist"
    ldpc_gap: int = 11
    decoding: str = "soft"
    ldpc_backend: str = "numpy"    # LDPC encoder and soft decoder: phy/ldpc.py over whole bursts, or 'gr-fec'


class SemanticPayload:
    """Euler map (eq. 1) of the transmitter's d = 2L reals per segment to L symbols, inverse Euler map
    (eq. 8-9) at the receiver; ``loopback`` is the error-free link (mapper straight into demapper).
    ``FUSABLE``: :class:`semcom.flowgraphs.air.LinkBuilder` may build its chains as the fused blocks
    (burst_mapper, burst_detector), which give the same samples and floats."""

    FUSABLE = True

    def __init__(self, d: int, segments: int):
        self.d, self.segments = d, segments
        self.payload_len = segments * d // 2

    def transmit(self, user: int) -> list:
        return [euler_mapper(self.d, self.segments, user),
                blocks.stream_to_vector(gr.sizeof_gr_complex * (self.d // 2), self.segments)]

    def receive(self, user: int) -> list:
        return [blocks.vector_to_stream(gr.sizeof_gr_complex * (self.d // 2), self.segments),
                euler_demapper(self.d, user, self.segments)]

    def loopback(self, user: int) -> list:
        return [euler_mapper(self.d, self.segments, user), euler_demapper(self.d, user)]


class DigitalPayload:
    """PCM (``pcm_bits`` over ±``clip``) → LDPC (``ldpc``: an alist of gr-fec with its ``gap``) →
    16-QAM → zero padding to ``channel_uses`` symbols per segment. ``ldpc_backend``: the LDPC encoder
    and soft decoder of :mod:`semcom.blocks.ldpc_codec` ('numpy') or of gr-fec ('gr-fec'); hard
    ``decoding`` is gr-fec's bit-flipping decoder either way."""

    FUSABLE = False

    def __init__(self, d: int, segments: int, channel_uses: int, snr_db: float, pcm_bits: int = 3,
                 clip: float = 4.0, ldpc: str = "n_0500_k_0202_gap_11.alist", gap: int = 11,
                 decoding: str = "soft", max_iterations: int = 50, ldpc_backend: str = "numpy"):
        from gnuradio import digital, fec
        check_pcm(pcm_bits, clip)
        self.decoding = require_choice("decoding", decoding, DECODINGS)
        self.backend = require_choice("ldpc_backend", ldpc_backend, LDPC_BACKENDS)
        self.d, self.segments, self.bits, self.clip = d, segments, pcm_bits, clip
        path = ldpc if os.path.isabs(ldpc) else os.path.join(LDPC_DIR, ldpc)
        if not os.path.isfile(path):
            raise InputError(f"ldpc {path!r}: no such alist file (gr-fec ships them in {LDPC_DIR})")
        self.alist, self.max_iterations, self.snr_db = path, max_iterations, snr_db
        self._table = None                               # the soft-decision table, once computed
        self.matrix = fec.ldpc_H_matrix(path, gap)
        self.k, self.n = self.matrix.k(), self.matrix.n()
        self.constellation = digital.constellation_16qam().base()
        per_symbol = self.constellation.bits_per_symbol()
        self.frames = math.ceil(d * segments * pcm_bits / self.k)
        self.frame_bits = self.frames * self.k
        coded = self.frames * self.n
        if coded % per_symbol:
            raise InputError(f"{self.frames} LDPC frames of n = {self.n} bits do not fill whole 16-QAM symbols")
        self.symbols = coded // per_symbol
        self.payload_len = segments * channel_uses
        if self.symbols > self.payload_len:
            raise InputError(f"the digital burst needs {self.symbols} symbols ({d * segments * pcm_bits} PCM bits, "
                             f"LDPC rate {self.k}/{self.n}, 16-QAM); only {self.payload_len} channel uses per burst")

    def transmit(self, user: int) -> list:
        from gnuradio import digital, fec
        if self.backend == "numpy":
            coded = [ldpc_encoder(self.alist, self.frames),
                     blocks.vector_to_stream(gr.sizeof_char, self.frames * self.n)]
        else:
            coded = [blocks.vector_to_stream(gr.sizeof_char, self.frame_bits),
                     fec.extended_encoder(fec.ldpc_par_mtrx_encoder.make_H(self.matrix), None, "11")]
        return [pcm_encoder(self.d, self.segments, self.bits, self.clip, self.frame_bits), *coded,
                blocks.pack_k_bits_bb(self.constellation.bits_per_symbol()),
                digital.constellation_encoder_bc(self.constellation),
                blocks.stream_to_vector(gr.sizeof_gr_complex, self.symbols),
                burst_resize(self.symbols, self.payload_len)]

    def receive(self, user: int) -> list:
        from gnuradio import digital, fec
        # soft decisions s of gr-digital at the nominal noise power; gr-fec's sum-product decoder
        # takes exp(s/(2σ²)) as a bit's likelihood ratio, so σ = √2 (as ever here) decodes with the
        # LLR s/4. A positive value is a 1 bit for gr-digital and both gr-fec LDPC decoders
        chain = [burst_resize(self.payload_len, self.symbols),
                 blocks.vector_to_stream(gr.sizeof_gr_complex, self.symbols),
                 digital.constellation_soft_decoder_cf(self._llr_constellation())]
        if self.decoding == "soft" and self.backend == "numpy":
            bursts = blocks.stream_to_vector(gr.sizeof_float, self.frames * self.n)
            set_min_output_buffer_quietly(bursts, DECODER_BURSTS)
            chain += [bursts, ldpc_decoder(self.alist, self.frames, math.sqrt(2.0), self.max_iterations)]
        else:
            if self.decoding == "soft":
                decoder = grfec_ldpc_decoder(self.alist, self.max_iterations)
            else:
                decoder = fec.ldpc_bit_flip_decoder.make(self.matrix.get_base_sptr(), self.max_iterations)
            chain += [fec.extended_decoder(decoder, None, None, "11"),
                      blocks.stream_to_vector(gr.sizeof_char, self.frame_bits)]
        return chain + [pcm_decoder(self.d, self.segments, self.bits, self.clip, self.frame_bits)]

    def _llr_constellation(self):
        """16-QAM whose soft decisions are max-log LLRs at the nominal noise power (a lookup table),
        floored at ``LLR_NOISE_FLOOR`` so that LLRs stay bounded (overconfident LLRs make belief
        propagation fail on bursts whose ZF output is noisier than nominal). The table is computed
        once per noise power (per run, or per process that keeps its loads) and copied into each
        receive chain's constellation."""
        from gnuradio import digital
        if self._table is None:
            noise_power = max(noise_variance(self.snr_db), LLR_NOISE_FLOOR)
            self._table = kept(("16qam_soft_lut", LUT_PRECISION, noise_power), [], lambda: soft_lut(noise_power))
        constellation = digital.constellation_16qam().base()
        constellation.set_soft_dec_lut(self._table, LUT_PRECISION)
        return constellation

    def loopback(self, user: int) -> list:
        return [pcm_encoder(self.d, self.segments, self.bits, self.clip, self.frame_bits),
                pcm_decoder(self.d, self.segments, self.bits, self.clip, self.frame_bits)]


def soft_lut(noise_power: float) -> list:
    """gr-digital's soft-decision table of its 16-QAM at ``noise_power`` (2^LUT_PRECISION points a side)."""
    from gnuradio import digital
    constellation = digital.constellation_16qam().base()
    constellation.gen_soft_dec_lut(LUT_PRECISION, noise_power)
    return constellation.soft_dec_lut()
