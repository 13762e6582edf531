#!/usr/bin/env python3
"""Writes the full-system example flowgraphs (examples/system_*.grc) for GNU Radio Companion.

One headless flowgraph per channel (awgn, rayleigh, rician) and a QT GUI variant on Rayleigh with
the detected audio and video constellations. The wiring is the one of
``gnuradio.semcom.flowgraphs.system`` for estimated or perfect CSI. Rerun after changing a block's
parameters: ``python3 examples/make_system_examples.py``.
"""
from __future__ import annotations

import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def block(block_name, block_id, x, y, **parameters):
    return {"name": block_name, "id": block_id, "parameters": {k: str(v) for k, v in parameters.items()},
            "states": {"coordinate": [x, y], "rotation": 0, "state": "enabled"}}


def parameter(name, label, kind, value, x, short_id=""):
    return block(name, "parameter", x, 8, hide="none", label=label, short_id=short_id, type=kind, value=value)


def link(prefix, users, antennas, x, y, siso):
    """mappers → to-burst → pilot inserters → channel → LS → ZF → to-segments → demappers."""
    pilot_len = "siso_pilot_len" if siso else "pilot_len"
    blocks, seed = [], "seed" if siso else "seed + 1"
    for k in range(users):
        yk = y + 120 * k
        blocks += [
            block(f"{prefix}mapper_{k}", "semcom_euler_mapper", x, yk, d="2 * L", segments_per_burst="segments", user=k),
            block(f"{prefix}to_burst_{k}", "blocks_stream_to_vector", x + 180, yk, num_items="segments",
                  type="complex", vlen="L"),
            block(f"{prefix}pilots_{k}", "semcom_pilot_inserter", x + 360, yk, payload_len="segments * L", user=k,
                  users=users, pilot_steps="pilot_steps", pilot_len=pilot_len, pilot_source="pilot_source",
                  zc_root=1, pilot_file="pilot_file"),
        ]
    burst = f"pilot_steps * {pilot_len} + segments * L"
    blocks += [
        block(f"{prefix}channel", "semcom_mimo_channel", x + 560, y, channel="channel", antennas=antennas,
              users=users, burst_len=burst, snr_db="snr_db", rician_k="4.0", fading="block", doppler="0.001",
              sinusoids=32, seed=seed),
        block(f"{prefix}estimator", "semcom_ls_channel_estimator", x + 760, y, antennas=antennas, users=users,
              payload_len="segments * L", pilot_steps="pilot_steps", pilot_len=pilot_len,
              pilot_source="pilot_source", zc_root=1, pilot_file="pilot_file", mode="min_residual", snr_db="snr_db"),
        block(f"{prefix}detector", "semcom_zf_detector", x + 960, y, antennas=antennas, users=users,
              payload_len="segments * L", method="zf", csi="csi", snr_db="snr_db", max_condition="1e6"),
    ]
    for k in range(users):
        blocks += [
            block(f"{prefix}to_segments_{k}", "blocks_vector_to_stream", x + 1160, y + 120 * k, num_items="segments",
                  type="complex", vlen="L"),
            block(f"{prefix}demapper_{k}", "semcom_euler_demapper", x + 1340, y + 120 * k, d="2 * L", user=k),
        ]
    connections = []
    for k in range(users):
        connections += [[f"{prefix}mapper_{k}", "0", f"{prefix}to_burst_{k}", "0"],
                        [f"{prefix}to_burst_{k}", "0", f"{prefix}pilots_{k}", "0"],
                        [f"{prefix}pilots_{k}", "0", f"{prefix}channel", str(k)],
                        [f"{prefix}detector", str(k), f"{prefix}to_segments_{k}", "0"],
                        [f"{prefix}to_segments_{k}", "0", f"{prefix}demapper_{k}", "0"]]
    for m in range(antennas):
        connections += [[f"{prefix}channel", str(m), f"{prefix}estimator", str(m)],
                        [f"{prefix}estimator", str(m), f"{prefix}detector", str(m)]]
    return blocks, connections


SUMMARY = """summary = self.receiver.summary()
predictions = self.receiver.predictions()
labels = self.source.labels
correct = sum(int((predictions[p] == labels[p]).sum()) for p in predictions)
print('segment accuracy %.4f (%d of %d segments); videos received %d of %d, lost %s' % (
    correct / labels.size, correct, labels.size, summary['received'], summary['expected'], summary['lost']))"""


def flowgraph(channel: str, gui: bool) -> dict:
    title = f"Multimodal semantic system, {channel} channel" + (" (QT GUI)" if gui else "")
    name = f"system_{channel}" + ("_qt" if gui else "")
    blocks = [
        block("options_0", "options", 8, 8, author="gr-semcom", title=title, id=name, output_language="python",
              generate_options="qt_gui" if gui else "no_gui", run_command="{python} -u {filename}",
              run_options="prompt" if gui else "run", category="[GRC Hier Blocks]",
              description=("Audio terminal -> SISO link -> video terminal (AGVA); both -> 2x2 uplink with "
                           "pilots, LS and ZF -> PSP receiver. Needs a model directory (semcom train) and an "
                           "AVE-format dataset (semcom data synth) with Zadoff-Chu pilots (10 x 16, the "
                           "training default). Headless: --model, --data, --videos, --snr-db, --csi, --results, "
                           "--L; prints the segment accuracy.")),
        parameter("model", "Model directory", "str", "models/av", 200, "m"),
        parameter("data", "Dataset folder", "str", "data/synth", 340, "D"),
        parameter("videos", "Test videos (0 = all)", "intx", "20", 480, "n"),
        parameter("snr_db", "SNR (dB)", "eng_float", "15", 620, "s"),
        parameter("csi", "CSI (estimated, perfect)", "str", "estimated", 760, "C"),
        parameter("results", "Results CSV ('' = none)", "str", "", 900, "r"),
        parameter("seed", "Channel seed", "intx", "1", 1040),
        parameter("L", "Symbols per segment (model's L)", "intx", "64", 1180),
        block("channel", "variable", 200, 100, value=repr(channel)),
        block("segments", "variable", 300, 100, value="10"),
        block("pilot_source", "variable", 400, 100, value="'zadoff_chu'"),
        block("pilot_file", "variable", 520, 100, value="''"),
        block("pilot_steps", "variable", 640, 100, value="10"),
        block("pilot_len", "variable", 760, 100, value="16"),
        block("siso_pilot_len", "variable", 880, 100, value="pilot_len"),
        block("source", "semcom_feature_source", 8, 300, data="data", split="test", videos="videos",
              segments_per_second="0", check="True"),
        block("audio_tx", "semcom_audio_transmitter", 200, 220, model="model", symbols="L", torch_threads=0),
        block("video_tx", "semcom_video_terminal", 200, 700, model="model", symbols="L", audio_link="True",
              torch_threads=0),
        block("receiver", "semcom_multimodal_receiver", 1700, 500, model="model", symbols="L", inputs=2,
              results_file="results", torch_threads=0),
        block("snippet_0", "snippet", 1300, 8, code=SUMMARY, priority="0", section="main_after_stop"),
    ]
    siso_blocks, siso_conn = link("siso_", 1, 1, 400, 220, True)
    up_blocks, up_conn = link("up_", 2, 2, 400, 500, False)
    blocks += siso_blocks + up_blocks
    connections = siso_conn + up_conn + [
        ["source", "0", "audio_tx", "0"],
        ["source", "1", "video_tx", "0"],
        ["audio_tx", "0", "siso_mapper_0", "0"],
        ["audio_tx", "0", "up_mapper_0", "0"],
        ["siso_demapper_0", "0", "video_tx", "1"],
        ["video_tx", "0", "up_mapper_1", "0"],
        ["up_demapper_0", "0", "receiver", "0"],
        ["up_demapper_1", "0", "receiver", "1"],
    ]
    if gui:
        for k, label in enumerate(("audio", "video")):
            blocks.append(block(f"constellation_{k}", "qtgui_const_sink_x", 1400, 900 + 140 * k, type="complex",
                                name=f"'Detected {label} symbols (uplink user {k})'", size=1024, nconnections=1,
                                autoscale="True", ymin=-2, ymax=2, xmin=-2, xmax=2, update_time=0.2,
                                grid="True", legend="False", axislabels="True", gui_hint=f"0,{k},1,1"))
            blocks.append(block(f"to_symbols_{k}", "blocks_vector_to_stream", 1200, 900 + 140 * k, num_items="L",
                                type="complex", vlen=1))
            connections += [[f"up_to_segments_{k}", "0", f"to_symbols_{k}", "0"],
                            [f"to_symbols_{k}", "0", f"constellation_{k}", "0"]]
    return {"options": {"parameters": blocks[0]["parameters"], "states": blocks[0]["states"]},
            "blocks": blocks[1:], "connections": connections,
            "metadata": {"file_format": 1, "grc_version": "3.10.5.1"}}


def main() -> None:
    for channel in ("awgn", "rayleigh", "rician"):
        for gui in (False, True) if channel == "rayleigh" else (False,):
            graph = flowgraph(channel, gui)
            path = os.path.join(HERE, graph["options"]["parameters"]["id"] + ".grc")
            with open(path, "w") as f:
                yaml.safe_dump(graph, f, sort_keys=False, width=110)
            print("wrote", path)


if __name__ == "__main__":
    main()
