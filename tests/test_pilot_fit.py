# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estimator notices pilots that are not where it expects them (pilot-fit check, semcom_pilot_misfit):
no false alarm on aligned bursts from -5 to 40 dB, a shifted stream or wrong pilot settings flagged."""
import numpy as np
import pytest
from gnuradio import blocks, channels, gr

from conftest import complex_gaussian, tag_probe, tags_of
from gnuradio.semcom import ls_channel_estimator
from gnuradio.semcom.phy.channels import noise_variance
from gnuradio.semcom.phy.pilots import make_pilots

M = K = 2
STEPS, LENGTH, PAYLOAD = 10, 16, 16
BURST = STEPS * LENGTH + PAYLOAD


def bursts(rng, count: int, snr_db: float) -> np.ndarray:
    """(count, M, BURST) received bursts: time-division Zadoff-Chu preamble + QPSK payload through an i.i.d.
    Rayleigh 2x2 channel per burst, CN(0, σ²) noise."""
    pilots = make_pilots("zadoff_chu", K, STEPS, LENGTH)                 # (T_p, K, L_p)
    preamble = pilots.transpose(1, 0, 2).reshape(K, STEPS * LENGTH)
    payload = (rng.choice([-1, 1], (count, K, PAYLOAD)) + 1j * rng.choice([-1, 1], (count, K, PAYLOAD))) / np.sqrt(2)
    x = np.concatenate([np.broadcast_to(preamble, (count, K, STEPS * LENGTH)), payload], axis=2)
    h = complex_gaussian(rng, (count, M, K))
    return (h @ x + complex_gaussian(rng, (count, M, BURST), noise_variance(snr_db))).astype(np.complex64)


def estimate(received: np.ndarray, snr_db: float, shift_with_channel_model: bool = False, **settings):
    """Run the bursts through ls_channel_estimator (optionally each antenna through gr-channels'
    channel_model first, which shifts the stream); returns (estimator, tags of antenna 0's output)."""
    tb = gr.top_block()
    estimator = ls_channel_estimator(M, K, PAYLOAD, STEPS, LENGTH, snr_db=snr_db, **settings)
    keep = [estimator]
    for m in range(M):
        if shift_with_channel_model:
            source = blocks.vector_source_c(received[:, m].ravel().tolist(), False, 1)
            model = channels.channel_model(noise_voltage=0.0, frequency_offset=0.0, epsilon=1.0, taps=[1.0 + 0j],
                                           noise_seed=0, block_tags=False)
            to_bursts = blocks.stream_to_vector(gr.sizeof_gr_complex, BURST)
            tb.connect(source, model, to_bursts, (estimator, m))
            keep += [source, model, to_bursts]
        else:
            source = blocks.vector_source_c(received[:, m].ravel().tolist(), False, BURST)
            tb.connect(source, (estimator, m))
            keep.append(source)
        sink = blocks.null_sink(gr.sizeof_gr_complex * PAYLOAD)
        keep.append(sink)
        if m == 0:
            probe = tag_probe(gr.sizeof_gr_complex * PAYLOAD)
            keep.append(probe)
            tb.connect((estimator, m), probe)
        tb.connect((estimator, m), sink)
    tb.run()
    return estimator, tags_of(probe, "semcom_pilot_misfit")


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 10.0, 20.0, 30.0, 40.0])
def test_no_false_alarm_on_aligned_bursts(rng, snr_db):
    """10^4 aligned bursts per SNR: the residual ratio averages 1 (its closed form, σ²·M·(L_p − K) per step)
    and no burst crosses the threshold of 3 (the ratio's standard deviation is 1/√280 = 0.06 here)."""
    count = 10_000
    estimator, found = estimate(bursts(rng, count, snr_db), snr_db)
    assert estimator.estimation.bursts == count
    assert estimator.estimation.misfits == 0 and not found, estimator.estimation.pilot_fit_summary()
    assert estimator.estimation.worst_fit < 1.5, estimator.estimation.pilot_fit_summary()


def test_ratio_averages_one(rng):
    from gnuradio.semcom.phy.ls import ls_per_timestep, pilot_fit
    received = bursts(rng, 2000, 10.0)
    pilot_part = received[:, :, :STEPS * LENGTH].reshape(-1, M, STEPS, LENGTH).transpose(0, 2, 1, 3)
    result = ls_per_timestep(make_pilots("zadoff_chu", K, STEPS, LENGTH), pilot_part.reshape(-1, M, LENGTH), STEPS)
    ratio = pilot_fit(result.residual.reshape(-1, STEPS), noise_variance(10.0), M, K, LENGTH)
    assert ratio.mean() == pytest.approx(1.0, abs=0.01)                  # 2000 bursts: std of the mean 0.0013
    assert ratio.std() == pytest.approx(1 / np.sqrt(STEPS * M * (LENGTH - K)), rel=0.1)


def test_stream_shifted_by_channel_model_is_flagged(rng):
    """gr-channels' channel_model between the pilots and the estimator shifts the stream by 3 samples:
    at 10 dB at least 99 % of the bursts are flagged and tagged."""
    count = 1000
    estimator, found = estimate(bursts(rng, count, 10.0), 10.0, shift_with_channel_model=True)
    assert estimator.estimation.bursts >= count - 1
    assert estimator.estimation.misfits >= 0.99 * estimator.estimation.bursts, estimator.estimation.pilot_fit_summary()
    assert len(found) == estimator.estimation.misfits
    assert all(v["ratio"] > 3 for v in found.values())


def test_wrong_pilot_settings_are_flagged(rng):
    estimator, _ = estimate(bursts(rng, 500, 20.0), 20.0, pilot_source="zadoff_chu_shifted")
    assert estimator.estimation.misfits >= 0.99 * estimator.estimation.bursts, estimator.estimation.pilot_fit_summary()


def test_snr_set_far_above_the_real_one_is_flagged_and_the_check_can_be_off(rng):
    received = bursts(rng, 300, 0.0)
    assert estimate(received, 20.0)[0].estimation.misfits == 300           # told 20 dB, the noise is 0 dB's
    assert estimate(received, 20.0, fit_threshold=0)[0].estimation.misfits == 0
    with pytest.raises(ValueError, match="fit_threshold must be 0"):
        ls_channel_estimator(M, K, PAYLOAD, STEPS, LENGTH, fit_threshold=0.5)
