# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mimo_channel hier block: SNR definition, Rician K-factor, fading models and seeds."""
import numpy as np
import pytest
from gnuradio import blocks, gr

from gnuradio import semcom

N = 64  # symbols per burst


def through_channel(x: np.ndarray, **kwargs) -> np.ndarray:
    """Send bursts x (users, B, N) through mimo_channel; return (antennas, B, N)."""
    users, bursts, n = x.shape
    channel = semcom.mimo_channel(users=users, burst_len=n, **kwargs)
    tb = gr.top_block()
    sources = [blocks.vector_source_c(x[k].ravel(), False, n) for k in range(users)]
    sinks = [blocks.vector_sink_c(n) for _ in range(channel.antennas)]
    for k, s in enumerate(sources):
        tb.connect(s, (channel, k))
    for m, s in enumerate(sinks):
        tb.connect((channel, m), s)
    tb.run()
    return np.stack([np.asarray(s.data()).reshape(bursts, n) for s in sinks])


def rician_k_from_moments(h: np.ndarray) -> float:
    """K from the 2nd and 4th moments of |h| (moment method, independent of the generator). The LOS power
    estimate 2·p2² − p4 is 0 in expectation for Rayleigh and negative for half the draws: clipped at 0."""
    p2, p4 = np.mean(np.abs(h) ** 2), np.mean(np.abs(h) ** 4)
    los = np.sqrt(max(2 * p2 ** 2 - p4, 0.0))
    return los / (p2 - los)


def per_burst_estimates(y: np.ndarray):
    """Known x = 1: ĥ = mean(y) per burst, σ̂² from what is left."""
    h = y.mean(axis=-1)
    noise = np.sum(np.abs(y - h[..., None]) ** 2) / (y.size - h.size)
    return h, noise


@pytest.mark.parametrize("channel,snr_db", [("awgn", 10.0), ("rayleigh", 10.0), ("rician", 10.0), ("rician", 0.0)])
def test_snr_definition_siso(channel, snr_db):
    y = through_channel(np.ones((1, 20000, N), np.complex64), channel=channel, antennas=1, snr_db=snr_db, seed=3)
    h, noise = per_burst_estimates(y)
    signal = np.mean(np.abs(h) ** 2) - noise / N
    measured = 10 * np.log10(signal / noise)
    assert measured == pytest.approx(snr_db, abs=0.2)


@pytest.mark.parametrize("k_factor", [1.0, 4.0, 10.0])
def test_rician_k_factor(k_factor):
    y = through_channel(np.ones((1, 20000, N), np.complex64), channel="rician", antennas=1, snr_db=25.0,
                        rician_k=k_factor, seed=4)
    h, _ = per_burst_estimates(y)
    assert rician_k_from_moments(h[0]) == pytest.approx(k_factor, rel=0.10)


def test_mimo_2x2_gains_and_noise_per_antenna():
    x = np.zeros((2, 10000, N), np.complex64)
    x[0] = 1.0                                     # only user 0 sends: y_m = h_m0 + n_m
    y = through_channel(x, channel="rayleigh", antennas=2, snr_db=10.0, seed=5)
    for m in range(2):
        h, noise = per_burst_estimates(y[m])
        assert 10 * np.log10(noise) == pytest.approx(-10.0, abs=0.2)
        assert np.mean(np.abs(h) ** 2) == pytest.approx(1.0, rel=0.05)
        # Rayleigh: |h|² exponential, so E|h|⁴ = 2 (E|h|²)² (std of the estimate about 2 % here)
        assert np.mean(np.abs(h) ** 4) / np.mean(np.abs(h) ** 2) ** 2 == pytest.approx(2.0, rel=0.10)
        assert rician_k_from_moments(h) < 0.3      # no line of sight
    h0, _ = per_burst_estimates(y[0])
    h1, _ = per_burst_estimates(y[1])
    assert abs(np.mean(h0 * h1.conj())) < 0.05     # independent antennas


def test_continuous_fading_uses_gr_channels_statistics():
    y = through_channel(np.ones((1, 20000, N), np.complex64), channel="rician", antennas=1, snr_db=30.0,
                        fading="continuous", doppler=0.05, rician_k=4.0, seed=6)
    noise_var = 10 ** (-30 / 10)
    h = y.ravel()
    assert np.mean(np.abs(h) ** 2) - noise_var == pytest.approx(1.0, rel=0.05)
    assert rician_k_from_moments(h) == pytest.approx(4.0, rel=0.10)
    assert np.std(np.abs(y[0, :, 0] - y[0, :, -1])) > 0.05   # the channel varies within a burst


def test_seed_repeats_and_differs():
    x = np.ones((2, 50, 8), np.complex64)
    a = through_channel(x, channel="rician", antennas=2, snr_db=5.0, seed=7)
    b = through_channel(x, channel="rician", antennas=2, snr_db=5.0, seed=7)
    c = through_channel(x, channel="rician", antennas=2, snr_db=5.0, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_true_channel_is_tagged_per_burst():
    x = np.ones((2, 5, 8), np.complex64)
    channel = semcom.mimo_channel("rayleigh", 2, 2, 8, 100.0, seed=9)   # 100 dB: noise-free in practice
    tb = gr.top_block()
    sources = [blocks.vector_source_c(x[k].ravel(), False, 8) for k in range(2)]
    sinks = [blocks.vector_sink_c(8) for _ in range(2)]
    for k in range(2):
        tb.connect(sources[k], (channel, k))
        tb.connect((channel, k), sinks[k])
    tb.run()
    import pmt
    tags = [t for t in sinks[0].tags() if pmt.symbol_to_string(t.key) == "semcom_h_true"]
    assert [t.offset for t in tags] == list(range(5))
    h = np.asarray(pmt.to_python(tags[2].value)).reshape(2, 2)
    y = np.stack([np.asarray(s.data()).reshape(5, 8) for s in sinks], axis=1)   # (B, M, N)
    np.testing.assert_allclose(y[2, :, 0], h @ np.ones(2), atol=1e-4)


@pytest.mark.parametrize("kwargs,message", [
    (dict(channel="rayleigh_fast"), "channel must be one of 'awgn', 'rayleigh', 'rician', got 'rayleigh_fast'"),
    (dict(snr_db=float("nan")), "snr_db must be a finite number of dB"),
    (dict(rician_k=-1.0), "rician_k must be a finite linear K-factor >= 0"),
    (dict(fading="jakes"), "fading must be one of 'block', 'continuous'"),
    (dict(antennas=5), r"antennas \(M\) must be in 1..4, got 5"),
    (dict(fading="continuous", doppler=0.7), r"doppler \(f_D·T_s\) must be in \(0, 0.5\)"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        semcom.mimo_channel(**kwargs)


@pytest.mark.parametrize("kind", ["rayleigh", "rician"])
def test_draws_do_not_depend_on_how_work_calls_split_the_stream(kind):
    from gnuradio.semcom.phy.channels import complex_noise, draw_channels
    whole = draw_channels(kind, 2, 2, 10, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    parts = np.concatenate([draw_channels(kind, 2, 2, n, rng) for n in (3, 1, 6)])
    np.testing.assert_array_equal(whole, parts)
    whole = complex_noise((10, 4), 0.5, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    np.testing.assert_array_equal(whole, np.concatenate([complex_noise((n, 4), 0.5, rng) for n in (7, 3)]))
