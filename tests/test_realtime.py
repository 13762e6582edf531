"""The CPU wake-up latency bound of the streaming programs (Linux PM QoS, /dev/cpu_dma_latency)."""
import logging
import os
import struct

import pytest

from gnuradio.semcom.errors import InputError
from gnuradio.semcom.realtime import DEVICE, cpu_latency_bound

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
