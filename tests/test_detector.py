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
from gnuradio.semcom.phy.detect import detect


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
