#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-timestep LS (eq. 5-6): the C++ kernel vs NumPy, against the memory-read floor.

Prints, for T pilot steps with M = K = 2 and L = 64: the time of the C++ kernel, of a per-timestep
NumPy loop (eq. 5 as written), of the vectorised NumPy reference, and the floor = bytes of X and Y
divided by the read bandwidth measured in the same run. Goal: kernel within 3x of the floor at T = 1e5.

Run from the build tree: PYTHONPATH=build/test_modules python3 benchmarks/ls_kernel.py
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from gnuradio.semcom.phy.ls import ls_loop, ls_per_timestep, ls_reference


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def read_bandwidth(megabytes: int = 512) -> float:
    """Bytes per second for a streaming read (sum of a float64 array far larger than the caches)."""
    data = np.ones(megabytes * 2**20 // 8)
    return data.nbytes / best_time(lambda: np.add.reduce(data), 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 10_000, 100_000], help="values of T")
    parser.add_argument("--loop-max", type=int, default=100_000, help="skip the Python loop above this T")
    args = parser.parse_args()
    users = antennas = 2
    length = 64
    rng = np.random.default_rng(0)
    bandwidth = read_bandwidth()
    print(f"read bandwidth: {bandwidth / 1e9:.1f} GB/s   (M = K = {users}, L = {length}, group = 10 steps)")
    print(f"{'T':>8} {'C++ kernel':>12} {'NumPy loop':>12} {'NumPy vect.':>12} {'read floor':>12} "
          f"{'kernel/floor':>13} {'vect./floor':>12} {'loop/kernel':>12}")
    for steps in args.steps:
        shape_x, shape_y = (steps, users, length), (steps, antennas, length)
        x = (rng.standard_normal(shape_x) + 1j * rng.standard_normal(shape_x)).astype(np.complex64)
        y = (rng.standard_normal(shape_y) + 1j * rng.standard_normal(shape_y)).astype(np.complex64)
        group = 10 if steps % 10 == 0 else steps
        repeats = 20 if steps <= 10_000 else 5
        kernel = best_time(lambda: ls_per_timestep(x, y, group), repeats)
        vectorised = best_time(lambda: ls_reference(x, y, group), max(1, repeats // 5))
        loop = best_time(lambda: ls_loop(x, y), 1) if steps <= args.loop_max else float("nan")
        floor = (x.nbytes + y.nbytes) / bandwidth
        print(f"{steps:>8} {kernel * 1e3:>10.3f}ms {loop * 1e3:>10.1f}ms {vectorised * 1e3:>10.2f}ms "
              f"{floor * 1e3:>10.3f}ms {kernel / floor:>13.2f} {vectorised / floor:>12.1f} {loop / kernel:>12.0f}")


if __name__ == "__main__":
    main()
