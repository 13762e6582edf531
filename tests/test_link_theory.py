# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""QPSK through the whole GNU Radio link (Euler map, pilots, channel, LS, ZF, inverse Euler) vs closed forms.

Independent truth (closed forms): P_b = Q(√(2Eb/N0)) on AWGN; ½(1 − √(γ/(1+γ))) on flat
Rayleigh, which is also the per-stream BER of 2×2 ZF with perfect CSI; with LS-estimated CSI the
post-ZF SNR stays exponential with mean 1/(σ²(1+ε²) + Kε²), ε² the LS error variance.
"""
import pytest

from gnuradio.semcom.flowgraphs.link import LinkConfig, run_link
from gnuradio.semcom.phy import theory
from gnuradio.semcom.phy.channels import noise_variance

SHORT_BURSTS = dict(segments_per_burst=2, d=32)   # 32 QPSK symbols per burst: many independent fades


def check(result, expected):
    assert result.bit_errors >= 400, f"only {result.bit_errors} errors: not enough for ±10 %"
    assert result.ber == pytest.approx(expected, rel=0.10), f"BER {result.ber:.4e} vs theory {expected:.4e}"


@pytest.mark.parametrize("snr_db", [0.0, 3.0, 6.0])
def test_awgn_siso(snr_db):
    config = LinkConfig(channel="awgn", snr_db=snr_db, antennas=1, users=1, bursts=1500, csi="perfect",
                        seed=11, **SHORT_BURSTS)
    check(run_link(config), theory.qpsk_ber_awgn(snr_db))


# one SNR of each in the fast loop (pytest -m "not slow"), all of them in the full suite
ONE_FAST = [0.0, pytest.param(5.0, marks=pytest.mark.slow), pytest.param(10.0, marks=pytest.mark.slow)]


@pytest.mark.parametrize("snr_db", ONE_FAST)
def test_rayleigh_siso_perfect_csi(snr_db):
    config = LinkConfig(channel="rayleigh", snr_db=snr_db, antennas=1, users=1, bursts=8000, csi="perfect",
                        seed=12, **SHORT_BURSTS)
    check(run_link(config), theory.qpsk_ber_rayleigh(snr_db))


@pytest.mark.parametrize("snr_db", ONE_FAST)
def test_rayleigh_2x2_zf(snr_db):
    common = dict(channel="rayleigh", snr_db=snr_db, antennas=2, users=2, bursts=5000, seed=13, **SHORT_BURSTS)
    perfect = run_link(LinkConfig(csi="perfect", **common))
    check(perfect, theory.qpsk_ber_rayleigh(snr_db))   # the SISO Rayleigh curve

    estimated = run_link(LinkConfig(csi="estimated", **common))
    mse = noise_variance(snr_db) / (16 // 2)               # σ²/Σ|p|²: one step of the time-division ZC pilot
    assert estimated.estimation_mse == pytest.approx(mse, rel=0.05)
    check(estimated, theory.qpsk_ber_rayleigh_estimated(snr_db, mse, users=2))
    assert estimated.ber > perfect.ber
