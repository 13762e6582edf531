# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom loopback``: the system with its SISO link (audio terminal → video terminal) over the
over-the-air waveform, through a real radio in loopback (gr-soapy or gr-uhd; cable the TX port to the
RX port through an attenuator of 30 dB or more) or, with ``--emulate``, through gr-channels'
channel_model with carrier offset, clock offset, multipath and noise. The 2×2 uplink stays simulated.
"""
from __future__ import annotations

import json
import logging

from ..phy.channels import CHANNELS
from ..flowgraphs.radio import Radio
from .options import add_command, add_data, add_model, add_torch_options
from .radio_options import add_radio_options, radio_from_args
from .tuning import add_tuning_options, tuned

log = logging.getLogger("semcom.loopback")


def add_parser(commands) -> None:
    p = add_command(commands, "loopback", "the SISO link over a radio waveform: SDR loopback or emulated", __doc__)
    add_model(p, "multimodal model directory")
    add_data(p)
    p.add_argument("--videos", type=int, default=20, help="first N videos of the split (0 = all)")
    p.add_argument("--snr", type=float, default=15.0, help="dB: the uplink's SNR and the emulated SISO link's "
                   "(Es/N0); with a radio, the SISO link's SNR is what the cable and gains give")
    p.add_argument("--channel", choices=CHANNELS, default="awgn", help="the simulated uplink's channel")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", default="", help="CSV file, one row per segment")
    p.add_argument("--out", default="", help="write the summary (JSON) here")
    add_torch_options(p)
    add_tuning_options(p)
    radio = p.add_argument_group("radio (without --emulate)")
    add_radio_options(radio, "--device", default=Radio.device, help="SoapySDR device string (api soapy) or UHD "
                      "device address (api uhd), e.g. 'driver=hackrf' or 'type=b200'")
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


def run(args) -> int:
    from ..flowgraphs.loopback import Impairments, Waveform, ota_system_top_block
    from ..blocks.torchscript import network_devices
    from ..flowgraphs.system import BlockOptions, SystemConfig
    config = SystemConfig(model=args.model, data=args.data, split=args.split, videos=args.videos,
                          channel=args.channel, snr_db=args.snr, seed=args.seed, results_file=args.results,
                          blocks=BlockOptions(torch_threads=args.torch_threads, device=args.torch_device))
    waveform = Waveform(args.sps, args.rolloff, args.preamble_len, args.threshold)
    if args.emulate:
        tb = ota_system_top_block(config, waveform, impairments=Impairments(args.cfo, args.epsilon,
                                                                             list(args.taps), args.delay))
    else:
        tb = ota_system_top_block(config, waveform, radio=radio_from_args(args.device, args))
    log.info("running %d videos with the SISO link over %s (%s)", len(tb.source.labels),
             "channel_model" if args.emulate else f"{args.api} device {args.device!r}", network_devices(tb))
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
