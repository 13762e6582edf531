# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the gr-semcom tests (run by ctest against the build-tree package)."""
from __future__ import annotations

import os

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr
import gnuradio.semcom  # noqa: F401  (puts the PyTorch installed for the module on sys.path, as users get it)


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def tracked_files(*endings: str) -> list:
    """The checkout's tracked files (relative to ROOT) whose names end with one of ``endings``."""
    import subprocess
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("the tests need the git checkout (git ls-files)")
    return [n for n in names if n.endswith(endings)]


def semcom(*args, timeout: float = 900, env: dict | None = None):
    """The `semcom` command of the package under test (``python -m gnuradio.semcom.cli.main``), its
    output captured as text."""
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "gnuradio.semcom.cli.main", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def video_tags(values: dict) -> list:
    """``semcom_video`` stream tags {item offset: tag value}, as feature_source puts them on the first
    segment of each video (for a vector source)."""
    from gnuradio.semcom.blocks.tags import VIDEO
    found = []
    for offset, value in values.items():
        tag = gr.tag_t()
        tag.offset, tag.key, tag.value = offset, pmt.intern(VIDEO), pmt.to_pmt(value)
        found.append(tag)
    return found


def complex_gaussian(rng: np.random.Generator, shape, var: float = 1.0) -> np.ndarray:
    return (np.sqrt(var / 2) * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))).astype(np.complex64)


def tag_probe(item_size: int):
    """A tag_debug that keeps every tag silently; read with ``tags_of``."""
    probe = blocks.tag_debug(item_size, "probe", "")
    probe.set_display(False)
    probe.set_save_all(True)
    return probe


def tags_of(probe, key: str) -> dict:
    """{item offset: python value} of the tags named ``key`` seen by a tag probe or vector sink."""
    found = probe.current_tags() if hasattr(probe, "current_tags") else probe.tags()
    return {t.offset: pmt.to_python(t.value) for t in found if pmt.symbol_to_string(t.key) == key}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs) -> None:
    """End processes this test started: SIGTERM (a Dask nanny then stops its worker), SIGKILL after 30 s."""
    import subprocess
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@pytest.fixture
def rng():
    return np.random.default_rng(20261130)


def run_chain(source_data: list, vlen_in: int, chain: list, out_vlen: int, out_type=complex, n_out: int = 1):
    """Connect vector sources → chain (list of blocks, first takes all sources) → vector sinks; run.

    ``source_data``: one complex/float array of shape (items, vlen_in) per input of chain[0].
    Returns (sinks, top block).
    """
    tb = gr.top_block()
    sources = []
    for data in source_data:
        flat = np.ascontiguousarray(data).ravel()
        make = blocks.vector_source_c if np.iscomplexobj(flat) else blocks.vector_source_f
        src = make(flat.tolist(), False, vlen_in)
        sources.append(src)
    for i, src in enumerate(sources):
        tb.connect(src, (chain[0], i))
    for a, b in zip(chain, chain[1:]):
        tb.connect(a, b)
    sink_type = blocks.vector_sink_c if out_type is complex else blocks.vector_sink_f
    sinks = [sink_type(out_vlen) for _ in range(n_out)]
    for i, s in enumerate(sinks):
        tb.connect((chain[-1], i), s)
    tb.run()
    tb._keep = (sources, chain, sinks)
    return sinks, tb


def easy_synth(folder: str, videos: int = 300, seed: int = 3) -> str:
    """A synthetic AVE that short trainings learn (strong visual pattern, no silent or hidden objects)."""
    from gnuradio.semcom.data.synth import SynthConfig, write_synthetic
    write_synthetic(folder, SynthConfig(videos=videos, seed=seed, visual_strength=3.0, visual_noise=1.0,
                                        silent_fraction=0.0, occluded_fraction=0.0), progress=False)
    return folder


def untrained_model(data: str, out: str, modality: str = "av", symbols: int = 64) -> str:
    """A model directory with freshly initialised networks (for plumbing tests)."""
    from gnuradio.semcom.train.trainer import TrainConfig, Trainer
    trainer = Trainer(TrainConfig(data=data, out=out, modality=modality, symbols=symbols, limit=8, device="cpu"))
    import os
    os.makedirs(out, exist_ok=True)
    trainer.export({})
    return out


@pytest.fixture(scope="session")
def tiny_system(tmp_path_factory):
    """(dataset folder, {modality: untrained model directory}) for block and GRC plumbing tests."""
    base = tmp_path_factory.mktemp("tiny_system")
    data = easy_synth(str(base / "data"), videos=40)
    return data, {m: untrained_model(data, str(base / f"model_{m}"), m) for m in ("av", "a", "v")}
