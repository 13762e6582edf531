# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio blocks: LDPC encoding and soft decoding of whole bursts (:mod:`semcom.phy.ldpc`, all
frames of a call at once)."""
from __future__ import annotations

import math

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.ldpc import check_decoder, decode, read_alist
from .item_types import vector

GR_FEC_ALIST = "/usr/share/gnuradio/fec/ldpc/n_0500_k_0202_gap_11.alist"


class ldpc_encoder(gr.sync_block):
    """The information bits of ``frames`` LDPC frames per burst (a uint8 vector of frames·k, 0/1)
    → their codewords (a uint8 vector of frames·n, 0/1), as gr-fec's ``ldpc_par_mtrx_encoder``
    encodes each frame for the alist's H (parity bits first, information bits last)."""

    def __init__(self, alist: str = GR_FEC_ALIST, frames: int = 1):
        self.code = read_alist(alist)
        self.frames = require_int_range("frames", frames, 1)
        gr.sync_block.__init__(self, name="semcom_ldpc_encoder",
                               in_sig=[vector(np.uint8, self.frames * self.code.k)],
                               out_sig=[vector(np.uint8, self.frames * self.code.n)])

    def work(self, input_items, output_items):
        count = len(output_items[0])
        info = input_items[0][:count].reshape(count * self.frames, self.code.k)
        output_items[0][:] = self.code.encode(info).reshape(count, -1)
        return count


class ldpc_decoder(gr.sync_block):
    """Soft bits of ``frames`` LDPC frames per burst (gr-digital's soft decisions, > 0 for a 1; a
    float vector of frames·n) → their information bits (a uint8 vector of frames·k, 0/1), decoded
    as gr-fec's ``ldpc_decoder(alist, sigma, max_iterations)`` decodes each frame, with the frames
    of every burst of a call decoded together. ``iterations`` and ``failed`` count the decoding
    iterations and the frames that ended without a codeword."""

    def __init__(self, alist: str = GR_FEC_ALIST, frames: int = 1, sigma: float = math.sqrt(2.0),
                 max_iterations: int = 50):
        self.code = read_alist(alist)
        self.frames = require_int_range("frames", frames, 1)
        self.max_iterations = check_decoder(sigma, max_iterations)
        self.sigma = float(sigma)
        gr.sync_block.__init__(self, name="semcom_ldpc_decoder",
                               in_sig=[vector(np.float32, self.frames * self.code.n)],
                               out_sig=[vector(np.uint8, self.frames * self.code.k)])
        self.iterations = 0
        self.failed = 0

    def work(self, input_items, output_items):
        count = len(output_items[0])
        soft = input_items[0][:count].reshape(count * self.frames, self.code.n)
        decoded, iterations = decode(self.code, soft, self.sigma, self.max_iterations)
        output_items[0][:] = decoded[:, self.code.info_positions].reshape(count, -1)
        self.iterations += int(iterations.sum())
        self.failed += int(np.count_nonzero(~self.code.syndrome_ok(decoded)))
        return count


def grfec_decoder_takes_sigma() -> bool:
    """True where gr-fec's ``ldpc_decoder.make`` takes (alist, sigma, max_iterations): GNU Radio up to
    3.10.8, whose sum-product decoder (``awgn_bp``) :func:`semcom.phy.ldpc.decode` reproduces bit for
    bit. From 3.10.9 on it takes (alist, max_iterations) and decodes with another algorithm."""
    from gnuradio import fec
    return "sigma" in (fec.ldpc_decoder.make.__doc__ or "")


def grfec_ldpc_decoder(alist: str, max_iterations: int, sigma: float = math.sqrt(2.0)):
    """gr-fec's soft LDPC decoder object for ``alist`` in this GNU Radio's signature (``sigma`` only
    where it takes one)."""
    from gnuradio import fec
    if grfec_decoder_takes_sigma():
        return fec.ldpc_decoder.make(alist, sigma, max_iterations)
    return fec.ldpc_decoder.make(alist, max_iterations)
