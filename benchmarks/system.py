#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput and latency of the full semantic system in GNU Radio vs its networks called directly.

Prints, in one run, for a model directory and an AVE-format dataset (test split):
- segments per second through the whole GNU Radio system (estimated CSI, Rayleigh, 15 dB);
- segments per second of the same TorchScript networks called directly in batches of 64 videos'
  segments, with no GNU Radio and no channel (transmitters → receiver), and the ratio (goal >= 0.7);
- per-segment latency in streaming mode (the source paced in real time, one video at a time):
  median and 99th percentile from a video leaving the source to its labels leaving the receiver
  (goal <= 20 ms), with the video terminal whole and split (``video_transmitter(split=True)``), each
  untuned, with the CPUs' wake-up latency bounded (Linux PM QoS) and with that and GNU Radio's
  real-time scheduling (SCHED_RR), as ``--cpu-latency-us 0 --realtime`` do (root), and last with
  the receiver decoding a lone video alone (``multimodal_receiver(pad_lone_video=False)``);
- optionally (--sweep-models), the wall time of `semcom sweep` over the full grid with --jobs 2.

``--devices cpu cuda``: the throughput rows and the untuned latency rows for each PyTorch device of the
neural blocks (``BlockOptions.device``) in one run (by default the CPU, and the GPU where PyTorch sees one).

Run from the build tree: PYTHONPATH=build/test_modules python3 benchmarks/system.py --model M --data D
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from gnuradio.semcom.data.ave import load_split
from gnuradio.semcom.flowgraphs.system import SystemConfig, system_top_block
from gnuradio.semcom.nn.model_dir import open_model_dir
from gnuradio.semcom.nn.runtime import pick_device
from gnuradio.semcom.realtime import cpu_latency_bound, realtime_scheduling


def direct_rate(model_dir: str, data: str, videos: int, batch: int = 64, device: str = "cpu") -> float:
    """Segments per second of the TorchScript networks on their own on ``device`` (no channel, no GNU
    Radio; the features moved to the device and the labels back, as the blocks do)."""
    model = open_model_dir(model_dir)
    split = load_split(data, "test", videos or None, check=False)
    where = pick_device(device)
    audio_tx, video_tx, receiver = (model.load(n, where) for n in ("audio_transmitter", "video_transmitter",
                                                                    "receiver"))
    start = time.perf_counter()
    with torch.inference_mode():
        for first in range(0, len(split.labels), batch):
            audio = torch.from_numpy(split.audio[first:first + batch]).to(where)
            visual = torch.from_numpy(split.visual[first:first + batch].astype(np.float32)).to(where)
            a = audio_tx(audio)
            v = video_tx(visual, a)
            receiver(a, v)[0].argmax(-1).cpu()
    return split.labels.size / (time.perf_counter() - start)


def system_rate(config: SystemConfig) -> tuple[float, float]:
    """(segments per second of the whole flowgraph, accuracy)."""
    tb = system_top_block(config)
    start = time.perf_counter()
    tb.run()
    seconds = time.perf_counter() - start
    result = tb.result()
    return result.segments / seconds, result.accuracy


def streaming_latency(config: SystemConfig, segments_per_second: float) -> np.ndarray:
    """Per-video latency (s) from source to receiver with the source paced in real time."""
    tb = system_top_block(config)
    tb.source.rate = segments_per_second
    tb.run()
    sent, got = tb.source.sent_at, {r["position"]: r["received_at"] for r in tb.receiver.results}
    return np.array([got[p] - sent[p] for p in sorted(got)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="multimodal model directory")
    parser.add_argument("--data", required=True, help="AVE-format dataset folder")
    parser.add_argument("--videos", type=int, default=0, help="test videos for throughput (0 = all)")
    parser.add_argument("--latency-videos", type=int, default=50, help="videos per latency row")
    parser.add_argument("--rate", type=float, default=50.0, help="paced segments per second for the latency run")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    parser.add_argument("--devices", nargs="+", choices=("cpu", "cuda"),
                        default=["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"],
                        help="PyTorch devices of the neural blocks, a throughput row and untuned latency rows each "
                        "(default: cpu, and cuda where PyTorch sees a GPU)")
    parser.add_argument("--cpu-latency-us", type=int, default=0,
                        help="the CPU wake-up bound (µs, Linux PM QoS) of the tuned latency rows, which also run "
                        "SCHED_RR (both need root); -1: measure only untuned")
    parser.add_argument("--sweep-models", nargs="*", metavar="NAME=DIR",
                        help="also time `semcom sweep --jobs 2` over the full grid with these systems")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = SystemConfig(model=args.model, data=args.data, videos=args.videos, channel="rayleigh", snr_db=15.0,
                          csi="estimated", check_data=False)
    print(f"{'path':<46} {'segments/s':>11}")
    for device in args.devices:
        config.blocks.device = device
        direct_rate(args.model, args.data, 8, device=device)                  # warm-up
        direct = direct_rate(args.model, args.data, args.videos, device=device)
        gnuradio_rate, accuracy = system_rate(config)
        print(f"{'TorchScript networks, batches of 64, ' + device:<46} {direct:>11.1f}")
        print(f"{'GNU Radio system (estimated CSI), ' + device:<46} {gnuradio_rate:>11.1f}   accuracy {accuracy:.4f}")
        print(f"ratio GNU Radio / direct on {device}: {gnuradio_rate / direct:.3f} (goal >= 0.7)")
    config.videos = args.latency_videos
    print(f"\nstreaming latency per segment, {args.latency_videos} videos at {args.rate:g} segments/s "
          "(goal: p99 <= 20 ms)")
    print(f"{'video terminal, tuning, receiver':<80} {'median ms':>9} {'p99 ms':>7} {'p99 / first':>11}")
    tunings = [("none", -1, False)]
    if args.cpu_latency_us >= 0:
        tunings += [(f"CPU wake-up <= {args.cpu_latency_us} µs", args.cpu_latency_us, False),
                    (f"CPU wake-up <= {args.cpu_latency_us} µs + SCHED_RR", args.cpu_latency_us, True)]
    rows = [(split, True, tuning, args.devices[0]) for tuning in tunings for split in (False, True)]
    rows.append((True, False, tunings[-1], args.devices[0]))      # the receiver also decodes a lone video alone
    rows += [(split, True, tunings[0], device) for device in args.devices[1:] for split in (False, True)]
    first = None
    for split, pad, (tuning, bound_us, fifo), device in rows:
        config.blocks.split_video_transmitter, config.blocks.pad_lone_video = split, pad
        config.blocks.device = device
        with cpu_latency_bound(bound_us) as bound, realtime_scheduling(fifo) as scheduling:
            if (bound_us >= 0 and not bound.held) or (fifo and not scheduling.held):
                print(f"{tuning}: skipped (not permitted here; needs root)")
                continue
            latency = streaming_latency(config, args.rate) * 1e3
        p99 = np.percentile(latency, 99)
        first = first or p99
        name = (f"{'split (visual part first)' if split else 'whole'}, {tuning}{'' if pad else ', lone video alone'}"
                + (f", networks on {device}" if len(args.devices) > 1 else ""))
        print(f"{name:<80} {np.median(latency):>9.1f} {p99:>7.1f} {p99 / first:>11.2f}")
    if args.sweep_models:
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, "-m", "gnuradio.semcom.cli.main", "sweep", "--data", args.data, "--jobs", "2",
                       "--out", out] + [x for spec in args.sweep_models for x in ("--system", spec)]
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ))
            print(f"full sweep ({', '.join(args.sweep_models)}), --jobs 2: {time.perf_counter() - start:.0f} s "
                  "(goal <= 600 s)")


if __name__ == "__main__":
    main()
