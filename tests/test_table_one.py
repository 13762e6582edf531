# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Table I in the sweep's plan and report: csi 'none_retrained' (a receiver retrained for the raw antenna
signals, as the paper ran it) and the diagnostic 'none_no_retraining' (the trained system without its
estimation block, no retraining)."""
import csv
import json

import pytest

import torch  # noqa: E402,F401  (a missing PyTorch fails the suite)

from conftest import easy_synth, untrained_model  # noqa: E402
from gnuradio.semcom.eval.report import table_one, write_table_one  # noqa: E402
from gnuradio.semcom.eval.sweep import plan  # noqa: E402


def row(system, channel, snr, csi, accuracy):
    return {"system": system, "channel": channel, "snr_db": snr, "csi": csi, "accuracy": accuracy}


def test_table_one_reports_the_retrained_receiver_and_the_diagnostic(tmp_path):
    rows = [row("multimodal", "rayleigh", 6.0, "estimated", 0.8),
            row("multimodal", "rayleigh", 6.0, "none_no_retraining", 0.2),
            row("multimodal_retrained", "rayleigh", 6.0, "none_retrained", 0.6),
            row("multimodal", "rayleigh", 6.0, "perfect", 0.82),
            row("audio_only", "awgn", 0.0, "estimated", 0.5),
            row("audio_only", "awgn", 0.0, "none_no_retraining", 0.45),
            row("video_only", "awgn", 0.0, "estimated", 0.4)]          # no run without estimation: no line
    table = table_one(rows)
    assert [(r["system"], r["channel"]) for r in table] == [("audio_only", "awgn"), ("multimodal", "rayleigh")]
    multimodal = table[1]
    assert multimodal["without_estimation"] == 0.6 and multimodal["no_retraining"] == 0.2
    assert multimodal["relative_drop"] == pytest.approx(0.25)
    assert multimodal["relative_drop_no_retraining"] == pytest.approx(0.75)
    assert table[0]["without_estimation"] is None and table[0]["relative_drop_no_retraining"] == pytest.approx(0.1)
    with open(write_table_one(table, str(tmp_path)), newline="") as f:
        lines = list(csv.DictReader(f))
    assert lines[1]["without_estimation"] == "0.6000" and lines[1]["relative_drop_no_retraining"] == "0.7500"
    assert lines[0]["without_estimation"] == "" and lines[0]["snr_db"] == "0.0"


def test_an_older_runs_file_reads_its_none_rows_as_the_diagnostic(tmp_path):
    """runs.jsonl rows written while the diagnostic was called 'none' resume as 'none_no_retraining'."""
    from gnuradio.semcom.eval.sweep import read_done
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(row("multimodal", "rayleigh", 6.0, csi, 0.5)) + "\n"
                            for csi in ("estimated", "none")))
    assert set(read_done(str(path))) == {("multimodal", "rayleigh", 6.0, "estimated"),
                                         ("multimodal", "rayleigh", 6.0, "none_no_retraining")}


def test_plan_runs_each_model_in_its_modes(tmp_path):
    data = easy_synth(str(tmp_path / "synth"), videos=40)
    model = untrained_model(data, str(tmp_path / "av"), symbols=8)
    retrained = untrained_model(data, str(tmp_path / "av_retrained"), symbols=8)
    manifest = tmp_path / "av_retrained" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "csi": "none_retrained"}))
    modes = ["estimated", "perfect", "none_retrained", "none_no_retraining", "error_free"]
    jobs = plan({"multimodal": model, "multimodal_retrained": retrained, "digital": model}, ["rayleigh"], [0.0, 6.0],
                modes)
    runs = {}
    for job in jobs:
        runs.setdefault(job.system, set()).add(job.csi)
    assert runs == {"multimodal": {"estimated", "perfect", "none_no_retraining", "error_free"},
                    "multimodal_retrained": {"none_retrained"}, "digital": {"estimated", "perfect", "error_free"}}
    with pytest.raises(ValueError, match="retrained for csi 'none_retrained', which is not among the requested"):
        plan({"multimodal_retrained": retrained}, ["rayleigh"], [0.0], ["estimated", "none_no_retraining"])
