# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""gr-semcom: pilot-guided multimodal semantic communication for GNU Radio.

``from gnuradio import semcom`` gives the GNU Radio blocks; the algorithms live in
``gnuradio.semcom.phy`` (NumPy and the C++ LS kernel) and ``gnuradio.semcom.nn`` (PyTorch).
"""
from . import _site

VERSION = _site.VERSION

_site.add_dependencies()   # pip's PyTorch, tqdm, PyAV and Dask where the module was built with them (--pip-deps)

from .blocks.euler_mapper import euler_mapper
from .blocks.euler_demapper import euler_demapper
from .blocks.pilot_inserter import pilot_inserter
from .blocks.awgn import awgn
from .blocks.block_fading import block_fading
from .blocks.mimo_channel import mimo_channel
from .blocks.ls_channel_estimator import ls_channel_estimator
from .blocks.zf_detector import zf_detector
from .blocks.feature_source import feature_source
from .blocks.audio_frontend import audio_frontend
from .blocks.video_frontend import video_frontend
from .blocks.audio_transmitter import audio_transmitter
from .blocks.video_transmitter import video_transmitter
from .blocks.multimodal_receiver import multimodal_receiver
from .blocks.feature_lookup import feature_lookup
from .blocks.slot_aligner import slot_aligner
from .blocks.progress_probe import progress_probe
from .blocks.event_timeline import event_timeline
from .blocks.ota_modulator import ota_modulator
from .blocks.ota_demodulator import ota_demodulator
from .blocks.curve_zmq import curve_push_sink, curve_pull_source
from .blocks.model_ports import model_ports
from .user_data import data_home, data_folder, model_folder, missing_inputs

__all__ = ["euler_mapper", "euler_demapper", "pilot_inserter", "awgn", "block_fading", "mimo_channel",
           "ls_channel_estimator", "zf_detector", "feature_source", "audio_transmitter", "video_transmitter",
           "multimodal_receiver", "audio_frontend", "video_frontend", "feature_lookup", "slot_aligner",
           "progress_probe", "event_timeline", "ota_modulator", "ota_demodulator", "curve_push_sink",
           "curve_pull_source"]     # the blocks; model_ports and the user_data helpers are for flowgraphs too
