# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real-time streaming on Linux: keep the CPUs from sleeping deeply between videos.

A streaming flowgraph is idle most of the time (a video every 200 ms at 50 segments/s) and then runs
a chain of about ten blocks, each woken by the one before. Where an idle CPU halts (a C-state; in a
virtual machine the vCPU goes back to the host), every wake-up costs tens to hundreds of µs, and a
video pays it at every hop. Linux's PM QoS interface bounds that: while a process holds
``/dev/cpu_dma_latency`` open with a value of N µs written to it, the idle governor picks only idle
states that wake within N µs (0: the CPUs poll instead of halting); closing the file lifts the bound.
This is what latency tools (cyclictest, tuned's latency-performance profile) do. It costs power: the
CPUs stay awake, so it is an option of the streaming programs (``--cpu-latency-us``), never a default.

The other half is the scheduler: :class:`realtime_scheduling` is GNU Radio's real-time scheduling
(``gr.enable_realtime_scheduling``, GRC's Options block "Realtime Scheduling"; ``--realtime``):
the block threads then run SCHED_RR, ahead of every ordinary thread on the machine, as soon as
they are woken.
"""
from __future__ import annotations

import logging
import os
import struct

from .errors import InputError

DEVICE = "/dev/cpu_dma_latency"
log = logging.getLogger("semcom")


def check_cpu_latency_us(value, name: str = "cpu_latency_us") -> int:
    """``value`` if it is a whole number of µs >= 0, or -1 (off); InputError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise InputError(f"{name} must be a whole number of µs >= 0, or -1 for off; got {value!r}")
    return value


class cpu_latency_bound:
    """Context manager: hold the CPUs' wake-up latency at ``max_us`` µs (PM QoS) while inside.

    ``max_us`` -1 does nothing. Where ``device`` cannot be opened for writing (not Linux, or not root
    and no write access), it logs one warning that names the file and the reason and does nothing
    else: the flowgraph runs as it would without. :attr:`held` says whether the bound is in force.
    """

    def __init__(self, max_us: int = 0, device: str = DEVICE):
        self.max_us = check_cpu_latency_us(max_us, "max_us")
        self.device = device
        self._fd = None

    @property
    def held(self) -> bool:
        """Whether the bound is in force (the device is held open)."""
        return self._fd is not None

    def __enter__(self) -> "cpu_latency_bound":
        if self.max_us < 0:
            return self
        try:
            self._fd = os.open(self.device, os.O_WRONLY)
            os.write(self._fd, struct.pack("i", self.max_us))   # the kernel reads one native s32
        except OSError as error:
            self.__exit__(None, None, None)
            log.warning("CPU wake-up latency not bounded to %d µs: %s: %s (needs root or write access to it)",
                        self.max_us, self.device, error.strerror or error)
            return self
        log.info("holding the CPUs' wake-up latency at %d µs (%s) until the end", self.max_us, self.device)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)                                  # the kernel drops the bound with the file
            self._fd = None


class realtime_scheduling:
    """Context manager: GNU Radio's real-time scheduling (``gr.enable_realtime_scheduling``, SCHED_RR)
    for the calling thread and so for the threads it starts while inside (a flowgraph's block threads
    start with ``start()``/``run()``); on exit the calling thread gets its earlier policy back.

    While in force, PyTorch and the BLAS library NumPy uses (threadpoolctl) run one thread each (their
    earlier counts come back on exit; a block given ``torch_threads`` > 0 still sets its own): their
    workers spin while they wait for work, and a real-time thread waiting on workers of the ordinary
    scheduler, or spinning workers at a real-time priority, keep the flowgraph's threads off the CPUs
    (four programs with two such threads each lost uplink slots on two cores). ``enabled`` False does
    nothing. Where it is refused (not root, no CAP_SYS_NICE or rtprio limit), it logs one warning and
    does nothing else. :attr:`held` says whether it is in force.
    """

    def __init__(self, enabled: bool = True):
        self.enabled = bool(enabled)
        self._before = None            # (policy, priority, torch threads, BLAS limits) to restore

    @property
    def held(self) -> bool:
        """Whether real-time scheduling is in force."""
        return self._before is not None

    def __enter__(self) -> "realtime_scheduling":
        if not self.enabled:
            return self
        from gnuradio import gr
        policy, priority = os.sched_getscheduler(0), os.sched_getparam(0).sched_priority
        if gr.enable_realtime_scheduling() != gr.RT_OK:
            log.warning("real-time scheduling (SCHED_RR) refused: needs root, CAP_SYS_NICE or an rtprio limit "
                        "(ulimit -r); the flowgraph runs with the ordinary scheduler")
            return self
        import torch
        from threadpoolctl import threadpool_limits
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        self._before = (policy, priority, threads, threadpool_limits(limits=1, user_api="blas"))
        log.info("real-time scheduling (SCHED_RR) for the flowgraph's threads, one torch and one BLAS thread")
        return self

    def __exit__(self, *exc) -> None:
        if self._before is not None:
            import torch
            policy, priority, threads, blas = self._before
            os.sched_setscheduler(0, policy, os.sched_param(priority))
            blas.restore_original_limits()             # before torch's count: it resets OpenMP's too
            torch.set_num_threads(threads)
            self._before = None
