# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""A disk that fills while the receiver or a sweep writes: one line naming the file and the cause, every
row written before intact, and a run with room again resumes from the file (a small tmpfs, as root)."""
import json
import os
import subprocess

import numpy as np
import pytest
from conftest import semcom, video_tags
from gnuradio import blocks, gr

pytestmark = pytest.mark.slow
PAGE = 4096


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of two pages; ``grow(size)`` gives it more room."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={2 * PAGE}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"this machine cannot mount a tmpfs: {done.stderr.strip()}")

    def grow(size: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)
    try:
        yield folder, grow
    finally:
        subprocess.run(["umount", "-l", str(folder)])


def receive(model: str, results: str, videos: int, d: int):
    """``videos`` videos of random floats → multimodal_receiver(results_file, resume=True), two videos a call."""
    from gnuradio.semcom.blocks.multimodal_receiver import multimodal_receiver
    receiver = multimodal_receiver(model, results_file=results, resume=True)
    receiver.set_max_noutput_items(20)
    rng = np.random.default_rng(3)
    tags = video_tags({v * 10: {"video": 500 + v, "position": v, "count": videos} for v in range(videos)})
    tb = gr.top_block()
    for i in range(2):
        source = blocks.vector_source_f(rng.standard_normal(videos * 10 * d).astype(np.float32).tolist(), False, d,
                                        tags)
        tb.connect(source, (receiver, i))
    tb.run()
    return receiver


def test_receiver_stops_on_a_full_disk_and_resumes_with_room(tiny_system, small_disk):
    from gnuradio.semcom.blocks.multimodal_receiver import multimodal_receiver, read_results
    _, models = tiny_system
    folder, grow = small_disk
    results = str(folder / "segments.csv")
    d = multimodal_receiver(models["av"]).d
    full = receive(models["av"], results, 40, d)
    assert full.failure.startswith(f"results_file {results}: No space left on device: stopped; every row written "
                                   "before is intact"), full.failure
    with open(results, newline="") as f:
        text = f.read()
    assert text.endswith("\r\n") and len(text) <= 2 * PAGE
    written = read_results(results, 10)                          # whole videos only, in order
    assert 0 < len(written) < 40 and [v["position"] for v in written] == list(range(len(written)))
    assert len(text.splitlines()) == 1 + 10 * len(written)       # no torn row, no partial video
    assert full.summary()["received"] == len(written)            # what is not in the file is not received

    grow(64 * PAGE)
    again = receive(models["av"], results, 40, d)
    assert again.failure == "" and again.summary()["resumed"] == len(written)
    with open(results, newline="") as f:
        resumed = f.read()
    assert resumed.startswith(text)                               # the rows before, unchanged
    assert [v["position"] for v in read_results(results, 10)] == list(range(40))


def test_sweep_stops_on_a_full_disk_with_one_line_and_resumes(tiny_system, small_disk):
    data, models = tiny_system
    folder, grow = small_disk
    (folder / "filler").write_bytes(b"\0" * PAGE)                 # one page left for runs.jsonl
    out = folder / "sweep"
    args = ["sweep", "--data", data, "--system", f"multimodal={models['av']}", "--channels", "awgn", "rayleigh",
            "--snr", "0", "5", "10", "15", "20", "25", "30", "--csi", "estimated", "perfect", "--videos", "1",
            "--out", str(out)]
    done = semcom(*args)
    runs = out / "runs.jsonl"
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert errors == [errors[0]] and f"{runs}: No space left on device: stopped" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    before = runs.read_text()
    rows = [json.loads(line) for line in before.splitlines()]     # every line whole
    assert 0 < len(rows) < 28 and before.endswith("\n")

    os.remove(folder / "filler")
    grow(4096 * PAGE)
    done = semcom(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    after = runs.read_text()
    assert after.startswith(before)
    keys = [(r["channel"], r["snr_db"], r["csi"]) for r in map(json.loads, after.splitlines())]
    assert len(keys) == len(set(keys)) == 28
