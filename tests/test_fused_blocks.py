# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fused blocks of the system flowgraph give what the separate blocks give: the same samples, floats and tags.

burst_mapper = euler_mapper → stream_to_vector → pilot_inserter; mimo_channel's block fading with the noise
inside = block_fading → one awgn per antenna (same seeds); burst_detector = ls_channel_estimator →
zf_detector → vector_to_stream → euler_demapper per user.
"""
import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr

from gnuradio.semcom.blocks.awgn import awgn
from gnuradio.semcom.blocks.block_fading import block_fading
from gnuradio.semcom.blocks.burst_detector import burst_detector
from gnuradio.semcom.blocks.euler_demapper import euler_demapper
from gnuradio.semcom.blocks.euler_mapper import burst_mapper, euler_mapper
from gnuradio.semcom.blocks.ls_channel_estimator import ls_channel_estimator
from gnuradio.semcom.blocks.mimo_channel import mimo_channel, seeds
from gnuradio.semcom.blocks.pilot_inserter import pilot_inserter
from gnuradio.semcom.blocks.zf_detector import zf_detector

D, SEGMENTS, USERS, ANTENNAS, STEPS, PILOT_LEN, BURSTS, SNR_DB = 16, 3, 2, 2, 4, 8, 24, 10.0
PAYLOAD = SEGMENTS * D // 2
BURST = STEPS * PILOT_LEN + PAYLOAD
PILOTS = (STEPS, PILOT_LEN, "zadoff_chu", 1, "")


def features(rng, user: int):
    """(BURSTS·SEGMENTS, D) floats, a NaN burst for user 1, and a video tag on every burst's first segment."""
    x = rng.standard_normal((BURSTS * SEGMENTS, D)).astype(np.float32)
    if user == 1:
        x[5 * SEGMENTS + 1, 3] = np.nan
    video = [gr.tag_utils.python_to_tag((b * SEGMENTS, pmt.intern("semcom_video"),
                                         pmt.to_pmt({"position": b, "user": user}))) for b in range(BURSTS)]
    return blocks.vector_source_f(x.ravel().tolist(), False, D, video)


def canonical(value) -> str:
    """A tag value as text that does not depend on the order of a dict's keys."""
    if isinstance(value, dict):
        return str(sorted((k, canonical(v)) for k, v in value.items()))
    return str(value.tolist() if isinstance(value, np.ndarray) else value)


def tag_list(sink) -> list:
    return sorted((t.offset, pmt.symbol_to_string(t.key), canonical(pmt.to_python(t.value))) for t in sink.tags())


def run(fused: bool, rng_seed: int, csi: str = "estimated"):
    """Both users' features → bursts → 2×2 Rayleigh → detected floats; returns (burst sinks, float sinks, estimator)."""
    tb = gr.top_block()
    keep = []
    channel_seeds = seeds(7, ANTENNAS + 1)
    if fused:
        channel = mimo_channel("rayleigh", ANTENNAS, USERS, BURST, SNR_DB, seed=7)
    else:   # the channel as it was built before the noise moved into block_fading
        fading = block_fading("rayleigh", ANTENNAS, USERS, BURST, 4.0, channel_seeds[ANTENNAS])
        noise = [awgn(BURST, SNR_DB, s) for s in channel_seeds[:ANTENNAS]]
        keep += [fading] + noise
    burst_sinks = []
    for k in range(USERS):
        src = features(np.random.default_rng(rng_seed + k), k)
        if fused:
            chain = [src, burst_mapper(D, SEGMENTS, k, USERS, *PILOTS)]
        else:
            chain = [src, euler_mapper(D, SEGMENTS, k),
                     blocks.stream_to_vector(gr.sizeof_gr_complex * D // 2, SEGMENTS),
                     pilot_inserter(PAYLOAD, k, USERS, *PILOTS)]
        sink = blocks.vector_sink_c(BURST)
        tb.connect(*chain)
        tb.connect(chain[-1], sink)
        tb.connect(chain[-1], (channel, k) if fused else (fading, k))
        keep += chain
        burst_sinks.append(sink)
    float_sinks = [blocks.vector_sink_f(D) for _ in range(USERS)]
    if fused:
        detector = burst_detector(ANTENNAS, USERS, D, SEGMENTS, *PILOTS, "min_residual", SNR_DB, csi=csi)
        for m in range(ANTENNAS):
            tb.connect((channel, m), (detector, m))
        for k in range(USERS):
            tb.connect((detector, k), float_sinks[k])
        keep += [channel, detector]
        estimator = detector
    else:
        estimator = ls_channel_estimator(ANTENNAS, USERS, PAYLOAD, *PILOTS, "min_residual", SNR_DB)
        zf = zf_detector(ANTENNAS, USERS, PAYLOAD, "zf", csi, SNR_DB)
        for m in range(ANTENNAS):
            tb.connect((fading, m), noise[m], (estimator, m))
            tb.connect((estimator, m), (zf, m))
        for k in range(USERS):
            v2s = blocks.vector_to_stream(gr.sizeof_gr_complex * D // 2, SEGMENTS)
            demapper = euler_demapper(D, k, SEGMENTS)
            tb.connect((zf, k), v2s, demapper, float_sinks[k])
            keep += [v2s, demapper]
        keep += [estimator, zf]
    debug = blocks.message_debug()
    tb.msg_connect(estimator, "h_est", debug, "store")
    tb.run()
    tb.keep = keep
    messages = [canonical(pmt.to_python(debug.get_message(i))) for i in range(debug.num_messages())]
    return burst_sinks, float_sinks, estimator, messages


@pytest.mark.parametrize("csi", ["estimated", "perfect"])
def test_fused_blocks_give_the_separate_blocks_output(csi):
    old_bursts, old_floats, old_estimator, old_messages = run(False, 3, csi)
    new_bursts, new_floats, new_estimator, new_messages = run(True, 3, csi)
    for old, new in zip(old_bursts, new_bursts):
        assert len(new.data()) == BURSTS * BURST
        assert np.array_equal(np.array(old.data()), np.array(new.data()))        # the same symbols, bit for bit
        assert tag_list(old) == tag_list(new)              # frames (scale, layout), videos, errors
    for old, new in zip(old_floats, new_floats):
        assert len(new.data()) == BURSTS * SEGMENTS * D
        assert np.array_equal(np.array(old.data()), np.array(new.data()))
        assert tag_list(old) == tag_list(new)                                     # incl. h_est, ls, error tags
    assert old_estimator.pilot_fit_summary() == new_estimator.pilot_fit_summary()
    assert old_messages == new_messages
    assert any(key == "semcom_error" for _, key, _ in tag_list(new_floats[0]))    # the NaN burst is flagged
