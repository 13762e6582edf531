# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: VGGish front end of the audio terminal, 16 kHz audio → one 128-d feature per second."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..data.ave import SEGMENTS
from . import tags
from .item_types import vector
from .torchscript import log_device, set_torch_threads
from ..nn.runtime import pick_device
from .tags import VIDEO
from ..errors import InputError

SAMPLE_RATE = 16000


class audio_frontend(gr.decim_block):
    """Float audio at 16 kHz (put a ``filter.rational_resampler_fff`` in front of other rates) →
    one VGGish embedding (128 floats, raw, no PCA) per 16000 samples (one second).

    Seconds are grouped into "videos" of ``segments`` (10, AVE's length) counted from the start of
    the stream: output item k·segments carries a ``semcom_video`` tag {video: k, position: k,
    count: 0} (count 0: a live stream announces no total), as :class:`feature_source` does, so the
    terminals and the receiver downstream see whole videos. ``vggish``: ``vggish-10086976.pth``.
    ``device``: 'auto' (the GPU where PyTorch sees one, else the CPU), 'cpu' or 'cuda'.
    """

    def __init__(self, vggish: str = "", sample_rate: float = SAMPLE_RATE, segments: int = SEGMENTS,
                 device: str = "auto", torch_threads: int = 0):
        if sample_rate != SAMPLE_RATE:
            raise InputError(f"audio_frontend needs {SAMPLE_RATE} Hz audio (VGGish's rate), got {sample_rate}: "
                             f"resample first, e.g. with filter.rational_resampler_fff")
        if int(segments) < 1:
            raise InputError(f"segments must be >= 1, got {segments}")
        from ..data.vggish import EMBEDDING, SegmentFramer, load_vggish
        self.device = pick_device(device)
        set_torch_threads(torch_threads)
        self.model = load_vggish(vggish, self.device)
        self.framer = SegmentFramer(int(segments))          # AVE's framing within each video
        self.segments = int(segments)
        gr.decim_block.__init__(self, name="semcom_audio_frontend", in_sig=[np.float32],
                                out_sig=[vector(np.float32, EMBEDDING)], decim=SAMPLE_RATE)
        log_device(self, "VGGish", self.device)
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def work(self, input_items, output_items):
        from ..data.vggish import audio_features
        n = min(len(output_items[0]), len(input_items[0]) // SAMPLE_RATE)
        if n == 0:
            return 0
        output_items[0][:n] = audio_features(self.model, input_items[0][:n * SAMPLE_RATE].reshape(n, SAMPLE_RATE),
                                             self.device, framer=self.framer)
        first = self.nitems_written(0)
        for item in range(-(-first // self.segments) * self.segments, first + n, self.segments):
            video = item // self.segments
            tags.add_tag(self, 0, item - first, VIDEO, {"video": video, "position": video, "count": 0})
        return n
