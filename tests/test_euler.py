# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Euler map (eq. 1) and its inverse (eq. 8-9), through GNU Radio, with per-burst power normalisation."""
import numpy as np
import pytest
from conftest import run_chain, tags_of

from gnuradio import semcom
from gnuradio.semcom.blocks import tags
from gnuradio.semcom.phy.euler import euler_map, euler_unmap


def test_numpy_map_matches_definition(rng):
    a = rng.standard_normal((5, 8)).astype(np.float32)
    z = euler_map(a)
    np.testing.assert_array_equal(z.real, a[:, :4])
    np.testing.assert_array_equal(z.imag, a[:, 4:])
    # polar form: λ = |z|, θ = atan2(s, r)
    np.testing.assert_allclose(np.abs(z), np.hypot(a[:, :4], a[:, 4:]), rtol=1e-6)
    np.testing.assert_allclose(euler_unmap(z), a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("d,segments", [(128, 10), (2, 1), (64, 3)])
def test_round_trip_and_unit_power_through_flowgraph(rng, d, segments):
    bursts = 7
    scales = rng.uniform(0.01, 50, (bursts * segments, 1))
    features = (rng.standard_normal((bursts * segments, d)) * scales).astype(np.float32)
    mapper = semcom.euler_mapper(d, segments, user=1)
    demapper = semcom.euler_demapper(d, user=1)
    (out,), tb = run_chain([features], d, [mapper, demapper], d, out_type=float)
    got = np.asarray(out.data(), np.float32).reshape(features.shape)
    np.testing.assert_allclose(got, features, rtol=2e-5, atol=2e-5 * np.abs(features).max())

    # the mapper's own output: unit average power per burst, scale in the frame tag
    (symbols_sink,), tb = run_chain([features], d, [semcom.euler_mapper(d, segments, user=1)], d // 2)
    symbols = np.asarray(symbols_sink.data()).reshape(bursts, segments * d // 2)
    np.testing.assert_allclose(np.mean(np.abs(symbols) ** 2, axis=1), 1.0, rtol=1e-5)
    frames = tags_of(symbols_sink, tags.FRAME)
    assert sorted(frames) == [b * segments for b in range(bursts)]
    z = euler_map(features).reshape(bursts, -1)
    for b in range(bursts):
        assert frames[b * segments]["user"] == 1 and frames[b * segments]["burst"] == b
        assert frames[b * segments]["scale"] == pytest.approx(np.sqrt(np.mean(np.abs(z[b]) ** 2)), rel=1e-5)


def test_zero_burst_and_nan_burst_stay_finite(rng):
    d, segments = 16, 2
    features = rng.standard_normal((3 * segments, d)).astype(np.float32)
    features[0:2] = 0.0              # burst 0: all zero → zeros, scale 1
    features[3, 5] = np.nan          # burst 1: NaN → zeros and an error tag
    (out,), tb = run_chain([features], d, [semcom.euler_mapper(d, segments)], d // 2)
    symbols = np.asarray(out.data()).reshape(3, segments, d // 2)
    assert np.isfinite(symbols).all()
    assert not symbols[0].any() and not symbols[1].any()
    np.testing.assert_allclose(np.mean(np.abs(symbols[2]) ** 2), 1.0, rtol=1e-5)
    errors = tags_of(out, tags.ERROR)
    assert list(errors) == [segments] and "burst 1 holds NaN/Inf" in errors[segments]


def test_demapper_nan_symbols_become_zeros_with_error_tag():
    d = 4
    data = np.array([[1 + 1j, 2], [np.nan, 1j]], np.complex64)
    (out,), tb = run_chain([data], d // 2, [semcom.euler_demapper(d)], d, out_type=float)
    got = np.asarray(out.data()).reshape(2, d)
    np.testing.assert_allclose(got[0], [1, 2, 1, 0], atol=1e-6)
    assert not got[1].any()
    assert "NaN/Inf" in tags_of(out, tags.ERROR)[1]


class recorded_demapper(semcom.euler_demapper):
    """The demapper, recording how many items each work() call produced."""
    sizes: list

    def work(self, input_items, output_items):
        self.sizes = getattr(self, "sizes", []) + [len(output_items[0])]
        return super().work(input_items, output_items)


def test_demapper_in_whole_bursts_gives_the_same_output_in_whole_bursts_only(rng):
    d, segments, bursts = 8, 10, 300               # more than one buffer's worth, so the buffer wraps
    symbols = (rng.standard_normal((bursts * segments, d // 2))
               + 1j * rng.standard_normal((bursts * segments, d // 2))).astype(np.complex64)
    (plain,), _ = run_chain([symbols], d // 2, [semcom.euler_demapper(d)], d, out_type=float)
    demapper = recorded_demapper(d, 0, segments)
    (whole,), _ = run_chain([symbols], d // 2, [demapper], d, out_type=float)
    np.testing.assert_array_equal(np.asarray(whole.data()), np.asarray(plain.data()))
    assert len(demapper.sizes) > 1 and all(n % segments == 0 for n in demapper.sizes), demapper.sizes
    with pytest.raises(ValueError, match="segments_per_burst must be >= 1"):
        semcom.euler_demapper(d, 0, 0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(d=7), "d must be even"),
    (dict(d=0), "d must be >= 2"),
    (dict(segments_per_burst=0), "segments_per_burst must be >= 1"),
    (dict(user=5), "user must be in 0..3"),
])
def test_mapper_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        semcom.euler_mapper(**kwargs)


def test_numpy_map_rejects_odd_length():
    with pytest.raises(ValueError, match="feature length d must be even.*d = 5"):
        euler_map(np.zeros((2, 5)))
