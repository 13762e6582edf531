# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom loopback``: the system with its SISO link (audio terminal → video terminal) over the
over-the-air waveform, through a real radio in loopback (gr-soapy or gr-uhd; cable the TX port to the
RX port through an attenuator of 30 dB or more) or, with ``--emulate``, through gr-channels'
channel_model with carrier offset, clock offset, multipath and noise. The 2×2 uplink stays simulated.
"""
from __future__ import annotations

import argparse
import json
import logging

from ..user_data import demo_data, demo_model
from ..phy.channels import CHANNELS
from .tuning import add_tuning_options, tuned

log = logging.getLogger("semcom.loopback")


def add_parser(commands) -> None:
    p = commands.add_parser("loopback", help="the SISO link over a radio waveform: SDR loopback or emulated",
                            description=__doc__.split(": ", 1)[1],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default=demo_model(), help="multimodal model directory")
    p.add_argument("--data", default=demo_data(), help="AVE-format dataset folder")
    p.add_argument("--split", choices=("train", "val", "test"), default="test")
    p.add_argument("--videos", type=int, default=20, help="first N videos of the split (0 = all)")
    p.add_argument("--snr", type=float, default=15.0, help="dB: the uplink's SNR and the emulated SISO link's "
                   "(Es/N0); with a radio, the SISO link's SNR is what the cable and gains give")
    p.add_argument("--channel", choices=CHANNELS, default="awgn", help="the simulated uplink's channel")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", default="", help="CSV file, one row per segment")
    p.add_argument("--out", default="", help="write the summary (JSON) here")
    add_tuning_options(p)
    radio = p.add_argument_group("radio (without --emulate)")
    radio.add_argument("--device", default="driver=uhd", help="SoapySDR device string (api soapy) or UHD "
                       "device address (api uhd), e.g. 'driver=hackrf' or 'type=b200'")
    add_radio_arguments(radio)
    radio.add_argument("--idle-timeout", type=float, default=10.0, help="stop after this long without a video")
    emulated = p.add_argument_group("emulated radio path (--emulate)")
    emulated.add_argument("--emulate", action="store_true", help="gr-channels channel_model instead of a radio")
    emulated.add_argument("--cfo", type=float, default=1e-3, help="carrier offset, cycles per sample")
    emulated.add_argument("--epsilon", type=float, default=1.00002, help="sample-clock ratio (20 ppm)")
    emulated.add_argument("--taps", type=complex, nargs="+", default=[1.0], help="multipath taps, e.g. 1 0.1j")
    emulated.add_argument("--delay", type=int, default=1000, help="start delay, samples")
    waveform = p.add_argument_group("waveform")
    waveform.add_argument("--sps", type=int, default=4, help="samples per symbol")
    waveform.add_argument("--rolloff", type=float, default=0.35, help="root-raised-cosine roll-off")
    waveform.add_argument("--preamble-len", type=int, default=31, help="Zadoff-Chu length (sent twice)")
    waveform.add_argument("--threshold", type=float, default=0.3, help="detection threshold (Schmidl-Cox metric)")
    p.set_defaults(run=tuned(run))


def add_radio_arguments(group) -> None:
    """The radio's settings besides the device (shared with the terminal programs)."""
    group.add_argument("--api", choices=("soapy", "uhd"), default="soapy")
    group.add_argument("--sample-rate", type=float, default=1e6, help="samples/s (symbol rate = rate / sps)")
    group.add_argument("--frequency", type=float, default=915e6, help="centre frequency, Hz")
    group.add_argument("--tx-gain", type=float, default=0.0, help="dB")
    group.add_argument("--rx-gain", type=float, default=20.0, help="dB")
    group.add_argument("--tx-antenna", default="")
    group.add_argument("--rx-antenna", default="")


def radio_from_args(device: str, args):
    from ..flowgraphs.radio import Radio
    return Radio(device, args.api, args.sample_rate, args.frequency, args.tx_gain, args.rx_gain, args.tx_antenna,
                 args.rx_antenna)


def run(args) -> int:
    from ..flowgraphs.loopback import Impairments, Waveform, ota_system_top_block
    from ..flowgraphs.system import SystemConfig
    config = SystemConfig(model=args.model, data=args.data, split=args.split, videos=args.videos,
                          channel=args.channel, snr_db=args.snr, seed=args.seed, results_file=args.results)
    waveform = Waveform(args.sps, args.rolloff, args.preamble_len, args.threshold)
    if args.emulate:
        tb = ota_system_top_block(config, waveform, impairments=Impairments(args.cfo, args.epsilon,
                                                                             list(args.taps), args.delay))
    else:
        tb = ota_system_top_block(config, waveform, radio=radio_from_args(args.device, args))
    log.info("running %d videos with the SISO link over %s", len(tb.source.labels),
             "channel_model" if args.emulate else f"{args.api} device {args.device!r}")
    tb.run_until_done(args.idle_timeout)
    result = tb.result()
    summary = {"accuracy": result.accuracy, "videos": result.videos, "received": result.received,
               "lost": result.lost, "frames_detected": tb.demodulator.detected,
               "header_failures": tb.demodulator.header_failures}
    print(json.dumps(summary))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    return 0
