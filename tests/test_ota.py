# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The over-the-air waveform: header round trip, exact recovery without impairments, and through
gr-channels channel_model with carrier offset, clock offset, multipath, noise and a random start
delay: detection rate, carrier-offset estimate, BER against the QPSK closed form, no false alarms."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pmt
import pytest
from gnuradio import blocks, channels, gr

from gnuradio.semcom.blocks.ota_demodulator import OTA, ota_demodulator
from gnuradio.semcom.blocks.ota_modulator import ota_modulator
from gnuradio.semcom.blocks.tags import VIDEO
from gnuradio.semcom.phy.ota import Demodulator, OtaSettings, header_bits, modulate, parse_header

pmt_video, pmt_ota = pmt.intern(VIDEO), pmt.intern(OTA)


def qpsk(rng, bursts, length):
    bits = rng.integers(0, 2, (bursts, length, 2))
    return ((1 - 2 * bits[..., 0]) + 1j * (1 - 2 * bits[..., 1])).astype(np.complex64) / np.sqrt(2)


def test_header_round_trip_and_crc():
    bits = header_bits(position=123456, count=4143, video=77, user=1, scale=0.8125)
    assert parse_header(bits) == {"position": 123456, "count": 4143, "video": 77, "user": 1, "scale": 0.8125}
    bits[40] ^= 1
    assert parse_header(bits) is None


@pytest.mark.parametrize("sps,rolloff", [(4, 0.35), (8, 0.2), (2, 0.5)])
def test_noiseless_frame_is_recovered(sps, rolloff):
    settings = OtaSettings(sps=sps, rolloff=rolloff)
    symbols = qpsk(np.random.default_rng(sps), 1, 200)[0]
    samples = np.concatenate([np.zeros(333, np.complex64), 0.5j * modulate(symbols, dict(
        position=5, count=9, video=3, user=1, scale=2.0), settings), np.zeros(2000, np.complex64)])
    detection, _ = Demodulator(200, settings).find(samples)
    assert detection.header == {"position": 5, "count": 9, "video": 3, "user": 1, "scale": 2.0}
    assert abs(detection.gain - 0.5j) < 0.02
    assert np.max(np.abs(detection.symbols / detection.gain - symbols)) < 0.08


def modulate_in_gnuradio(bursts: np.ndarray) -> np.ndarray:
    tb = gr.top_block()
    source = blocks.vector_source_c(bursts.ravel().tolist(), False, bursts.shape[1])
    modulator = ota_modulator(bursts.shape[1])
    sink = blocks.vector_sink_c()
    tb.connect(source, modulator, sink)
    tb.run()
    return np.array(sink.data(), np.complex64)


def run_air(bursts: np.ndarray, snr_db: float, cfo: float = 0.0, epsilon: float = 1.0, taps=(1.0,),
            delay: int = 0, seed: int = 1):
    """ota_modulator → (start delay) → channel_model → + noise → ota_demodulator.
    Returns (received bursts, {video position: ota tag}, the demodulator block)."""
    length = bursts.shape[1]
    tx = np.concatenate([np.zeros(delay, np.complex64), modulate_in_gnuradio(bursts), np.zeros(4000, np.complex64)])
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(10 ** (-snr_db / 10) / 2)           # Es/N0 = SNR: unit-energy pulses, σ² per sample
    noise = (sigma * (rng.standard_normal(tx.size) + 1j * rng.standard_normal(tx.size))).astype(np.complex64)
    tb = gr.top_block()
    source, noise_source = blocks.vector_source_c(tx.tolist(), False), blocks.vector_source_c(noise.tolist(), False)
    # channel_model's own noise comes from a pool of 16384 samples: it adds none here, noise_source does
    channel = channels.channel_model(noise_voltage=0.0, frequency_offset=cfo, epsilon=epsilon, taps=list(taps),
                                     noise_seed=seed, block_tags=False)
    add = blocks.add_cc()
    demodulator = ota_demodulator(length)
    sink = blocks.vector_sink_c(length)
    tb.connect(source, channel, (add, 0))
    tb.connect(noise_source, (add, 1))
    tb.connect(add, demodulator, sink)
    tb.run()
    received = np.array(sink.data(), np.complex64).reshape(-1, length)
    videos = [t for t in sink.tags() if t.key == pmt_video]
    positions = [pmt.to_python(t.value)["position"] for t in sorted(videos, key=lambda t: t.offset)]
    ota = [pmt.to_python(t.value) for t in sorted([t for t in sink.tags() if t.key == pmt_ota],
                                                     key=lambda t: t.offset)]
    return received, positions, ota, demodulator


def test_detection_through_channel_model_at_6_db_with_carrier_and_clock_offset():
    rng = np.random.default_rng(6)
    bursts = qpsk(rng, 1000, 32)
    received, positions, ota, demodulator = run_air(bursts, 6.0, cfo=1e-3, epsilon=1 + 2e-5, delay=1237,
                                                    taps=[np.exp(0.6j)])
    assert len(positions) >= 999, (len(positions), demodulator.header_failures)   # >= 99.9 % detected
    assert positions == sorted(set(positions)) and set(positions) <= set(range(1000))
    assert np.median([t["cfo"] for t in ota]) == pytest.approx(1e-3, abs=2e-5)
    assert demodulator.header_failures + len(positions) >= 999


@pytest.mark.parametrize("cfo", [-1e-3, 5e-4])
def test_ber_at_9_db_matches_qpsk_closed_form(cfo):
    rng = np.random.default_rng(9)
    bursts = qpsk(rng, 60, 800)
    gain = np.exp(-1.1j)                                          # unit modulus: SNR as set
    received, positions, _, _ = run_air(bursts, 9.0, cfo=cfo, delay=501, taps=[gain])
    assert positions == list(range(60))
    # the pilots and LS would remove the channel's gain; here the known gain stands in for them
    pilots = bursts[:, :64]
    h = np.sum(received[:, :64] * np.conj(pilots), axis=1) / 64
    x = received[:, 64:] / h[:, None]
    sent = bursts[:, 64:]
    errors = np.sum(np.sign(x.real) != np.sign(sent.real)) + np.sum(np.sign(x.imag) != np.sign(sent.imag))
    ber = errors / (2 * sent.size)
    theory = 0.5 * math.erfc(math.sqrt(10 ** 0.9 / 2))           # Q(√(2 Eb/N0)), Eb/N0 = Es/N0 / 2
    assert theory * 0.9 < ber < theory * 1.25, (ber, theory)


def test_multipath_echo_is_detected():
    rng = np.random.default_rng(2)
    bursts = qpsk(rng, 200, 64)
    _, positions, _, _ = run_air(bursts, 10.0, cfo=2e-4, delay=77, taps=[1.0, 0.0, 0.15j, 0.05])
    assert positions == list(range(200))


def test_no_false_detections_on_noise_alone():
    rng = np.random.default_rng(3)
    noise = ((rng.standard_normal(100_000) + 1j * rng.standard_normal(100_000)) / np.sqrt(2)).astype(np.complex64)
    tb = gr.top_block()
    source, demodulator, sink = blocks.vector_source_c(noise.tolist(), False), ota_demodulator(64), \
        blocks.vector_sink_c(64)
    tb.connect(source, demodulator, sink)
    tb.run()
    assert len(sink.data()) == 0 and demodulator.header_failures == 0


def test_loopback_without_a_radio_says_so(tiny_system):
    data, models = tiny_system
    done = subprocess.run([sys.executable, "-m", "gnuradio.semcom.cli.main", "loopback", "--model", models["av"],
                           "--data", data, "--videos", "2", "--device", "driver=no_such_radio"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "radio 'driver=no_such_radio' (soapy)" in done.stderr and "SoapySDRUtil --find" in done.stderr


def test_loopback_emulated_runs_every_video(tiny_system, tmp_path):
    data, models = tiny_system
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, "-m", "gnuradio.semcom.cli.main", "loopback", "--model", models["av"],
                           "--data", data, "--videos", "3", "--emulate", "--snr", "12", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["frames_detected"] == 3 and summary["lost"] == [] and summary["received"] == 3


def test_sdr_loopback_example_compiles_and_says_when_no_radio_is_there(tmp_path, tiny_system):
    data, models = tiny_system
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, GRC_BLOCKS_PATH=os.path.join(here, "..", "grc"))
    compiled = subprocess.run(["grcc", "-o", str(tmp_path), os.path.join(here, "..", "examples", "sdr_loopback.grc")],
                              env=env, capture_output=True, text=True, timeout=120)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = subprocess.run([sys.executable, str(tmp_path / "sdr_loopback.py"), "--model", models["av"], "--data", data,
                          "--device", "no_such_radio"], env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "no SoapySDR device for driver=no_such_radio" in ran.stderr


def test_terminal_programs_without_their_radio_say_so(tiny_system):
    data, models = tiny_system
    for program in (["audio-terminal", "--data", data], ["video-terminal", "--data", data]):
        done = subprocess.run([sys.executable, "-m", "gnuradio.semcom.cli.main", *program, "--model", models["av"],
                               "--siso-radio", "driver=no_such_radio"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert "radio 'driver=no_such_radio' (soapy)" in done.stderr
