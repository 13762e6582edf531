"""gr-semcom: pilot-guided multimodal semantic communication for GNU Radio.

``from gnuradio import semcom`` gives the GNU Radio blocks; the algorithms live in
``gnuradio.semcom.phy`` (NumPy and the C++ LS kernel).
"""
from .blocks.euler_mapper import euler_mapper
from .blocks.euler_demapper import euler_demapper
from .blocks.pilot_inserter import pilot_inserter
from .blocks.awgn import awgn
from .blocks.block_fading import block_fading
from .blocks.mimo_channel import mimo_channel
from .blocks.ls_channel_estimator import ls_channel_estimator
from .blocks.zf_detector import zf_detector

__all__ = ["euler_mapper", "euler_demapper", "pilot_inserter", "awgn", "block_fading", "mimo_channel",
           "ls_channel_estimator", "zf_detector"]
