# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""GNU Radio block: a sink that watches a stream for the end of the videos (headless stop rules)."""
from __future__ import annotations

import time

import numpy as np
from gnuradio import gr

from ..phy.checks import require_int_range
from . import tags
from .item_types import vector
from .tags import VIDEO


class progress_probe(gr.sync_block):
    """Consumes items of ``item_size`` bytes (any stream: connect it beside the real consumer) and
    records the ``semcom_video`` tags it sees: the videos announced (``count``), the item each video
    position starts at (8 bytes per position, however long the stream), and when the last item came.
    :meth:`finished` says that the last video has passed; :meth:`taken` which videos a consumer that has
    read ``items`` items has taken whole."""

    def __init__(self, item_size: int = 8):
        self.item_size = require_int_range("item_size", item_size, 1)
        gr.sync_block.__init__(self, name="semcom_progress_probe", in_sig=[vector(np.uint8, self.item_size)],
                               out_sig=None)
        self.starts = np.full(0, -1, np.int64)   # position → index of its first item (-1: not seen)
        self.count = 0                      # videos announced by the source (0: none seen yet)
        self.items = 0
        self.unreadable = 0                 # video tags whose value is not one (skipped)
        self.last_item_at = None            # time.monotonic() of the latest item

    def work(self, input_items, output_items):
        n = len(input_items[0])
        first = self.nitems_read(0)
        for item, value in tags.values_by_item(self, 0, n, VIDEO).items():
            info = tags.video_info(value)
            if info is None:
                self.unreadable += 1
                continue
            position = info["position"]
            if position < 0:
                continue
            if position >= self.starts.size:
                grown = np.full(max(position + 1, 2 * self.starts.size), -1, np.int64)
                grown[:self.starts.size] = self.starts
                self.starts = grown
            if self.starts[position] < 0:
                self.starts[position] = first + item
            self.count = max(self.count, info["count"])
        self.items += n
        self.last_item_at = time.monotonic()
        return n

    def taken(self, items: int) -> set:
        """The positions of the videos whose items a consumer that has read ``items`` items has all taken
        (a video's items end where the next video's begin, or at the last item seen)."""
        seen = np.flatnonzero(self.starts >= 0)
        order = seen[np.argsort(self.starts[seen], kind="stable")]
        ends = np.append(self.starts[order][1:], self.items)
        return set(order[ends <= items].tolist())

    @property
    def positions(self) -> set:
        """The positions of the videos seen."""
        return set(np.flatnonzero(self.starts >= 0).tolist())

    def finished(self) -> bool:
        """The last video announced (position count - 1) has passed."""
        return 0 < self.count <= self.starts.size and self.starts[self.count - 1] >= 0
