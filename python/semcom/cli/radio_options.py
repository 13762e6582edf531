# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The radio's command-line options (device, api, sample rate, frequency, gains, antennas) and the
:class:`~gnuradio.semcom.flowgraphs.radio.Radio` they describe: ``semcom loopback`` and the terminal
programs (``semcom audio-terminal``, ``semcom video-terminal``)."""
from __future__ import annotations

from ..flowgraphs.radio import RADIO_APIS, Radio


def add_radio_options(group, device: str, **device_argument) -> None:
    """The option ``device`` (its own default and help in ``device_argument``) naming the radio, and
    the radio's settings, in ``group`` (a parser or an argument group)."""
    group.add_argument(device, **device_argument)
    group.add_argument("--api", choices=RADIO_APIS, default=Radio.api)
    group.add_argument("--sample-rate", type=float, default=Radio.sample_rate,
                       help="samples/s (symbol rate = rate / sps)")
    group.add_argument("--frequency", type=float, default=Radio.frequency, help="centre frequency, Hz")
    group.add_argument("--tx-gain", type=float, default=Radio.tx_gain, help="dB")
    group.add_argument("--rx-gain", type=float, default=Radio.rx_gain, help="dB")
    group.add_argument("--tx-antenna", default=Radio.tx_antenna)
    group.add_argument("--rx-antenna", default=Radio.rx_antenna)


def radio_from_args(device: str, args) -> Radio:
    """The :class:`Radio` at ``device`` with the settings of :func:`add_radio_options` in ``args``."""
    return Radio(device, args.api, args.sample_rate, args.frequency, args.tx_gain, args.rx_gain, args.tx_antenna,
                 args.rx_antenna)
