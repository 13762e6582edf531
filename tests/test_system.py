# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole system in GNU Radio: agrees with the PyTorch twin, orders the CSI modes, reports lost
videos, resumes sweeps, and rejects bad input before any flowgraph starts."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pmt
import pytest

import torch  # noqa: E402  (a missing PyTorch fails the suite)

from gnuradio import blocks, gr  # noqa: E402
from gnuradio.semcom.data.ave import load_split  # noqa: E402
from gnuradio.semcom.flowgraphs.loopback import Impairments, ota_system_top_block  # noqa: E402
from gnuradio.semcom.flowgraphs.payloads import DigitalBaseline  # noqa: E402
from gnuradio.semcom.flowgraphs.system import SystemConfig, run_system, system_top_block  # noqa: E402
from gnuradio.semcom.nn.system import SemanticSystem  # noqa: E402
from gnuradio.semcom.train.trainer import twin_accuracy  # noqa: E402

from conftest import easy_synth, semcom, video_tags  # noqa: E402

pytestmark = [pytest.mark.timeout(1800), pytest.mark.slow]     # the module's fixture trains two models first


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """An easy synthetic set, a multimodal system trained briefly with estimated CSI on all channels,
    and a receiver retrained for the raw antenna signals (csi 'none_retrained') on its transmitters."""
    base = tmp_path_factory.mktemp("system")
    data = easy_synth(str(base / "data"), videos=300)
    model = str(base / "av")
    done = semcom("train", "--data", data, "--out", model, "--symbols", "16", "--epochs", "10", "--lr", "1e-3",
                  "--lr-step", "20", "--batch-size", "8")
    assert done.returncode == 0, done.stderr[-3000:]
    none = str(base / "av_none")
    done = semcom("train", "--data", data, "--out", none, "--symbols", "16", "--epochs", "4", "--lr", "1e-3",
                  "--batch-size", "8", "--csi", "none_retrained", "--transmitters-from", model)
    assert done.returncode == 0, done.stderr[-3000:]
    return data, model, none


def test_error_free_system_agrees_with_the_twin_on_99_5_percent_of_segments(trained):
    data, model, _ = trained
    tb = system_top_block(SystemConfig(model=model, data=data, csi="error_free"))
    tb.run()
    split = load_split(data, "test")
    system = SemanticSystem.from_model_dir(model)
    with torch.no_grad():
        logits = system(torch.from_numpy(split.audio), torch.from_numpy(split.visual).float(),
                        *system.twins("awgn", "error_free"), torch.zeros(len(split.labels)))[0]
    twin = logits.argmax(-1).numpy()
    got = tb.receiver.predictions()
    assert sorted(got) == list(range(len(split.labels)))
    agree = np.mean([np.mean(got[p] == twin[p]) for p in got])
    assert agree >= 0.995, agree                                   # float rounding may flip a near tie
    assert tb.result().accuracy > 0.5


@pytest.mark.parametrize("channel", ["awgn", "rayleigh", "rician"])
def test_gnu_radio_system_matches_the_twin(trained, channel):
    """Same videos, same CSI mode, two SNRs: the accuracies agree within their sampling error."""
    data, model, _ = trained
    system = SemanticSystem.from_model_dir(model)
    split = load_split(data, "test")
    segments = split.labels.size
    for snr in (3.0, 15.0):
        gr_acc = np.mean([run_system(SystemConfig(model=model, data=data, channel=channel, snr_db=snr,
                                                  seed=s)).accuracy for s in (1, 2)])
        twin_acc = np.mean([twin_accuracy(system, split, *system.twins(channel, "estimated"), snr, seed=s)
                            for s in (1, 2, 3, 4)])
        # standard error of a difference of means over 2 and 4 channel realisations of `segments`
        p = (gr_acc + twin_acc) / 2
        sigma = np.sqrt(p * (1 - p) / segments * (1 / 2 + 1 / 4))
        assert abs(gr_acc - twin_acc) <= max(4 * sigma, 0.03), (channel, snr, gr_acc, twin_acc)


def test_csi_modes_are_ordered_on_rayleigh_at_15_db(trained):
    data, model, none = trained
    runs = {csi: np.mean([run_system(SystemConfig(model=none if csi == "none_retrained" else model, data=data,
                                                  channel="rayleigh", snr_db=15.0, csi=csi, seed=s)).accuracy
                          for s in (1, 2, 3)])
            for csi in ("perfect", "estimated", "none_retrained", "none_no_retraining")}
    assert runs["perfect"] >= runs["estimated"] - 0.01, runs      # equal up to estimation error at 15 dB
    assert runs["estimated"] > runs["none_retrained"] + 0.05, runs
    assert runs["estimated"] > runs["none_no_retraining"] + 0.05, runs      # the diagnostic: no retraining


@pytest.mark.parametrize("snr", [9.0, 15.0])
def test_siso_link_over_the_air_waveform_keeps_the_accuracy(trained, snr):
    """The SISO link over the OTA waveform through channel_model (carrier offset 1e-3, 20 ppm clock,
    a start delay, a phase) is within 2 points of the ideally synchronised system. The uplink's slots wait
    10 s for the video terminal: on a loaded machine the 1 s default lost videos to timing, not to the air."""
    data, model, _ = trained
    config = dict(model=model, data=data, channel="awgn", snr_db=snr, csi="estimated")
    ideal = np.mean([run_system(SystemConfig(seed=s, **config)).accuracy for s in (1, 2)])
    over_the_air = []
    for s in (1, 2):
        tb = ota_system_top_block(SystemConfig(seed=s, **config), impairments=Impairments(
            cfo=1e-3 * (-1) ** s, epsilon=1 + 2e-5, taps=[np.exp(0.7j * s)], delay=313 * s), slot_timeout=10.0)
        tb.run_until_done()
        result = tb.result()
        over_the_air.append(result.accuracy)
        assert result.lost == [], result.lost
        assert tb.demodulator.detected == len(tb.source.labels) and tb.demodulator.header_failures == 0
    assert abs(np.mean(over_the_air) - ideal) <= 0.02, (over_the_air, ideal)


@pytest.mark.parametrize("keep", [True, False], ids=["results_kept", "positions_only"])
def test_receiver_reports_lost_videos(tiny_system, keep):
    """Videos 0, 1 and 3 of 4 arrive: the summary names video 2 as lost and keeps the others; a receiver
    that keeps no results (the streaming programs') says the same from its positions alone."""
    data, models = tiny_system
    from gnuradio.semcom.blocks.multimodal_receiver import multimodal_receiver
    receiver = multimodal_receiver(models["av"], keep_results=keep)
    d = receiver.d
    tags = video_tags({i * 10: {"video": 100 + position, "position": position, "count": 4}
                       for i, position in enumerate((0, 1, 3))})
    tb = gr.top_block()
    streams = [blocks.vector_source_f(np.zeros(30 * d).tolist(), False, d, tags) for _ in range(2)]
    for i, s in enumerate(streams):
        tb.connect(s, (receiver, i))
    tb.run()
    assert receiver.summary() == {"expected": 4, "received": 3, "lost": [2], "errors": 0, "resumed": 0}
    assert sorted(receiver.predictions()) == ([0, 1, 3] if keep else [])
    assert len(receiver.results) == (3 if keep else 0) and 3 in receiver.seen and 2 not in receiver.seen


def test_receiver_decodes_a_video_alone_as_in_a_batch(tiny_system):
    """A video decoded alone (streaming) gets the predictions and confidences it gets among others;
    with pad_lone_video=False it runs as a batch of one, with the same classes and confidences to
    within float rounding."""
    data, models = tiny_system
    from gnuradio.semcom.blocks.multimodal_receiver import multimodal_receiver
    d = multimodal_receiver(models["av"]).d
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((2, 4 * 10, d)).astype(np.float32)

    batches = []

    def decode(first: int, count: int, pad: bool = True) -> list:
        receiver = multimodal_receiver(models["av"], pad_lone_video=pad)
        network = receiver.network
        receiver.network = lambda a, v: batches.append(a.shape[0]) or network(a, v)
        tags = video_tags({v * 10: {"video": first + v, "position": first + v, "count": 4} for v in range(count)})
        tb = gr.top_block()
        for i in range(2):
            tb.connect(blocks.vector_source_f(inputs[i, first * 10:(first + count) * 10].ravel().tolist(), False, d,
                                              tags), (receiver, i))
        tb.run()
        return [(r["position"], r["predicted"].tolist(), r["confidence"].tolist()) for r in receiver.results]

    together = decode(0, 4)
    alone = [decode(v, 1)[0] for v in range(4)]
    # the same classes; the confidences bit for bit where the BLAS rounds a batch of 2 as one of 4 (Intel),
    # to 1e-6 where it does not (OpenBLAS on an AVX2-only AMD CPU: 3e-8 apart)
    assert [a[:2] for a in alone] == [t[:2] for t in together]
    np.testing.assert_allclose([a[2] for a in alone], [t[2] for t in together], rtol=1e-6)
    assert batches == [4, 2, 2, 2, 2]                   # each lone video beside a zero video
    batches.clear()
    unpadded = [decode(v, 1, pad=False)[0] for v in range(4)]   # pad_lone_video=False: decoded alone
    assert batches == [1, 1, 1, 1]
    assert [u[:2] for u in unpadded] == [t[:2] for t in together]
    np.testing.assert_allclose([u[2] for u in unpadded], [t[2] for t in together], rtol=1e-5)


def _video_transmitter_outputs(model: str, visual: np.ndarray, audio: np.ndarray):
    """Run ``video_transmitter(model)`` on (videos, 10, ...) visual and received-audio arrays, the first
    segment of each video tagged ``semcom_video``; returns (block, (videos·10, d) output, tags by key)."""
    from gnuradio.semcom.blocks.video_transmitter import video_transmitter
    terminal = video_transmitter(model, split=True)
    tags = video_tags({v * 10: {"video": v, "position": v} for v in range(visual.shape[0])})
    tb = gr.top_block()
    visual_size, d = int(np.prod(visual.shape[2:])), audio.shape[-1]
    tb.connect(blocks.vector_source_f(visual.ravel().tolist(), False, visual_size, tags), (terminal, 0))
    tb.connect(blocks.vector_source_f(audio.ravel().tolist(), False, d), (terminal, 1))
    sink = blocks.vector_sink_f(d)
    tb.connect(terminal, sink)
    tb.run()
    found = {}
    for t in sink.tags():
        found.setdefault(pmt.symbol_to_string(t.key), {})[t.offset] = pmt.to_python(t.value)
    return terminal, np.array(sink.data(), np.float32).reshape(-1, d), found


def test_video_transmitter_split_gives_the_whole_networks_output(tmp_path, tiny_system):
    """The video terminal runs the audio-free part of its network when the visual features arrive and
    the rest with the audio: the same floats as the whole network on the same videos (and as a model
    without the split methods, which runs whole), the video tags on their segments, a video with NaN
    audio encoded from zeros and tagged semcom_error."""
    import shutil
    import torch
    from gnuradio.semcom.nn.model_dir import open_model_dir
    data, models = tiny_system
    network = open_model_dir(models["av"]).load("video_transmitter")
    rng = np.random.default_rng(11)
    d = 2 * open_model_dir(models["av"]).symbols
    visual = rng.random((3, 10, 7, 7, 512), dtype=np.float32)
    audio = rng.standard_normal((3, 10, d)).astype(np.float32)
    audio[1, 4, 0] = np.nan
    with torch.inference_mode():
        cleaned = np.where(np.isfinite(audio).all(axis=(1, 2))[:, None, None], audio, 0)
        expected = network(torch.from_numpy(visual), torch.from_numpy(cleaned)).reshape(30, d).numpy()

    class Whole(torch.nn.Module):       # the same network without encode_visual / encode_with_audio
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, visual: torch.Tensor, received_audio: torch.Tensor) -> torch.Tensor:
            return self.inner(visual, received_audio)

    whole_model = str(tmp_path / "whole")
    shutil.copytree(models["av"], whole_model)
    torch.jit.script(Whole(network)).save(f"{whole_model}/video_transmitter.pt")
    for model, split in ((models["av"], True), (whole_model, False)):
        terminal, out, found = _video_transmitter_outputs(model, visual, audio)
        assert terminal.split is split
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        assert sorted(found["semcom_video"]) == [0, 10, 20] and found["semcom_video"][10]["position"] == 1
        assert list(found["semcom_error"]) == [10] and "NaN" in found["semcom_error"][10]


def test_results_file_has_a_row_per_segment(tmp_path, tiny_system):
    data, models = tiny_system
    path = tmp_path / "predictions.csv"
    result = run_system(SystemConfig(model=models["av"], data=data, videos=3, snr_db=20.0,
                                     results_file=str(path)))
    lines = path.read_text().splitlines()
    assert lines[0] == "position,video,segment,predicted,class_name,confidence,status"
    assert len(lines) == 1 + 30 and result.received == 3 and result.lost == []


@pytest.mark.parametrize("modality,csi", [("a", "estimated"), ("v", "perfect"), ("a", "none_no_retraining"),
                                          ("v", "error_free")])
def test_unimodal_systems_run(tiny_system, modality, csi):
    data, models = tiny_system
    result = run_system(SystemConfig(model=models[modality], data=data, videos=2, csi=csi))
    assert result.received == 2 and result.segments == 20


def test_sweep_resumed_after_a_kill_gives_the_same_file(tmp_path, trained):
    data, model, _ = trained
    args = ["sweep", "--data", data, "--system", f"multimodal={model}", "--channels", "awgn", "rayleigh",
            "--snr", "0", "10", "20", "--csi", "estimated", "--videos", "8"]
    whole = semcom(*args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-3000:]
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "gnuradio.semcom.cli.main", *args, "--out", str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = cut / "runs.jsonl"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.exists() and len(runs.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(runs.read_text().splitlines())
    assert 2 <= done_before < 6, done_before
    with open(runs, "a") as f:
        f.write('{"system": "multimodal", "chan')                 # a line torn by the kill
    resumed = semcom(*args, "--out", str(cut))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (cut / "results.csv").read_bytes() == (tmp_path / "whole" / "results.csv").read_bytes()
    rows = json.loads((cut / "results.json").read_text())
    assert len(rows) == 6 and all(r["lost_videos"] == 0 for r in rows)
    assert (cut / "accuracy_awgn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,message", [
    (["--system", "multimodal=/nonexistent"], "/nonexistent/manifest.json: missing"),
    (["--channels", "rayleigh", "--snr", "55"], "SNR must be a number of dB in -10.0..40.0, got 55.0"),
    (["--data", "/nonexistent"], "/nonexistent: no such folder"),
])
def test_sweep_rejects_bad_input_before_running(tmp_path, tiny_system, args, message):
    data, models = tiny_system
    base = {"--data": data, "--system": f"multimodal={models['av']}", "--out": str(tmp_path / "out")}
    extra = []
    for flag, value in zip(args[::2], args[1::2]):
        if flag in base:
            base[flag] = value
        else:
            extra += [flag, value]
    done = semcom("sweep", *[x for kv in base.items() for x in kv], *extra, "--videos", "1")
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not os.path.exists(tmp_path / "out" / "runs.jsonl")


def test_model_and_data_mismatch_is_reported(tmp_path, tiny_system):
    data, models = tiny_system
    manifest = json.loads(open(os.path.join(models["av"], "manifest.json")).read())
    broken = tmp_path / "model"
    broken.mkdir()
    for name in os.listdir(models["av"]):
        if name.endswith(".pt"):
            os.symlink(os.path.join(models["av"], name), broken / name)
    manifest["audio_dim"] = 64
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"audio features are \(10, 128\) per video; model .* expects \(10, 64\)"):
        system_top_block(SystemConfig(model=str(broken), data=data))
    manifest["format_version"] = 9
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="format_version 9; this gr-semcom reads 1"):
        system_top_block(SystemConfig(model=str(broken), data=data))
    os.remove(broken / "receiver.pt")
    manifest["format_version"] = 1
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"receiver.pt: missing \(listed in .* as files.receiver\)"):
        system_top_block(SystemConfig(model=str(broken), data=data))
    with pytest.raises(ValueError, match="channel must be one of 'awgn', 'rayleigh', 'rician', got 'ricean'"):
        system_top_block(SystemConfig(model=models["av"], data=data, channel="ricean"))


SYSTEM_EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "examples", "system_*.grc")))


@pytest.mark.parametrize("path", SYSTEM_EXAMPLES, ids=os.path.basename)
def test_system_example_compiles_and_headless_runs(tmp_path, tiny_system, path):
    """Every full-system example compiles with grcc; the headless ones run a few videos and print the score."""
    data, models = tiny_system
    env = dict(os.environ, GRC_BLOCKS_PATH=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "grc")))
    compiled = subprocess.run(["grcc", "-o", str(tmp_path), path], env=env, capture_output=True, text=True,
                              timeout=120)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    (script,) = tmp_path.glob("*.py")
    if path.endswith("_qt.grc"):
        return                                             # a GUI: compiled only
    results = tmp_path / "segments.csv"
    ran = subprocess.run([sys.executable, str(script), "--model", models["av"], "--data", data, "--videos", "3",
                          "--results", str(results)], env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "of 30 segments); videos received 3 of 3, lost []" in ran.stdout, ran.stdout
    assert len(results.read_text().splitlines()) == 31


def test_digital_baseline_has_a_cliff_on_rayleigh(trained):
    """PCM + LDPC + 16-QAM at the semantic system's channel uses: near its error-free accuracy at 30 dB,
    far below it at 0 dB."""
    data, model, _ = trained

    def accuracy(snr, csi):
        return run_system(SystemConfig(model=model, data=data, channel="rayleigh", snr_db=snr, csi=csi,
                                       digital=DigitalBaseline())).accuracy
    error_free, high, low = accuracy(30.0, "error_free"), accuracy(30.0, "estimated"), accuracy(0.0, "estimated")
    assert high >= 0.9 * error_free, (error_free, high)
    assert low <= 0.5 * error_free, (error_free, low)
    with pytest.raises(ValueError, match="the digital baseline needs channel estimation"):
        system_top_block(SystemConfig(model=model, data=data, csi="none_no_retraining", digital=DigitalBaseline()))


def test_sweep_with_the_digital_baseline_logs_nothing_from_gnu_radio(tmp_path, trained):
    """The digital baseline's blocks carry items of 1010 to 10000 bytes, which GNU Radio's buffers round up to
    whole pages with a warning per buffer unless the flowgraph asks for that size: the sweep's output holds
    its progress, tables and paths, and no GNU Radio log line."""
    import re
    data, model, none = trained
    done = semcom("sweep", "--data", data, "--system", f"multimodal={model}", "--system", f"digital={model}",
                  "--system", f"multimodal_retrained={none}", "--channels", "rayleigh", "--snr", "0", "30",
                  "--videos", "4", "--jobs", "2", "--out", str(tmp_path / "sweep"))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "digital rayleigh 30 dB estimated" in output, output[-3000:]
    gnu_radio_lines = [line for line in output.splitlines() if re.search(r" :(warning|info|error|debug):", line)]
    assert not gnu_radio_lines, gnu_radio_lines[:5]


def test_evaluate_writes_the_twin_table(tmp_path, trained):
    data, model, _ = trained
    out = tmp_path / "evaluation.json"
    done = semcom("evaluate", "--model", model, "--data", data, "--channels", "awgn", "--snr", "15",
                  "--seeds", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    # the diagnostic without estimation runs only when asked for
    assert {(r["csi"], r["snr_db"]) for r in rows} == {("estimated", 15.0), ("perfect", 15.0), ("error_free", 15.0)}
    assert all(0 <= r["accuracy"] <= 1 for r in rows) and "est/perfect" in done.stdout
    assert json.loads(out.read_text())["fading"] == "burst"                   # as the model was trained
    segment = tmp_path / "segment.json"
    done = semcom("evaluate", "--model", model, "--data", data, "--channels", "rayleigh", "--snr", "15",
                  "--csi", "perfect", "--seeds", "1", "--fading", "segment", "--out", str(segment))
    assert done.returncode == 0 and json.loads(segment.read_text())["fading"] == "segment", done.stderr[-2000:]
