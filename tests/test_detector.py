# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZF (eq. 7) and MMSE detection: against a pseudo-inverse reference, and never NaN/Inf."""
import numpy as np
import pmt
import pytest
from conftest import complex_gaussian, tags_of
from gnuradio import blocks, gr

from gnuradio import semcom
from gnuradio.semcom.blocks import tags
from gnuradio.semcom.blocks.burst_detector import burst_detector
from gnuradio.semcom.phy.channels import noise_variance
from gnuradio.semcom.phy.detect import detect
from gnuradio.semcom.phy.pilots import make_pilots


def test_zf_equals_pseudo_inverse(rng):
    h = complex_gaussian(rng, (50, 4, 2))
    y = complex_gaussian(rng, (50, 4, 30))
    x_hat, regularised = detect(h, y, "zf")
    np.testing.assert_allclose(x_hat, np.linalg.pinv(h) @ y, rtol=1e-4, atol=1e-5)
    assert not regularised.any()


def test_mmse_equals_its_formula(rng):
    h = complex_gaussian(rng, (20, 2, 2))
    y = complex_gaussian(rng, (20, 2, 10))
    hh = h.conj().transpose(0, 2, 1)
    expected = np.linalg.solve(hh @ h + 0.3 * np.eye(2), hh @ y)
    np.testing.assert_allclose(detect(h, y, "mmse", noise_var=0.3)[0], expected, rtol=1e-4, atol=1e-5)


def test_singular_and_non_finite_channels_stay_finite(rng):
    y = complex_gaussian(rng, (4, 2, 8))
    h = np.zeros((4, 2, 2), np.complex64)
    h[0] = [[1, 2], [2, 4]]              # rank 1
    h[1] = 0                              # no channel at all
    h[2] = [[np.nan, 1], [0, 1]]          # not finite
    h[3] = [[1, 0], [0, 1e-5]]            # condition number of ĤᴴĤ 1e10
    x_hat, regularised = detect(h, y, "zf", max_condition=1e6)
    assert np.isfinite(x_hat).all()
    assert regularised.tolist() == [True, True, True, True]
    assert not x_hat[1].any() and not x_hat[2].any()


def run_detector(h_tags, received, **kwargs):
    """Payload bursts (B, M, N) with channel tags {burst: H} through zf_detector; returns outputs, sinks."""
    bursts, antennas, n = received.shape
    detector = semcom.zf_detector(antennas=antennas, payload_len=n, **kwargs)
    tb = gr.top_block()
    sources = []
    for m in range(antennas):
        stream_tags = [gr.tag_utils.python_to_tag((b, pmt.intern(tags.H_EST),
                                                  pmt.init_c32vector(h.size, h.ravel().astype(np.complex64))))
                       for b, h in h_tags.items()]
        sources.append(blocks.vector_source_c(received[:, m].ravel(), False, n, stream_tags))
        tb.connect(sources[-1], (detector, m))
    sinks = [blocks.vector_sink_c(n) for _ in range(detector.users)]
    for k, s in enumerate(sinks):
        tb.connect((detector, k), s)
    tb.run()
    return np.stack([np.asarray(s.data()).reshape(bursts, n) for s in sinks], axis=1), sinks


def test_block_detects_with_tagged_channel_and_flags_problems(rng):
    x = complex_gaussian(rng, (4, 2, 16))
    h_good = complex_gaussian(rng, (2, 2))
    h_bad = np.array([[1, 2], [2, 4]], np.complex64)
    received = np.stack([h_good @ x[0], h_good @ x[1], h_bad @ x[2], h_good @ x[3]])
    received[3, 1, 5] = np.inf
    out, sinks = run_detector({0: h_good, 2: h_bad, 3: h_good}, received.astype(np.complex64))
    np.testing.assert_allclose(out[:2], x[:2], atol=1e-4)   # burst 1 keeps the channel of burst 0
    assert np.isfinite(out).all()
    assert list(tags_of(sinks[0], tags.ZF_REGULARISED)) == [2]
    errors = tags_of(sinks[1], tags.ERROR)
    assert list(errors) == [3] and "NaN/Inf" in errors[3]
    assert not out[3].any()


def test_block_without_channel_tag_reports_it(rng):
    out, sinks = run_detector({}, complex_gaussian(rng, (3, 2, 8)))
    assert not out.any()
    errors = tags_of(sinks[0], tags.ERROR)
    assert sorted(errors) == [0, 1, 2]
    assert "no 'semcom_h_est' tag before this burst" in errors[0]


def test_block_rejects_wrongly_sized_channel_tag(rng):
    out, sinks = run_detector({0: np.ones(3, np.complex64)}, complex_gaussian(rng, (1, 2, 8)))
    assert "holds 3 values; expected M×K = 2×2" in tags_of(sinks[0], tags.ERROR)[0]


@pytest.mark.parametrize("kwargs,message", [
    (dict(antennas=1, users=2), r"antennas \(M\) must be >= users \(K\) = 2"),
    (dict(method="ml"), "method must be one of 'zf', 'mmse', got 'ml'"),
    (dict(csi="none"), "csi must be one of 'estimated', 'perfect', got 'none'"),
    (dict(max_condition=1.0), "max_condition must be > 1"),
    (dict(payload_len=0), "payload_len must be >= 1"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        semcom.zf_detector(**kwargs)


def test_mmse_needs_noise_variance():
    with pytest.raises(ValueError, match="noise_var must be > 0 for the mmse detector"):
        detect(np.eye(2)[None], np.ones((1, 2, 3)), "mmse")


def receive(received: np.ndarray, fused: bool, snr_db: float | None, d: int, segments: int, steps: int,
            pilot_len: int):
    """Bursts (B, M, burst_len) through burst_detector, or ls_channel_estimator → zf_detector →
    euler_demapper per user, made at 20 dB with lmmse and mmse, then ``set_snr_db(snr_db)`` (None: left);
    returns (floats (K, B·segments·d), the block that estimated)."""
    _, antennas, burst_len = received.shape
    users, payload = antennas, segments * d // 2
    tb = gr.top_block()
    sources = [blocks.vector_source_c(received[:, m].ravel(), False, burst_len) for m in range(antennas)]
    sinks = [blocks.vector_sink_f(d) for _ in range(users)]
    if fused:
        estimator = burst_detector(antennas, users, d, segments, steps, pilot_len, mode="lmmse", snr_db=20.0,
                                   method="mmse")
        snr_blocks, outputs = [estimator], [(estimator, k) for k in range(users)]
    else:
        estimator = semcom.ls_channel_estimator(antennas, users, payload, steps, pilot_len, mode="lmmse", snr_db=20.0)
        detector = semcom.zf_detector(antennas, users, payload, "mmse", snr_db=20.0)
        for m in range(antennas):
            tb.connect((estimator, m), (detector, m))
        snr_blocks, outputs = [estimator, detector], []
        for k in range(users):
            chain = [blocks.vector_to_stream(gr.sizeof_gr_complex * d // 2, segments),
                     semcom.euler_demapper(d, k, segments)]
            tb.connect((detector, k), *chain)
            outputs.append((chain[-1], 0))
    for m, source in enumerate(sources):
        tb.connect(source, (estimator, m))
    for port, sink in zip(outputs, sinks):
        tb.connect(port, sink)
    if snr_db is not None:
        for block in snr_blocks:
            block.set_snr_db(snr_db)
    tb.run()
    return np.stack([np.asarray(s.data()) for s in sinks]), estimator


def test_burst_detector_set_snr_db_reaches_its_estimation_and_detection(rng):
    """One noise level in burst_detector: set_snr_db(0) on one made at 20 dB changes the σ² of its lmmse
    estimate, its pilot-fit check and its mmse detection, as on ls_channel_estimator and zf_detector."""
    d, segments, steps, pilot_len, bursts, antennas = 16, 2, 2, 8, 40, 2
    pilots = make_pilots("zadoff_chu", antennas, steps, pilot_len)                         # (T_p, K, L_p)
    x = np.concatenate([np.broadcast_to(np.concatenate(list(pilots), axis=1), (bursts, antennas, steps * pilot_len)),
                        complex_gaussian(rng, (bursts, antennas, segments * d // 2))], axis=2)
    received = (complex_gaussian(rng, (bursts, antennas, antennas)) @ x
                + complex_gaussian(rng, x.shape, noise_variance(0.0))).astype(np.complex64)   # real SNR 0 dB
    shape = (d, segments, steps, pilot_len)
    separate, estimator = receive(received, False, 0.0, *shape)
    fused, detector = receive(received, True, 0.0, *shape)
    left, unchanged = receive(received, True, None, *shape)
    assert detector.estimation.noise is detector.detection.noise is detector.noise
    assert detector.noise.variance == noise_variance(0.0) and unchanged.noise.variance == noise_variance(20.0)
    assert np.array_equal(fused, separate)                            # lmmse estimate and mmse detection at 0 dB
    assert detector.estimation.pilot_fit_summary() == estimator.estimation.pilot_fit_summary()
    assert detector.estimation.misfits == 0 and unchanged.estimation.misfits == bursts  # told 20 dB: no fit
    assert not np.allclose(left, fused)
