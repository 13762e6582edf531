# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom audio-terminal | channel | video-terminal | receiver``: the system as four programs
joined by gr-zeromq (separate processes or hosts); see gnuradio.semcom.flowgraphs.programs."""
from __future__ import annotations

import argparse
import json
import logging

from ..phy.channels import CHANNELS
from ..phy.ls import ESTIMATOR_MODES
from .options import add_data, add_model, add_torch_options
from .radio_options import add_radio_options, radio_from_args
from .tuning import add_tuning_options, tuned

log = logging.getLogger("semcom.programs")
PORTS = "audio terminal → :5601 (SISO), :5602 (uplink); channel → :5604 (SISO), :5605 :5606 (antennas); " \
        "video terminal → :5603 (uplink)"


def seconds(text: str, allow_zero: bool = False) -> float:
    """An argparse type: a finite number of seconds > 0 (>= 0 with ``allow_zero``)."""
    value = float(text)
    if not (0 <= value if allow_zero else 0 < value) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds {'>=' if allow_zero else '>'} 0, "
                                         f"got {text!r}")
    return value


def add_parsers(commands) -> None:
    from ..flowgraphs.programs import ENDPOINTS as E
    from ..modes import AIR_CSI_MODES
    fmt = argparse.ArgumentDefaultsHelpFormatter

    def program(name: str, help_text: str, description: str, run):
        """A program's parser, running ``run``, with the options all four programs take."""
        p = commands.add_parser(name, help=help_text, description=description + " Ports: " + PORTS + ".",
                                formatter_class=fmt)
        p.set_defaults(run=tuned(run))
        add_model(p, "multimodal model directory (the burst format comes from it)")
        p.add_argument("--idle-timeout", type=seconds, default=10.0, help="stop after this many seconds without items")
        p.add_argument("--start-timeout", type=seconds, default=60.0, help="stop if nothing arrives for this long")
        p.add_argument("--linger", type=lambda text: seconds(text, allow_zero=True), default=1.0,
                       help="seconds to keep the sockets open at the end, so ZMQ delivers what it holds")
        p.add_argument("--summary", default="", help="also write the final summary (JSON) to this file")
        add_tuning_options(p)
        p.add_argument("--keys", default="", metavar="FOLDER",
                       help="key folder made by `semcom keys`: every link authenticated and encrypted (ZMQ CURVE); "
                       "peers whose key is not in it get nothing. All four programs need it (or its .key files "
                       "and their own .key_secret)")
        return p

    def air(p, channel: bool):
        if channel:
            p.add_argument("--channel", choices=CHANNELS, default="rayleigh")
            p.add_argument("--rician-k", type=float, default=4.0)
            p.add_argument("--seed", type=int, default=1, help="channel and noise seed (as `semcom sweep --seed`)")
        else:
            p.add_argument("--csi", choices=AIR_CSI_MODES, default="estimated",
                           help="none: no channel estimation, the receiver gets the antennas' signals (Table I as the "
                           "paper ran it with a receiver retrained by semcom train --csi none_retrained)")
            p.add_argument("--estimator", choices=ESTIMATOR_MODES, default="min_residual")
        p.add_argument("--snr", type=float, default=10.0, help="SNR in dB (the channel's; the receiving "
                       "programs use it for LS/ZF regularisation)")

    def terminal(p, uplink: str, what: str):
        """A terminal's last options: its uplink endpoint, and the radio that may carry its SISO link (``what``)."""
        p.add_argument("--uplink-out", default=E[uplink], help="endpoint for the uplink bursts (bound)")
        add_radio_options(p.add_argument_group("SISO link over a radio"), "--siso-radio", default="", metavar="DEVICE",
                          help=what + " (a SoapySDR device string, or a UHD address with --api uhd)")

    def data(p, **data_option):
        """The dataset options (see :func:`add_data`) and how the programs that read it run their networks."""
        add_data(p, **data_option)
        add_torch_options(p)

    p = program("audio-terminal", "the audio terminal: features → audio transmitter → bursts over ZMQ",
                "Reads the audio features of a split, encodes them and sends the bursts of the SISO link and "
                "of the uplink.", run_audio_terminal)
    data(p)
    p.add_argument("--videos", type=int, default=0, help="first N videos of the split (0 = all)")
    p.add_argument("--rate", type=float, default=0.0, help="segments per second (1 = real time; 0 = as fast as "
                   "the peers take them)")
    p.add_argument("--siso-out", default=E["audio_siso"], help="endpoint for the SISO bursts (bound)")
    terminal(p, "audio_uplink", "transmit the SISO bursts over this radio (OTA waveform) instead of ZMQ")

    p = program("channel", "the air-interface emulator: SISO link and 2×2 uplink between the programs",
                "Applies the SISO link (audio terminal → video terminal) and the 2×2 uplink (both terminals → "
                "the receiver's two antennas) of docs/signal-model.md. A terminal that is gone gets silence in "
                "its slots, tagged so the receiver reports those videos as lost.", run_channel)
    air(p, channel=True)
    p.add_argument("--audio-siso", default=E["audio_siso"], help="audio terminal's SISO bursts (connect)")
    p.add_argument("--audio-uplink", default=E["audio_uplink"], help="audio terminal's uplink bursts (connect)")
    p.add_argument("--video-uplink", default=E["video_uplink"], help="video terminal's uplink bursts (connect)")
    p.add_argument("--siso-out", default=E["siso"], help="SISO link output to the video terminal (bound)")
    p.add_argument("--antenna-out", nargs=2, default=E["antennas"], help="the two receive antennas (bound)")
    p.add_argument("--slot-timeout", type=seconds, default=1.0,
                   help="seconds an uplink slot waits for the video terminal's burst before sending silence "
                        "(before its first burst: 10 s, while it starts)")
    p.add_argument("--no-siso", action="store_true",
                   help="leave the SISO link out (the terminals run it over radios: --siso-radio)")

    p = program("video-terminal", "the video terminal: SISO audio in, AGVA, visual bursts out over ZMQ",
                "Receives the audio over the SISO link (LS, ZF, inverse Euler), looks up the visual features of "
                "the same videos, runs the video transmitter (audio decoder, AGVA, visual channel encoder) and "
                "sends its uplink bursts. It can be restarted during a run: it picks up at the next video.",
                run_video_terminal)
    data(p)
    air(p, channel=False)
    p.add_argument("--siso", default=E["siso"], help="the channel's SISO output (connect)")
    terminal(p, "video_uplink", "receive the SISO bursts from this radio (OTA waveform) instead of the channel")

    p = program("receiver", "the 2-antenna receiver: LS, ZF, decoders, PSP, labels per segment",
                "Receives the two antennas' bursts, estimates the channel, detects and classifies every segment; "
                "writes a CSV row per segment and a summary of videos expected, received and lost.", run_receiver)
    air(p, channel=False)
    p.add_argument("--antenna", nargs=2, default=E["antennas"], help="the channel's antenna outputs (connect)")
    p.add_argument("--results", default="", help="CSV file, one row per segment; an existing one is resumed (its "
                   "videos stay, the rest is appended), so a restarted receiver loses nothing")
    p.add_argument("--overwrite", action="store_true", help="start --results afresh instead of resuming it")
    data(p, help_text="dataset folder: score the labels (accuracy in the summary)", default="")

    p = commands.add_parser("keys", help="make a key folder for authenticated, encrypted links between the programs",
                            description="Writes one ZMQ CURVE key pair per program (audio-terminal, channel, "
                            "video-terminal, receiver: NAME.key public, NAME.key_secret private) to FOLDER. "
                            "With --keys FOLDER each program accepts only peers whose public key is there.",
                            formatter_class=fmt)
    p.add_argument("folder", help="new folder for the keys (existing keys are not overwritten)")
    p.set_defaults(run=run_keys)


def run_keys(args) -> int:
    from ..flowgraphs.programs import make_keys
    written = make_keys(args.folder)
    log.info("wrote %d key files to %s; give every program --keys %s (copy the folder to each host, or just "
             "the .key files and that program's own .key_secret)", len(written), args.folder, args.folder)
    return 0


def _air(args):
    from ..flowgraphs.programs import AirSettings
    return AirSettings(**{k: v for k, v in dict(channel=getattr(args, "channel", None), snr_db=args.snr,
                                                  rician_k=getattr(args, "rician_k", None),
                                                  seed=getattr(args, "seed", None), csi=getattr(args, "csi", None),
                                                  estimator=getattr(args, "estimator", None)).items()
                          if v is not None})


def _radio(args):
    """The radio of ``--siso-radio``, or None (the SISO link over ZMQ)."""
    return radio_from_args(args.siso_radio, args) if args.siso_radio else None


def _serve(tb, args, extra=None) -> int:
    from ..blocks.torchscript import network_devices
    from ..flowgraphs.programs import print_summary
    networks = network_devices(tb)
    log.info("%s running%s; stops at the end of the stream or after %g s without items", tb.name_,
             f" ({networks})" if networks else "", args.idle_timeout)
    summary = tb.serve(args.idle_timeout, args.start_timeout, args.linger)
    if extra:
        summary.update(extra(tb))
    log.info("%s stopped: %s", tb.name_, summary["reason"])
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    print_summary(summary)
    return 0 if summary["reason"] in ("end of stream", "stopped by a signal") else 1


def run_audio_terminal(args) -> int:
    from ..flowgraphs.programs import ENDPOINTS, audio_terminal_program
    endpoints = dict(ENDPOINTS, audio_siso=args.siso_out, audio_uplink=args.uplink_out)
    return _serve(audio_terminal_program(args.model, args.data, args.split, args.videos, args.rate, endpoints,
                                         args.torch_threads, args.torch_device, siso_radio=_radio(args),
                                         keys=args.keys), args)


def run_channel(args) -> int:
    from ..flowgraphs.programs import channel_program
    endpoints = dict(audio_siso=args.audio_siso, audio_uplink=args.audio_uplink, video_uplink=args.video_uplink,
                     siso=args.siso_out, antennas=list(args.antenna_out))
    return _serve(channel_program(args.model, _air(args), endpoints, args.slot_timeout, siso=not args.no_siso,
                                  keys=args.keys), args)


def run_video_terminal(args) -> int:
    from ..flowgraphs.programs import ENDPOINTS, video_terminal_program
    endpoints = dict(ENDPOINTS, siso=args.siso, video_uplink=args.uplink_out)
    return _serve(video_terminal_program(args.model, args.data, _air(args), args.split, endpoints,
                                         args.torch_threads, siso_radio=_radio(args), keys=args.keys,
                                         device=args.torch_device), args)


def _scorer(data: str, split: str, results: str):
    """A summary extra: the receiver's segment accuracy against the split's labels (its predictions read back
    from the ``results`` file, where there is one, so that the receiver need not hold them)."""
    from ..blocks.multimodal_receiver import read_results
    from ..data.ave import read_labels, read_order, require_valid
    require_valid(data)
    labels = read_labels(data)[read_order(data, split)]

    def score(tb):
        if results:
            predictions = {r["position"]: r["predicted"] for r in read_results(results, labels.shape[1])
                           if r["status"] != "lost"}
        else:
            predictions = tb.receiver.predictions()
        count = tb.receiver.expected or 0
        correct = sum(int((predictions[p] == labels[p]).sum()) for p in predictions if 0 <= p < count)
        return {"accuracy": correct / (count * labels.shape[1]) if count else float("nan"),
                "correct_segments": correct}
    return score


def run_receiver(args) -> int:
    from ..flowgraphs.programs import ENDPOINTS, receiver_program
    endpoints = dict(ENDPOINTS, antennas=list(args.antenna))
    score = _scorer(args.data, args.split, args.results) if args.data else None
    program = receiver_program(args.model, _air(args), endpoints, args.results, args.torch_threads,
                               resume=not args.overwrite, keys=args.keys,
                               keep_results=bool(args.data) and not args.results, device=args.torch_device)
    if program.receiver.resumed:
        log.info("resuming %s: %d videos decoded before are kept", args.results, program.receiver.resumed)
    return _serve(program, args, score)
