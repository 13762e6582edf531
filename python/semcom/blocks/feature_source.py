# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: AVE-format features of one dataset split, one vector per one-second segment."""
from __future__ import annotations

import time

import numpy as np
from gnuradio import gr

from ..data.ave import SEGMENTS, load_split
from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from .buffers import reserve_batches
from .tags import VIDEO
from ..user_data import data_folder
from ..errors import InputError


class feature_source(gr.sync_block):
    """Reads ``split`` of the dataset folder ``data`` (docs/data-formats.md) and emits, per segment, the audio
    feature (128 floats) on output 0 and the visual feature (7·7·512 floats, row-major) on output 1.
    The first segment of every video carries a ``semcom_video`` tag {video: dataset row, position,
    count}. ``videos`` > 0 sends only the first ``videos`` of the split; ``segments_per_second`` > 0
    paces the output in real time (1.0 = the media's own rate), 0 runs as fast as possible.
    """

    def __init__(self, data: str = "", split: str = "test", videos: int = 0, segments_per_second: float = 0.0,
                 check: bool = True):
        videos = require_int_range("videos", videos, 0)
        if not segments_per_second >= 0:
            raise InputError(f"segments_per_second must be >= 0, got {segments_per_second}")
        self.split = load_split(data_folder(data), split, videos or None, check=check)
        if not len(self.split.indices):
            raise InputError(f"dataset {data}: split {split!r} holds no videos")
        self.audio_dim = self.split.audio.shape[-1]
        self.visual_shape = self.split.visual.shape[2:]
        self.visual_size = int(np.prod(self.visual_shape))
        gr.sync_block.__init__(self, name="semcom_feature_source", in_sig=None,
                               out_sig=[vector(np.float32, self.audio_dim),
                                        vector(np.float32, self.visual_size)])
        self.set_output_multiple(SEGMENTS)
        reserve_batches(self, SEGMENTS)
        self.rate = float(segments_per_second)
        self.sent = 0
        self.started = None
        self.sent_at = {}              # position → time.monotonic() when the video was emitted

    @property
    def labels(self) -> np.ndarray:
        """(videos, 10) true class per segment, in sending order."""
        return self.split.labels

    def work(self, input_items, output_items):
        total = len(self.split.indices)
        if self.sent >= total:
            return -1
        room = len(output_items[0]) // SEGMENTS
        if self.rate > 0:
            self.started = self.started or time.monotonic()
            # sleep until the next video is due and send it then (a call that returned 0 would wait for the
            # scheduler to call again, sending late and in pairs); at most 0.1 s a call, to stay stoppable
            wait = self.started + self.sent * SEGMENTS / self.rate - time.monotonic()
            if wait > 0.1:
                time.sleep(0.1)
                return 0
            if wait > 0:
                time.sleep(wait)
            due = int((time.monotonic() - self.started) * self.rate / SEGMENTS) + 1
            room = min(room, max(due - self.sent, 1))
        n = min(room, total - self.sent)
        rows = slice(self.sent, self.sent + n)
        output_items[0][:n * SEGMENTS] = self.split.audio[rows].reshape(n * SEGMENTS, -1)
        output_items[1][:n * SEGMENTS] = self.split.visual[rows].reshape(n * SEGMENTS, -1)
        now = time.monotonic()
        for i in range(n):
            self.sent_at[self.sent + i] = now
            info = {"video": int(self.split.indices[self.sent + i]), "position": self.sent + i, "count": total}
            for port in (0, 1):
                tags.add_tag(self, port, i * SEGMENTS, VIDEO, info)
        self.sent += n
        return n * SEGMENTS
