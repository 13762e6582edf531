"""Real-time streaming on Linux: keep the CPUs from sleeping deeply between videos.

A streaming flowgraph is idle most of the time (a video every 200 ms at 50 segments/s) and then runs
a chain of about ten blocks, each woken by the one before. Where an idle CPU halts (a C-state; in a
virtual machine the vCPU goes back to the host), every wake-up costs tens to hundreds of µs, and a
video pays it at every hop. Linux's PM QoS interface bounds that: while a process holds
``/dev/cpu_dma_latency`` open with a value of N µs written to it, the idle governor picks only idle
states that wake within N µs (0: the CPUs poll instead of halting); closing the file lifts the bound.
This is what latency tools (cyclictest, tuned's latency-performance profile) do. It costs power: the
CPUs stay awake, so it is an option of the streaming programs (``--cpu-latency-us``), never a default.
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
        self.held = False
        self._fd = None

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
        self.held = True
        log.info("holding the CPUs' wake-up latency at %d µs (%s) while running", self.max_us, self.device)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)                                  # the kernel drops the bound with the file
            self._fd = None
        self.held = False
