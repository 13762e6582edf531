# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fused blocks of the system flowgraph give what the separate blocks give: the same samples, floats and tags.

burst_mapper = euler_mapper → stream_to_vector → pilot_inserter; mimo_channel's block fading with the noise
inside = block_fading → one awgn per antenna (same seeds); burst_detector = ls_channel_estimator →
zf_detector → vector_to_stream → euler_demapper per user. Both chains are the link builder's
(flowgraphs/air.py, ``fused`` on and off), as the system and `semcom link` build them.
"""
import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr

from gnuradio.semcom.blocks.awgn import awgn
from gnuradio.semcom.blocks.block_fading import block_fading
from gnuradio.semcom.blocks.burst_detector import burst_detector
from gnuradio.semcom.blocks.ls_channel_estimator import ls_channel_estimator
from gnuradio.semcom.blocks.mimo_channel import seeds
from gnuradio.semcom.flowgraphs.air import LinkBuilder
from gnuradio.semcom.flowgraphs.payloads import SemanticPayload
from gnuradio.semcom.phy.pilots import PilotSettings

D, SEGMENTS, USERS, ANTENNAS, STEPS, PILOT_LEN, BURSTS, SNR_DB = 16, 3, 2, 2, 4, 8, 24, 10.0
PAYLOAD = SEGMENTS * D // 2
BURST = STEPS * PILOT_LEN + PAYLOAD
PILOTS = PilotSettings(steps=STEPS, length=PILOT_LEN)


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
    """Both users' features → bursts → 2×2 Rayleigh → detected floats, the chains made by the link builder
    with the fused blocks or the separate ones; returns (burst sinks, float sinks, estimator, h_est messages)."""
    tb = gr.top_block()
    air = LinkBuilder(tb, SemanticPayload(D, SEGMENTS), PILOTS, snr_db=SNR_DB, fused=fused)
    bursts = [air.transmit(air.add(features(np.random.default_rng(rng_seed + k), k)), k, USERS)
              for k in range(USERS)]
    burst_sinks = [air.add(blocks.vector_sink_c(BURST)) for _ in range(USERS)]
    for port, sink in zip(bursts, burst_sinks):
        tb.connect(port, sink)
    if fused:
        received = air.channel(bursts, ANTENNAS, 7)
    else:   # the channel as it was built before the noise moved into block_fading
        channel_seeds = seeds(7, ANTENNAS + 1)
        fading = air.add(block_fading("rayleigh", ANTENNAS, USERS, BURST, 4.0, channel_seeds[ANTENNAS]))
        noise = [air.add(awgn(BURST, SNR_DB, s)) for s in channel_seeds[:ANTENNAS]]
        for k, port in enumerate(bursts):
            tb.connect(port, (fading, k))
        for m in range(ANTENNAS):
            tb.connect((fading, m), noise[m])
        received = [(n, 0) for n in noise]
    float_sinks = [air.add(blocks.vector_sink_f(D)) for _ in range(USERS)]
    for port, sink in zip(air.detect(received, USERS, csi, USERS), float_sinks):
        tb.connect(port, sink)
    (estimator,) = air.estimators
    assert isinstance(estimator, burst_detector if fused else ls_channel_estimator)
    debug = blocks.message_debug()
    tb.msg_connect(estimator, "h_est", debug, "store")
    tb.run()
    tb.keep = air
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
    assert old_estimator.estimation.pilot_fit_summary() == new_estimator.estimation.pilot_fit_summary()
    assert old_messages == new_messages
    assert any(key == "semcom_error" for _, key, _ in tag_list(new_floats[0]))    # the NaN burst is flagged
