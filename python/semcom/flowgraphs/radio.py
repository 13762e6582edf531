# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""A radio's transmitter and receiver for the over-the-air SISO link: gr-soapy (SoapySDR devices) or
gr-uhd (USRPs), opened and tuned from one :class:`Radio` description (docs/radio.md)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..phy.checks import require_choice

RADIO_APIS = ("soapy", "uhd")


@dataclass
class Radio:
    device: str = "driver=uhd"     # SoapySDR device string, or a UHD device address with api 'uhd'
    api: str = "soapy"
    sample_rate: float = 1e6       # samples per second (the symbol rate is sample_rate / sps)
    frequency: float = 915e6       # centre frequency, Hz
    tx_gain: float = 0.0           # dB
    rx_gain: float = 20.0          # dB
    tx_antenna: str = ""
    rx_antenna: str = ""


def open_radio(radio: Radio, direction: str = "both") -> list:
    """[sink] (``tx``), [source] (``rx``) or [sink, source] (``both``) of ``radio``, tuned; a device
    that is not there is a ValueError that says how to list the devices."""
    r = radio
    require_choice("api", r.api, RADIO_APIS)
    require_choice("direction", direction, ("tx", "rx", "both"))
    blocks_ = []
    try:
        if r.api == "soapy":
            from gnuradio import soapy
            if direction in ("tx", "both"):
                sink = soapy.sink(r.device, "fc32", 1, "", "", [""], [""])
                sink.set_length_tag_name("packet_len")
                blocks_.append(sink)
            if direction in ("rx", "both"):
                blocks_.append(soapy.source(r.device, "fc32", 1, "", "", [""], [""]))
        else:
            from gnuradio import uhd
            stream = uhd.stream_args(cpu_format="fc32", channels=[0])
            if direction in ("tx", "both"):
                blocks_.append(uhd.usrp_sink(r.device, stream, "packet_len"))
            if direction in ("rx", "both"):
                blocks_.append(uhd.usrp_source(r.device, stream))
    except (RuntimeError, KeyError, ImportError) as exc:
        hint = "SoapySDRUtil --find" if r.api == "soapy" else "uhd_find_devices"
        raise InputError(f"radio {r.device!r} ({r.api}): {exc}; `{hint}` lists the devices this machine sees") from None
    for block in blocks_:
        transmit = block.name().endswith("sink")
        gain, antenna = (r.tx_gain, r.tx_antenna) if transmit else (r.rx_gain, r.rx_antenna)
        if r.api == "soapy":
            block.set_sample_rate(0, r.sample_rate)
            block.set_frequency(0, r.frequency)
            block.set_gain(0, gain)
            if antenna:
                block.set_antenna(0, antenna)
        else:
            block.set_samp_rate(r.sample_rate)
            block.set_center_freq(r.frequency, 0)
            block.set_gain(gain, 0)
            if antenna:
                block.set_antenna(antenna, 0)
    return blocks_
