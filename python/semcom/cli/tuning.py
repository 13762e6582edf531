# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The latency options of the commands that stream in real time (``--cpu-latency-us``, ``--realtime``;
:mod:`gnuradio.semcom.realtime`)."""
from __future__ import annotations

import argparse


def microseconds(text: str) -> int:
    """argparse type: a whole number of µs >= 0, or -1 (off)."""
    from ..realtime import check_cpu_latency_us
    try:
        return check_cpu_latency_us(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of µs >= 0, or -1 for off, got {text!r}") from None


def add_tuning_options(p) -> None:
    """--cpu-latency-us and --realtime (:mod:`semcom.realtime`) of a command that streams in real time;
    its ``run`` is then wrapped in :func:`tuned`."""
    p.add_argument("--cpu-latency-us", type=microseconds, default=-1, metavar="US",
                   help="while running, keep the CPUs from idle states that take longer than US µs to wake "
                   "(Linux PM QoS, /dev/cpu_dma_latency; needs root or write access there; 0 = poll, the "
                   "lowest streaming latency, at the cost of power); -1 = off")
    p.add_argument("--realtime", action="store_true",
                   help="GNU Radio's real-time scheduling (SCHED_RR) for the flowgraph's threads, as GRC's "
                   "'Realtime Scheduling' option, with one torch and one BLAS thread; needs root, CAP_SYS_NICE "
                   "or an rtprio limit")


def tuned(run):
    """``run(args)`` with the CPU wake-up bound and real-time scheduling the options ask for, from before
    the flowgraph is built (so that every thread it starts, ZMQ's too, runs with them) to its end."""
    def run_tuned(args) -> int:
        from ..realtime import cpu_latency_bound, realtime_scheduling
        with cpu_latency_bound(args.cpu_latency_us), realtime_scheduling(args.realtime):
            return run(args)
    return run_tuned
