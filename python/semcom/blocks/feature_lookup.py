# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: a terminal's own features for the videos announced on another stream."""
from __future__ import annotations

import numpy as np
from gnuradio import gr

from ..data.ave import SEGMENTS, load_split
from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from .buffers import reserve_batches
from .tags import VIDEO
from ..user_data import data_folder


class feature_lookup(gr.sync_block):
    """Per-segment vectors of ``vlen`` floats carrying ``semcom_video`` tags (the audio that the
    video terminal received over the SISO link) → the visual features (7·7·512 floats per
    segment) of the same videos from ``split`` of the dataset folder ``data``, with the tags. So a
    separate video terminal sends the video that belongs to the audio it heard, also after a
    restart. A video without a usable tag comes out as zeros with a ``semcom_error`` tag.
    """

    def __init__(self, data: str = "", split: str = "test", vlen: int = 128, check: bool = True):
        self.vlen = require_int_range("vlen", vlen, 1)
        self.split = load_split(data_folder(data), split, None, check=check)
        self.visual_size = int(np.prod(self.split.visual.shape[2:]))
        gr.sync_block.__init__(self, name="semcom_feature_lookup", in_sig=[vector(np.float32, self.vlen)],
                               out_sig=[vector(np.float32, self.visual_size)])
        self.set_output_multiple(SEGMENTS)
        reserve_batches(self, SEGMENTS)
        self.set_tag_propagation_policy(gr.TPP_DONT)

    def work(self, input_items, output_items):
        count = len(output_items[0]) // SEGMENTS * SEGMENTS
        videos = tags.values_by_item(self, 0, count, VIDEO)
        out = output_items[0]
        for v in range(count // SEGMENTS):
            info = tags.video_info(videos.get(v * SEGMENTS))
            position = info["position"] if info else -1
            rows = slice(v * SEGMENTS, (v + 1) * SEGMENTS)
            if 0 <= position < len(self.split.indices):
                out[rows] = self.split.visual[position].reshape(SEGMENTS, -1)
                tags.add_tag(self, 0, v * SEGMENTS, VIDEO, info)
            else:
                out[rows] = 0
                message = (f"feature_lookup: video at input item {self.nitems_read(0) + v * SEGMENTS} names no "
                           f"video of split {self.split.name!r} ({videos.get(v * SEGMENTS)!r}); sent as zeros")
                self.logger.error(message)
                tags.add_tag(self, 0, v * SEGMENTS, tags.ERROR, message)
        return count
