# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""LS channel estimation through GNU Radio: MSE against σ²/Σ|p|², modes, pilot sources, outputs."""
import numpy as np
import pmt
import pytest
from gnuradio import blocks

from gnuradio.semcom.flowgraphs.link import LinkConfig, link_top_block, run_link
from gnuradio.semcom.phy.channels import noise_variance
from gnuradio.semcom.phy.pilots import PilotSettings

SNR_DB = 0.0
COMMON = dict(channel="rayleigh", snr_db=SNR_DB, antennas=2, users=2, bursts=2000, segments_per_burst=1, d=16,
              seed=21)


def mse(**kwargs) -> float:
    return run_link(LinkConfig(**{**COMMON, **kwargs})).estimation_mse


def test_min_residual_and_joint_match_ls_theory():
    sigma2 = noise_variance(SNR_DB)
    per_step = mse(estimator="min_residual")
    joint = mse(estimator="joint")
    # time-division Zadoff-Chu: each user has L_p/K = 8 unit symbols per step, 10 steps
    assert per_step == pytest.approx(sigma2 / 8, rel=0.05)
    assert joint == pytest.approx(sigma2 / 80, rel=0.05)
    assert per_step / joint == pytest.approx(10, rel=0.10)   # joint gains the number of pilot steps


def test_lmmse_matches_its_closed_form_and_beats_ls():
    sigma2 = noise_variance(SNR_DB)
    short = dict(pilots=PilotSettings(steps=2, length=4))      # pilot energy 2 per step, 4 in all
    lmmse, joint = mse(estimator="lmmse", **short), mse(estimator="joint", **short)
    assert joint == pytest.approx(sigma2 / 4, rel=0.05)
    assert lmmse == pytest.approx(sigma2 / (4 + sigma2), rel=0.05)   # prior CN(0, 1) entries
    assert lmmse < joint


def test_shifted_zadoff_chu_uses_the_whole_step():
    shifted = PilotSettings(source="zadoff_chu_shifted")
    assert mse(pilots=shifted) == pytest.approx(noise_variance(SNR_DB) / 16, rel=0.05)


def test_pilots_from_a_file(tmp_path, rng):
    qpsk = (rng.choice([-1, 1], (10, 8)) + 1j * rng.choice([-1, 1], (10, 8))) / np.sqrt(2)
    path = tmp_path / "pilot.npy"
    np.save(path, qpsk.astype(np.complex64))       # (T_p, L): shared, time-division across users
    from_file = PilotSettings(source="file", length=16, file=str(path))
    assert mse(pilots=from_file) == pytest.approx(noise_variance(SNR_DB) / 8, rel=0.05)


def test_estimates_on_tags_and_message_port():
    config = LinkConfig(**{**COMMON, "bursts": 12, "snr_db": 30.0})
    tb = link_top_block(config)
    debug = blocks.message_debug()
    tb.msg_connect(tb.estimator, "h_est", debug, "store")
    tb.run()
    h_true = tb.channel_matrices("semcom_h_true")
    h_est = tb.channel_matrices("semcom_h_est")
    assert h_est.shape == (12, 2, 2)
    assert np.max(np.abs(h_est - h_true)) < 0.2               # 30 dB: close to the truth
    assert debug.num_messages() == 12
    first = pmt.to_python(debug.get_message(0))
    assert first["burst"] == 0 and 0 <= first["t_min"] < 10
    np.testing.assert_allclose(np.asarray(first["h"]).reshape(2, 2), h_est[0], rtol=1e-6)
    info = [t for t in tb.csi_probe.current_tags() if pmt.symbol_to_string(t.key) == "semcom_ls"]
    assert len(info) == 12 and len(pmt.to_python(info[0].value)["residual"]) == 10
