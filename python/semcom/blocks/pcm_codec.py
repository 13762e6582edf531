# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio blocks: PCM encoder and decoder of per-segment feature vectors, one bit frame per burst."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from ..phy.pcm import check_pcm, dequantize, quantize
from .item_types import vector
from ..errors import InputError


class _PcmBlock:
    """The constructor of the encoder and the decoder: checked parameters (d values per segment,
    ``segments`` per burst, ``pcm_bits`` per value over ±``clip``, ``frame_bits`` per burst: payload +
    padding), then the block itself, made by the subclass's :meth:`_make_block` from its ports."""

    def __init__(self, d: int = 32, segments: int = 10, pcm_bits: int = 3, clip: float = 4.0,
                 frame_bits: int = 1010):
        self.d, self.segments = require_int_range("d", d, 1), require_int_range("segments", segments, 1)
        check_pcm(pcm_bits, clip)
        self.bits, self.clip, self.frame_bits = pcm_bits, float(clip), int(frame_bits)
        self.payload = self.d * self.segments * pcm_bits
        if self.frame_bits < self.payload:
            raise InputError(f"frame_bits must be >= d·segments·pcm_bits = {self.payload}, got {frame_bits}")
        self._make_block(features=[vector(np.float32, self.d)], frames=[vector(np.uint8, self.frame_bits)])

    def _make_block(self, features: list, frames: list) -> None:
        """Initialise the GNU Radio block, given the signatures of a segment's features and of a frame."""
        raise NotImplementedError


class pcm_encoder(_PcmBlock, gr.decim_block):
    """``segments`` float vectors of length d → one uint8 vector of ``frame_bits`` bits (0/1): each
    value quantised to ``pcm_bits`` bits over [−clip, clip], most significant bit first, zero padding
    at the end of the frame (for a channel code's block length)."""

    def _make_block(self, features: list, frames: list) -> None:
        gr.decim_block.__init__(self, name="semcom_pcm_encoder", in_sig=features, out_sig=frames,
                                decim=self.segments)

    def work(self, input_items, output_items):
        count = len(output_items[0])
        values = np.nan_to_num(input_items[0][:count * self.segments], nan=0.0, posinf=self.clip, neginf=-self.clip)
        out = output_items[0]
        out[:, :self.payload] = quantize(values.reshape(count, -1), self.bits, self.clip)
        out[:, self.payload:] = 0
        return count


class pcm_decoder(_PcmBlock, gr.interp_block):
    """Inverse of :class:`pcm_encoder`: one frame of ``frame_bits`` hard bits (any byte > 0 is a 1)
    → ``segments`` float vectors of length d."""

    def _make_block(self, features: list, frames: list) -> None:
        gr.interp_block.__init__(self, name="semcom_pcm_decoder", in_sig=frames, out_sig=features,
                                 interp=self.segments)

    def work(self, input_items, output_items):
        frames = len(output_items[0]) // self.segments
        hard = (input_items[0][:frames, :self.payload] > 0).astype(np.uint8)
        values = dequantize(hard, self.bits, self.clip).reshape(frames * self.segments, self.d)
        output_items[0][:frames * self.segments] = values
        return frames * self.segments


class burst_resize(gr.sync_block):
    """Complex vectors of ``in_len`` → ``out_len``: copies the first min(in, out) items and fills the
    rest with zeros (pads a modulated burst to the link's payload length, or strips the padding)."""

    def __init__(self, in_len: int = 625, out_len: int = 640):
        self.in_len, self.out_len = require_int_range("in_len", in_len, 1), require_int_range("out_len", out_len, 1)
        gr.sync_block.__init__(self, name="semcom_burst_resize", in_sig=[vector(np.complex64, self.in_len)],
                               out_sig=[vector(np.complex64, self.out_len)])

    def work(self, input_items, output_items):
        count = len(output_items[0])
        keep = min(self.in_len, self.out_len)
        output_items[0][:, :keep] = input_items[0][:count, :keep]
        output_items[0][:, keep:] = 0
        return count
