# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `semcom` command: help, a short link run with its result files, and clear errors for bad input."""
import csv
import json
import os
import subprocess
import sys
import sysconfig

import pytest

from conftest import semcom

BUILD = os.environ.get("SEMCOM_BUILD_DIR", "")


@pytest.mark.skipif(not BUILD, reason="needs SEMCOM_BUILD_DIR (set by ctest)")
def test_installed_script_shows_help():
    done = subprocess.run([os.path.join(BUILD, "apps", "semcom"), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "link" in done.stdout


@pytest.mark.parametrize("command,options", [
    (["link"], ("--channel", "--snr", "--estimator", "--pilot-source", "--out")),
    (["data", "synth"], ("--out", "--videos", "--seed", "--annotations", "--preset")),
    (["data", "check"], ("folder",)),
    (["train"], ("--data", "--modality", "--csi", "--pilot", "--resume", "--transmitters-from")),
    (["sweep"], ("--system", "--channels", "--snr", "--csi", "--jobs", "--restart", "--scheduler",
                 "--scheduler-timeout")),
    (["demo"], ("--out", "--videos", "--epochs", "--jobs")),
    (["evaluate"], ("--model", "--data", "--csi", "--seeds")),
    (["features"], ("--out", "--vggish", "--vgg19", "--annotations")),
    (["audio-terminal"], ("--model", "--data", "--videos", "--rate", "--siso-out", "--uplink-out", "--idle-timeout")),
    (["channel"], ("--channel", "--snr", "--seed", "--audio-siso", "--video-uplink", "--antenna-out",
                   "--slot-timeout")),
    (["video-terminal"], ("--model", "--data", "--siso", "--uplink-out", "--csi")),
    (["receiver"], ("--antenna", "--results", "--summary", "--start-timeout", "--cpu-latency-us")),
    (["loopback"], ("--device", "--api", "--sample-rate", "--frequency", "--tx-gain", "--rx-gain", "--emulate",
                    "--realtime",
                    "--cfo", "--epsilon", "--taps", "--sps", "--rolloff", "--threshold")),
])
def test_help_of_every_subcommand(command, options):
    done = semcom(*command, "--help")
    assert done.returncode == 0, done.stderr
    for option in options:
        assert option in done.stdout, option


def test_link_run_writes_csv_json_png(tmp_path):
    done = semcom("link", "--snr", "0", "20", "--bursts", "20", "--channel", "rician", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "SNR dB" in done.stdout and "estimated" in done.stdout
    rows = list(csv.DictReader(open(tmp_path / "link.csv")))
    assert [(r["snr_db"], r["csi"]) for r in rows] == [("0.0", "perfect"), ("0.0", "estimated"),
                                                       ("20.0", "perfect"), ("20.0", "estimated")]
    assert float(rows[0]["ber"]) > float(rows[2]["ber"])          # more SNR, fewer errors
    assert json.load(open(tmp_path / "link.json"))[1]["estimator"] == "min_residual"
    assert (tmp_path / "link.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,message", [
    (["link", "--channel", "nakagami"], "invalid choice: 'nakagami'"),
    (["link", "--snr", "nan", "--bursts", "1"], "snr_db must be a finite number of dB, got nan"),
    (["link", "--users", "3", "--antennas", "2", "--bursts", "1"], r"antennas (M) must be >= users (K) = 3"),
    (["link", "--d", "7", "--bursts", "1"], "d must be even"),
    (["link", "--pilot-source", "file", "--bursts", "1"], "pilot_file must be given when pilot_source is 'file'"),
])
def test_bad_input_is_reported_without_traceback(tmp_path, args, message):
    done = semcom(*args, "--out", str(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_data_synth_then_check(tmp_path):
    out = str(tmp_path / "ave")
    done = semcom("data", "synth", "--out", out, "--videos", "12", "--seed", "4")
    assert done.returncode == 0, done.stderr
    assert "(calibrated preset): 10/1/1 videos (train/val/test)" in done.stderr
    with open(os.path.join(out, "synth.json")) as f:
        assert json.load(f)["preset"] == "calibrated"
    checked = semcom("data", "check", out)
    assert checked.returncode == 0 and f"{out}: OK" in checked.stderr


def test_data_check_lists_every_problem(tmp_path):
    done = semcom("data", "check", str(tmp_path))
    assert done.returncode == 1
    for name in ("audio_feature.h5", "visual_feature.h5", "labels.h5", "train_order.h5", "test_order.h5"):
        assert f"{name}: missing" in done.stderr


@pytest.mark.parametrize("args,message", [
    (["receiver", "--antenna", "tcp://999.1.1.1:1", "garbage"],
     "endpoint 'tcp://999.1.1.1:1': expected tcp://HOST:PORT"),
    (["receiver", "--antenna", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:5606"], "PORT in 1..65535"),
    (["receiver", "--antenna", "udp://127.0.0.1:5605", "tcp://127.0.0.1:5606"], "expected tcp://HOST:PORT"),
    (["audio-terminal", "--siso-out", "tcp://198.51.100.7:5601"], "ZMQ cannot bind it"),
])
def test_bad_endpoints_get_one_line_errors(tiny_system, args, message):
    """Endpoints are checked before any flowgraph runs; an address ZMQ cannot bind (not this host's) is named.
    198.51.100.7 is in TEST-NET-2 (RFC 5737), never a local address."""
    data, models = tiny_system
    extra = ["--model", models["av"]] + (["--data", data] if args[0] == "audio-terminal" else [])
    done = semcom(*args[:1], *extra, *args[1:], "--start-timeout", "1", timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("modality", ["a", "v"])
def test_loopback_refuses_a_unimodal_model(tiny_system, modality):
    data, models = tiny_system
    done = semcom("loopback", "--model", models[modality], "--data", data, "--emulate", "--snr", "9", timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "-only model has no SISO link" in done.stderr and "multimodal ('av') model" in done.stderr, done.stderr


@pytest.mark.parametrize("command,message", [
    (["train", "--lr", "-1"], "--lr must be > 0"),
    (["train", "--lambda", "nan"], "--lambda must be a finite number >= 0, got nan"),
    (["train", "--limit", "-3"], "--limit must be >= 1"),
    (["train", "--resume"], "checkpoint.pt does not exist (no earlier run in"),
    (["evaluate", "--seeds", "0"], "--seeds must be >= 1, got 0"),
    (["evaluate", "--out", "/nonexistent/evaluation.json"], "folder /nonexistent does not exist"),
    (["demo", "--snr", "inf"], "--snr must be a number of dB in -10.0..40.0, got inf"),
    (["receiver", "--start-timeout", "-5"], "expected a finite number of seconds > 0, got '-5'"),
    (["channel", "--slot-timeout", "0"], "argument --slot-timeout: expected a finite number of seconds > 0"),
    (["receiver", "--cpu-latency-us", "-2"], "argument --cpu-latency-us: expected a whole number of µs >= 0, or -1"),
    (["channel", "--cpu-latency-us", "0.5"], "argument --cpu-latency-us: expected a whole number of µs >= 0, or -1"),
    (["sweep", "--scheduler", "not-an-address"], "--scheduler not-an-address: expected tcp://HOST:PORT"),
])
def test_bad_settings_are_refused_before_any_work(tiny_system, tmp_path, command, message):
    """Each is refused with one line (exit 2) before data is written, a model trained or a flowgraph built."""
    data, models = tiny_system
    given = {"train": ["--data", data, "--out", str(tmp_path / "m"), "--epochs", "1"],
             "evaluate": ["--model", models["av"], "--data", data],
             "demo": ["--out", str(tmp_path / "demo")],
             "receiver": ["--model", models["av"]],
             "channel": ["--model", models["av"]],
             "sweep": ["--data", data, "--system", f"multimodal={models['av']}", "--out", str(tmp_path / "s")]}
    done = semcom(command[0], *given[command[0]], *command[1:], timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "demo").exists() and not (tmp_path / "m" / "manifest.json").exists()


def test_a_missing_dataset_folder_is_named_once(tmp_path):
    done = semcom("data", "check", str(tmp_path / "nothere"))
    assert done.returncode == 1
    assert f"{tmp_path / 'nothere'}: no such folder" in done.stderr and "audio_feature.h5" in done.stderr
    assert ".h5: missing" not in done.stderr, done.stderr


@pytest.mark.parametrize("field,value,message", [
    ("symbols_per_segment", "many", "symbols_per_segment must be a whole number >= 1, got 'many'"),
    ("audio_dim", 64, "audio features are (10, 128) per video; model"),
])
def test_a_manifest_that_does_not_fit_is_refused(tiny_system, tmp_path, field, value, message):
    import shutil
    data, models = tiny_system
    folder = tmp_path / "model"
    shutil.copytree(models["av"], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[field] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    done = semcom("evaluate", "--model", str(folder), "--data", data, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_keys_never_replace_keys_already_in_a_folder(tmp_path):
    folder = tmp_path / "keys"
    assert semcom("keys", str(folder)).returncode == 0
    for secret in folder.glob("*.key_secret"):
        secret.unlink()                                # the public keys of another run stay
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = semcom("keys", str(folder))
    assert done.returncode == 2 and "holds keys already" in done.stderr, done.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


# Debian's libblas3 (bootstrap.sh test installs it)
REFERENCE_BLAS = f"/usr/lib/{sysconfig.get_config_var('MULTIARCH') or 'x86_64-linux-gnu'}/blas"


def test_version_names_pytorch_and_its_blas():
    done = semcom("--version")
    import torch
    assert done.returncode == 0, done.stderr
    assert f"PyTorch {torch.__version__}" in done.stdout and "BLAS: " in done.stdout, done.stdout
    assert "BLAS: reference" not in done.stdout and "warning" not in done.stdout, done.stdout


@pytest.mark.skipif(not os.path.isfile(os.path.join(REFERENCE_BLAS, "libblas.so.3")), reason="needs libblas3")
def test_version_warns_on_the_reference_blas():
    """Debian's PyTorch made to load the reference BLAS (as where GNU Radio's packages left it selected):
    `semcom --version` says so and names the package to install. PyPI's PyTorch carries its own BLAS."""
    import torch
    if "BLAS_INFO=generic" not in torch.__config__.show():
        pytest.skip("this PyTorch does not use the system's BLAS")
    env = dict(os.environ, LD_LIBRARY_PATH=REFERENCE_BLAS)
    done = subprocess.run([sys.executable, "-m", "gnuradio.semcom.cli.main", "--version"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"BLAS: reference BLAS ({REFERENCE_BLAS}/libblas.so.3" in done.stdout, done.stdout
    assert "warning: " in done.stdout and "apt-get install libopenblas0-pthread" in done.stdout, done.stdout
