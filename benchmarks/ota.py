#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The over-the-air waveform with impairments: detection rate, header failures, carrier-offset error
and BER (against the QPSK closed form) vs SNR through gr-channels channel_model, false detections on
noise alone, and (with --model/--data) the system's accuracy with the SISO link over the waveform
vs ideal synchronisation.

Run from the build tree: PYTHONPATH=build/test_modules python3 benchmarks/ota.py [--model M --data D]
"""
from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np
from gnuradio import blocks, gr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from test_ota import qpsk, run_air  # noqa: E402  (the tests' air: modulator → channel_model → demodulator)

from gnuradio.semcom.blocks.ota_demodulator import ota_demodulator  # noqa: E402


def link_table(snrs, frames: int, cfo: float, epsilon: float) -> None:
    print(f"{frames} frames of 800 QPSK symbols per SNR; CFO {cfo:g} cycles/sample, clock ratio {epsilon:g}, "
          "random start delay, channel phase")
    print(f"{'SNR dB':>6} {'detected':>9} {'hdr fail':>9} {'CFO err':>9} {'BER':>9} {'theory':>9}")
    for i, snr in enumerate(snrs):
        rng = np.random.default_rng(i)
        bursts = qpsk(rng, frames, 800)
        received, positions, ota, demodulator = run_air(bursts, snr, cfo=cfo, epsilon=epsilon,
                                                        delay=int(rng.integers(0, 5000)),
                                                        taps=[np.exp(1j * rng.uniform(-np.pi, np.pi))], seed=i + 1)
        sent = bursts[positions]
        h = np.sum(received[:, :64] * np.conj(sent[:, :64]), axis=1) / 64        # as the pilots and LS would
        x = received[:, 64:] / h[:, None]
        errors = (np.sum(np.sign(x.real) != np.sign(sent[:, 64:].real))
                  + np.sum(np.sign(x.imag) != np.sign(sent[:, 64:].imag)))
        ber = errors / max(1, 2 * x.size)
        theory = 0.5 * math.erfc(math.sqrt(10 ** (snr / 10) / 2))
        cfo_err = np.sqrt(np.mean([(t["cfo"] - cfo) ** 2 for t in ota])) if ota else float("nan")
        print(f"{snr:>6g} {len(positions) / frames:>9.4f} {demodulator.header_failures:>9d} {cfo_err:>9.1e} "
              f"{ber:>9.2e} {theory:>9.2e}")


def false_alarms(samples: int) -> None:
    rng = np.random.default_rng(7)
    noise = ((rng.standard_normal(samples) + 1j * rng.standard_normal(samples)) / np.sqrt(2)).astype(np.complex64)
    tb = gr.top_block()
    source, demodulator, sink = blocks.vector_source_c(noise.tolist(), False), ota_demodulator(64), \
        blocks.vector_sink_c(64)
    tb.connect(source, demodulator, sink)
    tb.run()
    print(f"noise alone, {samples} samples: {len(sink.data()) // 64} bursts out, "
          f"{demodulator.header_failures} preambles triggered but rejected by the header CRC")


def system_table(model: str, data: str, snrs, videos: int) -> None:
    from gnuradio.semcom.flowgraphs.loopback import Impairments, ota_system_top_block
    from gnuradio.semcom.flowgraphs.system import SystemConfig, run_system
    print(f"\nsystem accuracy, {videos} test videos, AWGN uplink; SISO link ideal vs over the waveform "
          "(CFO 1e-3, clock 20 ppm, delay, phase)")
    print(f"{'SNR dB':>6} {'ideal':>7} {'OTA':>7} {'lost':>5}")
    for snr in snrs:
        config = dict(model=model, data=data, videos=videos, channel="awgn", snr_db=snr, csi="estimated", seed=1,
                      check_data=False)
        ideal = run_system(SystemConfig(**config)).accuracy
        tb = ota_system_top_block(SystemConfig(**config), impairments=Impairments(cfo=1e-3, epsilon=1 + 2e-5,
                                                                                   taps=[np.exp(0.5j)], delay=777))
        tb.run_until_done()
        result = tb.result()
        print(f"{snr:>6g} {ideal:>7.4f} {result.accuracy:>7.4f} {len(result.lost):>5d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snr", type=float, nargs="+", default=[0, 3, 6, 9, 12])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--cfo", type=float, default=1e-3)
    parser.add_argument("--epsilon", type=float, default=1 + 2e-5)
    parser.add_argument("--noise-samples", type=int, default=1_000_000)
    parser.add_argument("--model", default="", help="multimodal model directory (system table)")
    parser.add_argument("--data", default="", help="AVE-format dataset (system table)")
    parser.add_argument("--videos", type=int, default=100)
    args = parser.parse_args()
    link_table(args.snr, args.frames, args.cfo, args.epsilon)
    false_alarms(args.noise_samples)
    if args.model and args.data:
        system_table(args.model, args.data, args.snr, args.videos)


if __name__ == "__main__":
    main()
