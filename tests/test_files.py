# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Files written whole or not at all: a training's checkpoint survives an error or a kill while the next
one is written."""
import os
import signal
import subprocess
import sys

import pytest

from gnuradio.semcom.files import replace_file


def test_replace_file_writes_the_whole_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"old")
    replace_file(str(path), lambda f: f.write(b"new " * 1000))
    assert path.read_bytes() == b"new " * 1000
    assert os.listdir(tmp_path) == ["checkpoint.pt"]


def test_an_error_while_writing_leaves_the_earlier_file(tmp_path):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"epoch 7")

    def fails_halfway(f):
        f.write(b"epoch 8, first half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        replace_file(str(path), fails_halfway)
    assert path.read_bytes() == b"epoch 7"
    assert os.listdir(tmp_path) == ["checkpoint.pt"]


def test_a_kill_while_writing_leaves_the_earlier_file(tmp_path):
    """SIGKILL with half the new file written (the child says when, then waits): the old file is whole."""
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"epoch 7")
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from gnuradio.semcom.files import replace_file\n"
        "def half(f):\n"
        "    f.write(b'epoch 8, first half'); f.flush()\n"
        "    print('written', flush=True); time.sleep(600)\n"
        f"replace_file({str(path)!r}, half)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert path.read_bytes() == b"epoch 7"
    assert (tmp_path / "checkpoint.pt.partial").read_bytes() == b"epoch 8, first half"
