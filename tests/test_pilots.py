# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pilot preambles: orthogonality, the inserter's burst layout and tags, and every bad pilot input."""
import numpy as np
import pytest
from conftest import run_chain, tags_of

from gnuradio import semcom
from gnuradio.semcom.blocks import tags
from gnuradio.semcom.phy.pilots import PilotSettings, make_pilots, zadoff_chu


@pytest.mark.parametrize("source", ["zadoff_chu", "zadoff_chu_shifted"])
@pytest.mark.parametrize("users,length", [(1, 16), (2, 16), (3, 12), (4, 64), (2, 2)])
def test_pilots_are_orthogonal_across_users(source, users, length):
    pilots = make_pilots(source, users, 3, length)
    assert pilots.shape == (3, users, length)
    gram = pilots @ pilots.conj().transpose(0, 2, 1)
    energy = length // users if source == "zadoff_chu" else length
    np.testing.assert_allclose(gram, np.broadcast_to(energy * np.eye(users), gram.shape), atol=1e-4)


def test_zadoff_chu_has_zero_cyclic_autocorrelation():
    z = zadoff_chu(63, root=5)
    corr = [abs(np.vdot(z, np.roll(z, s))) for s in range(63)]
    assert corr[0] == pytest.approx(63, rel=1e-5) and max(corr[1:]) < 1e-3


def test_inserter_prepends_its_users_row_and_tags_the_layout(rng):
    payload = (rng.standard_normal((3, 20)) + 1j * rng.standard_normal((3, 20))).astype(np.complex64)
    inserter = semcom.pilot_inserter(payload_len=20, user=1, users=2, pilot_steps=4, pilot_len=8)
    (out,), tb = run_chain([payload], 20, [inserter], 52)
    bursts = np.asarray(out.data()).reshape(3, 52)
    preamble = make_pilots("zadoff_chu", 2, 4, 8)[:, 1, :].ravel()
    np.testing.assert_array_equal(bursts[:, :32], np.broadcast_to(preamble, (3, 32)))
    np.testing.assert_array_equal(bursts[:, 32:], payload)
    frames = tags_of(out, tags.FRAME)
    assert sorted(frames) == [0, 1, 2]
    assert frames[2] == {"user": 1, "burst": 2, "pilot_steps": 4, "pilot_len": 8, "payload_len": 20}


def test_inserter_keeps_the_mappers_frame_fields(rng):
    features = rng.standard_normal((4, 8)).astype(np.float32)
    from gnuradio import blocks
    chain = [semcom.euler_mapper(8, 2, user=0), blocks.stream_to_vector(8 * 4, 2),
             semcom.pilot_inserter(payload_len=8, user=0, users=1, pilot_steps=2, pilot_len=4)]
    (out,), tb = run_chain([features], 8, chain, 16)
    frames = tags_of(out, tags.FRAME)
    assert sorted(frames) == [0, 1] and frames[1]["burst"] == 1 and frames[1]["scale"] > 0
    assert frames[1]["pilot_len"] == 4


@pytest.mark.parametrize("kwargs,message", [
    (dict(pilot_len=1, users=2), r"pilot_len \(L_p\) must be >= the number of users K = 2 .*got 1"),
    (dict(users=5), r"users \(K\) must be in 1..4, got 5"),
    (dict(user=2, users=2), "user must be in 0..1, got 2"),
    (dict(pilot_steps=0), r"pilot_steps \(T_p\) must be >= 1, got 0"),
    (dict(pilot_source="walsh"), "pilot_source must be one of 'zadoff_chu', 'zadoff_chu_shifted', 'file'"),
    (dict(pilot_source="file"), "pilot_file must be given when pilot_source is 'file'"),
    (dict(pilot_source="file", pilot_file="/nonexistent/pilot.npy"),
     "pilot_file '/nonexistent/pilot.npy' does not exist"),
    (dict(payload_len=0), "payload_len must be >= 1, got 0"),
])
def test_inserter_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        semcom.pilot_inserter(**kwargs)


@pytest.mark.parametrize("array,message", [
    (np.ones((10, 3, 16), np.complex64), r"expected shape \(T_p, K=2, L_p\) or \(T_p, L\), got \(10, 3, 16\)"),
    (np.full((10, 8), np.nan, np.complex64), "contains NaN or Inf"),
    (np.array([["a"] * 8] * 10), "expected a complex or float array, got dtype <U1"),
    (np.ones((10, 2, 16), np.complex64), "step 0 does not separate the K = 2 users"),
    (np.ones((4, 8), np.complex64), "holds T_p=4, L_p=16; expected pilot_steps=10, pilot_len=16"),
])
def test_bad_pilot_files(tmp_path, array, message):
    path = tmp_path / "pilot.npy"
    np.save(path, array)
    with pytest.raises(ValueError, match=message):
        semcom.pilot_inserter(users=2, pilot_steps=10, pilot_len=16, pilot_source="file", pilot_file=str(path))


def test_pilot_settings_give_each_link_its_pilot_length(tmp_path, rng):
    """A (T_p, L_s) pilot file (the neural pilot a model directory holds) is L_s symbols a step on the SISO
    link and K·L_s on the K-user uplink; the settings build both links' inserters and estimators (an
    inserter given the uplink's length on the SISO link is refused)."""
    shared = np.exp(2j * np.pi * rng.random((10, 8))).astype(np.complex64)
    path = tmp_path / "pilot.npy"
    np.save(path, shared)
    pilots = PilotSettings(source="file", steps=10, length=16, file=str(path))
    assert (pilots.length_for(1), pilots.length_for(2), pilots.preamble_len(1), pilots.preamble_len(2)) == (8, 16,
                                                                                                            80, 160)
    assert pilots.block_arguments(1) == {"pilot_steps": 10, "pilot_len": 8, "pilot_source": "file", "zc_root": 1,
                                         "pilot_file": str(path)}
    np.testing.assert_array_equal(pilots.array(1)[:, 0, :], shared)
    np.testing.assert_array_equal(pilots.array(2)[:, 1, 8:], shared)
    for users in (1, 2):
        inserter = semcom.pilot_inserter(payload_len=4, user=0, users=users, **pilots.block_arguments(users))
        np.testing.assert_array_equal(inserter.preamble, pilots.array(users)[:, 0, :].ravel())
        semcom.ls_channel_estimator(antennas=2, users=users, payload_len=4, **pilots.block_arguments(users))
    with pytest.raises(ValueError, match="holds T_p=10, L_p=8; expected pilot_steps=10, pilot_len=16"):
        semcom.pilot_inserter(payload_len=4, user=0, users=1, pilot_steps=10, pilot_len=16, pilot_source="file",
                              pilot_file=str(path))
    assert PilotSettings().block_arguments(2)["pilot_len"] == 16 == PilotSettings().length_for(1)


@pytest.mark.parametrize("content", ["not numpy", ""], ids=["text", "empty"])
def test_unreadable_pilot_file(tmp_path, content):
    path = tmp_path / "pilot.npy"
    path.write_text(content)                       # NumPy 2 raises EOFError for an empty file
    with pytest.raises(ValueError, match="is not a readable .npy array"):
        semcom.ls_channel_estimator(pilot_source="file", pilot_file=str(path))


@pytest.mark.parametrize("kwargs,message", [
    (dict(antennas=1, users=2), r"antennas \(M\) must be >= users \(K\) = 2 for LS and ZF, got 1"),
    (dict(pilot_len=3, users=4, antennas=4), r"pilot_len \(L_p\) must be >= the number of users K = 4"),
    (dict(mode="ml"), "mode must be one of 'min_residual', 'joint', 'lmmse', got 'ml'"),
    (dict(snr_db=float("inf")), "snr_db must be a finite number of dB"),
])
def test_estimator_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        semcom.ls_channel_estimator(**kwargs)


def test_estimator_flags_non_finite_bursts():
    bursts = np.ones((2, 1, 2 * 4 + 8), np.complex64)
    bursts[1, 0, 3] = np.nan
    estimator = semcom.ls_channel_estimator(antennas=1, users=1, payload_len=8, pilot_steps=2, pilot_len=4)
    (out,), tb = run_chain([bursts[:, 0]], 16, [estimator], 8)
    assert np.isfinite(np.asarray(out.data())).all()
    errors = tags_of(out, tags.ERROR)
    assert list(errors) == [1] and "burst 1 holds NaN/Inf samples" in errors[1]
    assert np.asarray(tags_of(out, tags.H_EST)[1]).tolist() == [0j]


def test_mismatched_burst_length_fails_at_connect():
    from gnuradio import gr
    tb = gr.top_block()
    inserter = semcom.pilot_inserter(payload_len=20, user=0, users=1, pilot_steps=4, pilot_len=8)
    estimator = semcom.ls_channel_estimator(antennas=1, users=1, payload_len=20, pilot_steps=4, pilot_len=16)
    # 4·8 + 20 = 52 complex items (416 bytes) sent, 4·16 + 20 = 84 (672 bytes) expected
    with pytest.raises(ValueError, match="itemsize mismatch: semcom_pilot_inserter.* using 416, "
                                         "semcom_ls_channel_estimator.* using 672"):
        tb.connect(inserter, estimator)
