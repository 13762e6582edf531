# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""PCM of the digital baseline: round trip, quantisation noise Δ²/12, clipping, and the GNU Radio blocks."""
import numpy as np
import pytest
from gnuradio import blocks, gr

from gnuradio.semcom.blocks.pcm_codec import burst_resize, pcm_decoder, pcm_encoder
from gnuradio.semcom.phy.pcm import dequantize, quantize


@pytest.mark.parametrize("bits", [1, 3, 8])
def test_uniform_quantiser_noise_is_delta_squared_over_12(rng, bits):
    clip = 2.0
    values = rng.uniform(-clip, clip, (2000, 50))
    restored = dequantize(quantize(values, bits, clip), bits, clip)
    delta = 2 * clip / 2 ** bits
    assert np.max(np.abs(restored - values)) <= delta / 2 + 1e-6
    assert np.mean((restored - values) ** 2) == pytest.approx(delta ** 2 / 12, rel=0.02)


def test_bits_are_most_significant_first_and_values_are_clipped():
    assert quantize(np.array([-9.0, -1.0, 0.1, 0.9, 9.0]), 2, 1.0).tolist() == [0, 0, 0, 0, 1, 0, 1, 1, 1, 1]
    assert dequantize(np.array([1, 1, 0, 0]), 2, 1.0).tolist() == [0.75, -0.75]
    with pytest.raises(ValueError, match="pcm_clip must be a finite number > 0, got 0"):
        quantize(np.zeros(3), 2, 0.0)
    with pytest.raises(ValueError, match="pcm_bits must be in 1..16, got 0"):
        quantize(np.zeros(3), 0, 1.0)


def test_blocks_round_trip_whole_bursts(rng):
    d, segments, bits, frame = 6, 10, 3, 200
    values = rng.uniform(-1, 1, (3 * segments, d)).astype(np.float32)
    tb = gr.top_block()
    source = blocks.vector_source_f(values.ravel().tolist(), False, d)
    sink = blocks.vector_sink_f(d)
    codec = [pcm_encoder(d, segments, bits, 1.0, frame), pcm_decoder(d, segments, bits, 1.0, frame)]
    tb.connect(source, *codec, sink)     # Python blocks must outlive the flowgraph: keep them referenced
    tb.run()
    got = np.array(sink.data(), np.float32).reshape(-1, d)
    np.testing.assert_allclose(got, dequantize(quantize(values, bits, 1.0), bits, 1.0))
    with pytest.raises(ValueError, match="frame_bits must be >= d·segments·pcm_bits = 180, got 100"):
        pcm_encoder(d, segments, bits, 1.0, 100)


def test_burst_resize_pads_and_strips():
    tb = gr.top_block()
    source = blocks.vector_source_c([1 + 1j, 2, 3], False, 3)
    pad, strip = burst_resize(3, 5), burst_resize(5, 2)
    padded, stripped = blocks.vector_sink_c(5), blocks.vector_sink_c(2)
    tb.connect(source, pad, padded)
    tb.connect(pad, strip, stripped)
    tb.run()
    assert list(padded.data()) == [1 + 1j, 2, 3, 0, 0] and list(stripped.data()) == [1 + 1j, 2]
