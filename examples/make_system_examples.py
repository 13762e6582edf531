#!/usr/bin/env python3
# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the full-system example flowgraphs (examples/system_*.grc, examples/sdr_loopback.grc) for
GNU Radio Companion.

One headless flowgraph per channel (awgn, rayleigh, rician) and a QT GUI variant on Rayleigh with
the detected audio and video constellations. The wiring is the one of
``gnuradio.semcom.flowgraphs.system`` for estimated or perfect CSI. ``sdr_loopback.grc`` sends the
SISO link over a SoapySDR radio in loopback (``gnuradio.semcom.flowgraphs.loopback``). Rerun after
changing a block's parameters: ``python3 examples/make_system_examples.py``.
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


def link(prefix, users, antennas, x, y, siso, align=False):
    """mappers → to-burst → pilot inserters (→ slot aligner) → channel → LS → ZF → to-segments → demappers."""
    pilot_len = "siso_pilot_len" if siso else "pilot_len"
    blocks, seed = [], "seed" if siso else "seed + 1"
    for k in range(users):
        yk = y + 120 * k
        blocks += [
            block(f"{prefix}mapper_{k}", "semcom_euler_mapper", x, yk, d="2 * L", segments_per_burst="segments",
                  user=k),
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
    if align:
        blocks.append(block(f"{prefix}aligner", "semcom_slot_aligner", x + 460, y + 240, burst_len=burst,
                            users=users, timeout="1.0"))
    for k in range(users):
        into_channel = [f"{prefix}pilots_{k}", "0", f"{prefix}channel", str(k)]
        if align:
            connections += [[f"{prefix}pilots_{k}", "0", f"{prefix}aligner", str(k)],
                            [f"{prefix}aligner", str(k), f"{prefix}channel", str(k)]]
            into_channel = None
        connections += [[f"{prefix}mapper_{k}", "0", f"{prefix}to_burst_{k}", "0"],
                        [f"{prefix}to_burst_{k}", "0", f"{prefix}pilots_{k}", "0"],
                        [f"{prefix}detector", str(k), f"{prefix}to_segments_{k}", "0"],
                        [f"{prefix}to_segments_{k}", "0", f"{prefix}demapper_{k}", "0"]]
        if into_channel:
            connections.append(into_channel)
    for m in range(antennas):
        connections += [[f"{prefix}channel", str(m), f"{prefix}estimator", str(m)],
                        [f"{prefix}estimator", str(m), f"{prefix}detector", str(m)]]
    return blocks, connections


INPUTS_CHECK = """problem = semcom.missing_inputs(self.model_dir, self.data_dir, {name!r})
if problem:
    raise SystemExit(problem)"""


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
                           "AVE-format dataset (semcom data synth); empty ('', the default) means the ones semcom demo "
                           "writes to ~/.local/share/gr-semcom. Symbols per segment and pilots come from the "
                           "model's manifest.json. Headless: --model, --data, --videos, --snr-db, --csi, "
                           "--results; prints the segment accuracy.")),
        parameter("model", "Model directory ('' = the demo's)", "str", "", 200, "m"),
        parameter("data", "Dataset folder ('' = the demo's)", "str", "", 340, "D"),
        parameter("videos", "Test videos (0 = all)", "intx", "20", 480, "n"),
        parameter("snr_db", "SNR (dB)", "eng_float", "15", 620, "s"),
        parameter("csi", "CSI (estimated, perfect)", "str", "estimated", 760, "C"),
        parameter("results", "Results CSV ('' = none)", "str", "", 900, "r"),
        parameter("seed", "Channel seed", "intx", "1", 1040),
        *([parameter("rate", "Seconds of video per second (0 = as fast as it goes)", "eng_float", "10", 1180)]
          if gui else []),
        block("model_dir", "variable", 1040, 100, value="semcom.model_folder(model)"),
        block("data_dir", "variable", 1040, 160, value="semcom.data_folder(data)"),
        block("model_ports", "variable", 1180, 100, value="semcom.model_ports(model_dir)"),
        block("L", "variable", 1320, 100, value="model_ports.symbols"),
        block("channel", "variable", 200, 100, value=repr(channel)),
        block("segments", "variable", 300, 100, value="10"),
        block("pilot_source", "variable", 400, 100, value="model_ports.pilots.source"),
        block("pilot_file", "variable", 520, 100, value="model_ports.pilots.file"),
        block("pilot_steps", "variable", 640, 100, value="model_ports.pilots.steps"),
        block("pilot_len", "variable", 760, 100, value="model_ports.pilots.length_for(2)"),
        block("siso_pilot_len", "variable", 880, 100, value="model_ports.pilots.length_for(1)"),
        block("source", "semcom_feature_source", 8, 300, data="data_dir", split="test", videos="videos",
              segments_per_second="rate" if gui else "0", check="True"),
        block("audio_tx", "semcom_audio_transmitter", 200, 220, model="model_dir", torch_threads=0),
        block("video_tx", "semcom_video_transmitter", 200, 700, model="model_dir", torch_threads=0),
        block("receiver", "semcom_multimodal_receiver", 1700, 500, model="model_dir", results_file="results",
              torch_threads=0),
        block("snippet_0", "snippet", 1300, 8, code=SUMMARY, priority="0", section="main_after_stop"),
        block("snippet_inputs", "snippet", 1300, 60, code=INPUTS_CHECK.format(name=name), priority="1",
              section="init_before_blocks"),
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
        # the live view: decided vs true events, running accuracy and pilot fit; the uplink's samples
        # at the two antennas before ZF and the two users' symbols after it
        blocks.append(block("timeline", "semcom_event_timeline", 1900, 500, data="data_dir", gui_hint="0,0,1,2"))
        connections += [["receiver", "predictions", "timeline", "predictions"]]
        views = (("before_zf", "'Received payload at antennas 1 and 2 (before ZF)'", "up_estimator",
                  "segments * L", "'Antenna 1'", "'Antenna 2'", 3),
                 ("after_zf", "'Detected symbols after ZF (audio user, video user)'", "up_to_segments_",
                  "L", "'Audio'", "'Video'", 2))
        for v, (name, title, source, items, first, second, limit) in enumerate(views):
            blocks.append(block(f"constellation_{name}", "qtgui_const_sink_x", 1400, 900 + 160 * v, type="complex",
                                name=title, size=512, nconnections=2, autoscale="False", ymin=-limit, ymax=limit,
                                xmin=-limit, xmax=limit, update_time=0.2, grid="True", legend="True", axislabels="True",
                                label1=first, label2=second, alpha1=0.6, alpha2=0.6, gui_hint=f"1,{v},1,1"))
            for k in range(2):
                blocks.append(block(f"{name}_to_stream_{k}", "blocks_vector_to_stream", 1200, 900 + 160 * v + 60 * k,
                                    num_items=items, type="complex", vlen=1))
                port = [source, str(k)] if source == "up_estimator" else [f"{source}{k}", "0"]
                connections += [port + [f"{name}_to_stream_{k}", "0"],
                                [f"{name}_to_stream_{k}", "0", f"constellation_{name}", str(k)]]
    return {"options": {"parameters": blocks[0]["parameters"], "states": blocks[0]["states"]},
            "blocks": blocks[1:], "connections": connections,
            "metadata": {"file_format": 1, "grc_version": "3.10.5.1"}}


RADIO_CHECK = """from gnuradio import soapy as soapy_check
try:
    soapy_check.source('driver=' + self.device, 'fc32', 1, '', '', [''], [''])
except RuntimeError as error:
    raise SystemExit('sdr_loopback: no SoapySDR device for driver=%s (%s); SoapySDRUtil --find lists the devices '
                     'this machine sees' % (self.device, error))"""


def loopback_flowgraph() -> dict:
    """The system with the SISO link over a SoapySDR radio: TX port cabled to RX port (attenuator)."""
    graph = flowgraph("awgn", False)
    options = graph["options"]["parameters"]
    options.update(id="sdr_loopback", title="Multimodal semantic system, SISO link over an SDR in loopback",
                   description=("The audio terminal's SISO bursts go over a real radio: OTA modulator (ZC preamble, "
                                "header, RRC) -> SoapySDR sink -> cable with >= 30 dB attenuation -> SoapySDR source "
                                "-> OTA demodulator (detection, CFO, timing) -> LS -> ZF -> video terminal, which "
                                "looks up the visual features of the videos it heard; the 2x2 uplink is simulated "
                                "and its slot aligner marks videos lost on the air. Runs until stopped; prints the "
                                "accuracy then. Parameters: --device (SoapySDR driver name), --sample-rate, "
                                "--frequency, "
                                "--tx-gain, --rx-gain."))
    keep = [b for b in graph["blocks"] if not b["name"].startswith("siso_") or b["id"] == "variable"]
    graph["blocks"] = keep + [
        parameter("device", "SoapySDR driver (e.g. uhd, hackrf, lime)", "str", "uhd", 1320, "d"),
        parameter("sample_rate", "Sample rate (S/s)", "eng_float", "1e6", 1460),
        parameter("frequency", "Centre frequency (Hz)", "eng_float", "915e6", 1600),
        parameter("tx_gain", "TX gain (dB)", "eng_float", "0", 1740),
        parameter("rx_gain", "RX gain (dB)", "eng_float", "20", 1880),
        block("siso_burst_len", "variable", 1000, 100, value="pilot_steps * siso_pilot_len + segments * L"),
        block("siso_mapper_0", "semcom_euler_mapper", 400, 220, d="2 * L", segments_per_burst="segments", user=0),
        block("siso_to_burst_0", "blocks_stream_to_vector", 580, 220, num_items="segments", type="complex",
              vlen="L"),
        block("siso_pilots_0", "semcom_pilot_inserter", 760, 220, payload_len="segments * L", user=0, users=1,
              pilot_steps="pilot_steps", pilot_len="siso_pilot_len", pilot_source="pilot_source", zc_root=1,
              pilot_file="pilot_file"),
        block("ota_tx", "semcom_ota_modulator", 960, 220, burst_len="siso_burst_len", sps=4, rolloff=0.35,
              preamble_len=31, guard=32, length_tag="packet_len"),
        block("radio_tx", "soapy_custom_sink", 1160, 220, driver="device", type="fc32", nchan=1, dev_args="''",
              stream_args="''", samp_rate="sample_rate", tune_args0="''", settings0="''", bandwidth0=0,
              antenna0="''", center_freq0="frequency", freq_correction0=0, gain0="tx_gain", dc_offset0=0,
              iq_balance0=0),
        block("radio_rx", "soapy_custom_source", 1160, 360, driver="device", type="fc32", nchan=1, dev_args="''",
              stream_args="''", samp_rate="sample_rate", tune_args0="''", settings0="''", bandwidth0=0,
              antenna0="''", center_freq0="frequency", freq_correction0=0, agc0="False", gain0="rx_gain",
              dc_removal0="False", dc_offset0=0, iq_balance0=0),
        block("ota_rx", "semcom_ota_demodulator", 1360, 360, burst_len="siso_burst_len", sps=4, rolloff=0.35,
              preamble_len=31, threshold=0.3),
        block("siso_estimator", "semcom_ls_channel_estimator", 1560, 360, antennas=1, users=1,
              payload_len="segments * L", pilot_steps="pilot_steps", pilot_len="siso_pilot_len",
              pilot_source="pilot_source", zc_root=1, pilot_file="pilot_file", mode="min_residual", snr_db="snr_db"),
        block("siso_detector", "semcom_zf_detector", 1760, 360, antennas=1, users=1, payload_len="segments * L",
              method="zf", csi="'estimated'", snr_db="snr_db", max_condition="1e6"),
        block("siso_to_segments_0", "blocks_vector_to_stream", 1960, 360, num_items="segments", type="complex",
              vlen="L"),
        block("siso_demapper_0", "semcom_euler_demapper", 2140, 360, d="2 * L", user=0),
        block("lookup", "semcom_feature_lookup", 200, 900, data="data_dir", split="test", vlen="2 * L", check="False"),
        block("visual_sink", "blocks_null_sink", 200, 1000, type="float", vlen=25088, num_inputs=1,
              bus_structure_sink="[[0,],]"),
    ]
    graph["blocks"] = [b for b in graph["blocks"] if not b["name"].startswith("up_")]
    up_blocks, up_conn = link("up_", 2, 2, 400, 500, False, align=True)
    graph["blocks"] += up_blocks
    graph["connections"] = up_conn + [
        ["source", "0", "audio_tx", "0"],
        ["source", "1", "visual_sink", "0"],
        ["audio_tx", "0", "siso_mapper_0", "0"],
        ["siso_mapper_0", "0", "siso_to_burst_0", "0"],
        ["siso_to_burst_0", "0", "siso_pilots_0", "0"],
        ["siso_pilots_0", "0", "ota_tx", "0"],
        ["ota_tx", "0", "radio_tx", "0"],
        ["radio_rx", "0", "ota_rx", "0"],
        ["ota_rx", "0", "siso_estimator", "0"],
        ["siso_estimator", "0", "siso_detector", "0"],
        ["siso_detector", "0", "siso_to_segments_0", "0"],
        ["siso_to_segments_0", "0", "siso_demapper_0", "0"],
        ["siso_demapper_0", "0", "lookup", "0"],
        ["lookup", "0", "video_tx", "0"],
        ["siso_demapper_0", "0", "video_tx", "1"],
        ["audio_tx", "0", "up_mapper_0", "0"],
        ["video_tx", "0", "up_mapper_1", "0"],
        ["up_demapper_0", "0", "receiver", "0"],
        ["up_demapper_1", "0", "receiver", "1"],
    ]
    for b in graph["blocks"]:
        if b["name"] == "snippet_inputs":
            b["parameters"]["code"] = INPUTS_CHECK.format(name="sdr_loopback")
    graph["blocks"].append(block("snippet_radio", "snippet", 1300, 100, code=RADIO_CHECK, priority="0",
                                 section="init_before_blocks"))
    return graph


def main() -> None:
    graphs = [flowgraph(channel, gui) for channel in ("awgn", "rayleigh", "rician")
              for gui in ((False, True) if channel == "rayleigh" else (False,))]
    for graph in graphs + [loopback_flowgraph()]:
        path = os.path.join(HERE, graph["options"]["parameters"]["id"] + ".grc")
        with open(path, "w") as f:
            yaml.safe_dump(graph, f, sort_keys=False, width=110)
        print("wrote", path)


if __name__ == "__main__":
    main()
