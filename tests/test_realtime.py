# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The streaming programs' tuning: the CPU wake-up latency bound (Linux PM QoS, /dev/cpu_dma_latency) and
GNU Radio's real-time scheduling."""
import logging
import os
import struct
import threading

import numpy  # noqa: F401  (loads the BLAS library that threadpoolctl reports)
import pytest
from threadpoolctl import threadpool_info

from gnuradio.semcom.errors import InputError
from gnuradio.semcom.realtime import DEVICE, cpu_latency_bound, realtime_scheduling

KERNEL = os.path.exists(DEVICE) and os.access(DEVICE, os.R_OK | os.W_OK)


def read_bound(path=DEVICE) -> int:
    """The kernel's current bound in µs, read back as the one native s32 the device holds."""
    with open(path, "rb") as f:
        return struct.unpack("i", f.read(4))[0]


def test_writes_the_bound_as_one_native_s32_and_keeps_the_file_open(tmp_path):
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    with cpu_latency_bound(125, str(device)) as bound:
        assert bound.held
        assert device.read_bytes() == struct.pack("i", 125)
        fd = bound._fd
        os.fstat(fd)                                   # still open: the kernel keeps the bound while it is
    assert not bound.held
    with pytest.raises(OSError):
        os.fstat(fd)


def test_a_device_that_cannot_be_written_gives_one_warning_naming_it(tmp_path, caplog):
    missing = tmp_path / "no" / "cpu_dma_latency"
    with caplog.at_level(logging.WARNING, logger="semcom"):
        with cpu_latency_bound(0, str(missing)) as bound:
            assert not bound.held
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert str(missing) in caplog.text and "not bounded to 0 µs" in caplog.text


def test_minus_one_is_off_and_touches_nothing(tmp_path):
    device = tmp_path / "cpu_dma_latency"
    with cpu_latency_bound(-1, str(device)) as bound:
        assert not bound.held
    assert not device.exists()


@pytest.mark.parametrize("value", [-2, 1.5, "0", True, None])
def test_bad_bounds_are_refused_by_name(value):
    with pytest.raises(InputError, match="max_us must be a whole number of µs >= 0, or -1 for off"):
        cpu_latency_bound(value)


@pytest.mark.skipif(not KERNEL, reason=f"{DEVICE} is not readable and writable here (not Linux, or not root)")
def test_the_kernel_holds_the_bound_while_inside_and_drops_it_after():
    """The device reads the tightest bound any process holds (2e9 µs when none does)."""
    before = read_bound()
    if before == 0:
        pytest.skip("another process holds the bound at 0 µs already")
    with cpu_latency_bound(before - 1) as bound:
        assert bound.held and read_bound() == before - 1
    assert read_bound() == before


def blas_threads() -> list:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def scheduler() -> tuple:
    return os.sched_getscheduler(0), os.sched_getparam(0).sched_priority


def test_realtime_scheduling_off_changes_nothing():
    before = scheduler()
    with realtime_scheduling(False) as scheduling:
        assert not scheduling.held and scheduler() == before
    assert scheduler() == before


def test_realtime_scheduling_reaches_threads_started_inside_and_ends_after():
    """The block threads of a flowgraph started inside run SCHED_RR with one torch thread; the caller's
    policy and torch's thread count come back."""
    import torch
    before, threads, blas_before = scheduler(), torch.get_num_threads(), blas_threads()
    seen = []
    with realtime_scheduling() as scheduling:
        if not scheduling.held:
            pytest.skip("real-time scheduling is not permitted here (not root, no CAP_SYS_NICE or rtprio limit)")
        thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
        thread.start()
        thread.join()
        assert os.sched_getscheduler(0) == os.SCHED_RR          # GNU Radio's real-time policy
        assert torch.get_num_threads() == 1                     # no spinning workers at that priority
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} <= {1}
    assert seen == [os.SCHED_RR]
    assert scheduler() == before and torch.get_num_threads() == threads
    assert blas_threads() == blas_before


def test_realtime_scheduling_refused_gives_one_warning(monkeypatch, caplog):
    from gnuradio import gr
    monkeypatch.setattr(gr, "enable_realtime_scheduling", lambda: gr.RT_NOT_IMPLEMENTED)
    before = scheduler()
    with caplog.at_level(logging.WARNING, logger="semcom"):
        with realtime_scheduling() as scheduling:
            assert not scheduling.held
    assert [r.levelno for r in caplog.records] == [logging.WARNING] and "SCHED_RR" in caplog.text
    assert scheduler() == before
