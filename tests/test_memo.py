# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sweep worker keeps between runs (semcom.memo): the same objects for unchanged files, a fresh
load after a file changes, nothing kept unless asked; a worker's runs give the results of fresh runs."""
import os

import pytest

from gnuradio.semcom import memo
from gnuradio.semcom.data.ave import load_split
from gnuradio.semcom.blocks.torchscript import open_network


@pytest.fixture
def keeping():
    memo.keep_loads()
    yield
    memo.forget_loads()


def test_nothing_is_kept_unless_asked(tmp_path):
    path = tmp_path / "f"
    path.write_text("a")
    loads = []
    for _ in range(2):
        memo.kept(("k",), [str(path)], lambda: loads.append(1) or object())
    assert len(loads) == 2


def test_kept_until_a_file_changes(tmp_path, keeping):
    path = tmp_path / "f"
    path.write_text("a")
    first = memo.kept(("k",), [str(path)], object)
    assert memo.kept(("k",), [str(path)], object) is first
    assert memo.kept(("other",), [str(path)], object) is not first
    path.write_text("bb")
    changed = memo.kept(("k",), [str(path)], object)
    assert changed is not first and memo.kept(("k",), [str(path)], object) is changed
    os.utime(path, ns=(1, 1))
    assert memo.kept(("k",), [str(path)], object) is not changed
    path.unlink()
    assert memo.kept(("k",), [str(path)], lambda: "loaded") == "loaded"     # the loader reports a missing file


def test_split_and_networks_are_shared_in_a_keeping_process(tiny_system, keeping):
    data, models = tiny_system
    split = load_split(data, "test", None, check=False)
    assert load_split(data, "test", None, check=False) is split
    assert load_split(data, "test", 3, check=False) is not split
    network = open_network(models["av"], "receiver", 0, 0)[1]
    assert open_network(models["av"], "receiver", 0, 0)[1] is network
    assert open_network(models["a"], "receiver", 0, 0)[1] is not network
    memo.forget_loads()
    assert load_split(data, "test", None, check=False) is not split


def test_a_keeping_process_gives_the_results_of_fresh_runs(tmp_path, tiny_system):
    """Three runs in one process that keeps its loads write the per-segment results files of fresh runs."""
    from gnuradio.semcom.flowgraphs.system import SystemConfig, run_system
    data, models = tiny_system
    configs = [dict(model=models["av"], snr_db=5.0), dict(model=models["a"], snr_db=5.0),
               dict(model=models["av"], snr_db=20.0, csi="perfect")]
    texts = {}
    for keep in (False, True):
        if keep:
            memo.keep_loads()
        for i, config in enumerate(configs):
            path = tmp_path / f"{keep}_{i}.csv"
            run_system(SystemConfig(data=data, channel="rayleigh", results_file=str(path), **config))
            texts[keep, i] = path.read_text()
    memo.forget_loads()
    for i in range(len(configs)):
        assert texts[True, i] == texts[False, i]


def test_a_sweep_run_leaves_no_flowgraph_behind(tiny_system, keeping):
    """A sweep process runs hundreds of flowgraphs: each run's top block (in reference cycles, with all
    its buffers) is gone when the run returns (run_system collects it), not at Python's next full collection."""
    import gc
    from gnuradio.semcom.eval.sweep import Job, _run
    from gnuradio.semcom.flowgraphs.system import system_top_block
    data, models = tiny_system
    gc.collect()
    gc.disable()                            # no automatic collection does the run's work for it
    try:
        row = _run(Job("multimodal", models["av"], "rayleigh", 5.0, "estimated"), dict(data=data, seed=1))
        assert row["segments"] > 0
        assert not [o for o in gc.get_objects() if isinstance(o, system_top_block)]
    finally:
        gc.enable()
